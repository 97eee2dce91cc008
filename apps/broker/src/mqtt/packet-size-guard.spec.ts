import { PassThrough } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { guardPacketSize } from './packet-size-guard';

const publish = (bytes: number) =>
  mqttPacket.generate({ cmd: 'publish', topic: 'meters/m1/readings', payload: Buffer.alloc(bytes), qos: 0, retain: false, dup: false });

function watch(maxBytes: number) {
  const conn = new PassThrough();
  const oversize: number[] = [];
  guardPacketSize(conn, maxBytes, (n) => oversize.push(n));
  conn.on('readable', () => {
    while (conn.read() !== null) {
      // aedes reads like this; the guard sees each chunk read
    }
  });
  return { conn, oversize };
}

describe('guardPacketSize', () => {
  it('lets packets up to the limit through, however they are split into chunks', async () => {
    const { conn, oversize } = watch(1000);
    const stream = Buffer.concat([publish(900), publish(10), mqttPacket.generate({ cmd: 'pingreq' }), publish(950)]);
    for (let i = 0; i < stream.length; i += 7) conn.write(stream.subarray(i, i + 7));
    await new Promise((resolve) => setImmediate(resolve));
    expect(oversize).toEqual([]);
    expect(conn.destroyed).toBe(false);
  });

  it('closes the connection on the header of an oversized packet, before its body', async () => {
    const { conn, oversize } = watch(1000);
    const big = publish(200_000);
    conn.write(Buffer.concat([publish(10), big.subarray(0, 8)])); // only the header and a few bytes
    await new Promise((resolve) => setImmediate(resolve));
    expect(oversize).toHaveLength(1);
    expect(oversize[0]).toBeGreaterThan(1000);
    expect(conn.destroyed).toBe(true);
  });
});
