import type { Aedes, PublishPacket } from 'aedes';
import { dropUnreadSysAnnouncements } from './sys-topics';

describe('$SYS announcements nobody may read', () => {
  const publishing = () => {
    const routed: string[] = [];
    const aedes = { publish: (packet: PublishPacket, done: () => void) => (routed.push(packet.topic), done()) } as unknown as Aedes;
    dropUnreadSysAnnouncements(aedes);
    const publish = (topic: string) =>
      new Promise<void>((resolve) =>
        aedes.publish({ cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }, () => resolve()),
      );
    return { routed, publish };
  };

  it('completes the per-subscribe and per-disconnect announcements without routing them', async () => {
    const { routed, publish } = publishing();
    await publish('$SYS/b1/new/subscribes');
    await publish('$SYS/b1/new/unsubscribes');
    await publish('$SYS/b1/disconnect/clients');
    expect(routed).toEqual([]);
  });

  it('routes what aedes itself listens to (session take-over, heartbeats) and every other topic', async () => {
    const { routed, publish } = publishing();
    for (const topic of ['$SYS/b1/new/clients', '$SYS/b1/heartbeat', '$SYS/b1/birth', 'prices/london/current', 'meters/m1/status'])
      await publish(topic);
    expect(routed).toEqual(['$SYS/b1/new/clients', '$SYS/b1/heartbeat', '$SYS/b1/birth', 'prices/london/current', 'meters/m1/status']);
  });
});
