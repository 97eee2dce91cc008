import type { Duplex } from 'node:stream';

/**
 * aedes has no packet size limit: its parser buffers a packet until it is complete, up to
 * MQTT's 256 MB. This guard reads the fixed header of every packet as the bytes pass
 * [MQTT-2.2.3] and closes the connection as soon as one announces more than `maxBytes`,
 * before the body arrives. It only observes: Node emits 'data' for what aedes read().
 */
export function guardPacketSize(conn: Duplex, maxBytes: number, onOversize: (announced: number) => void): void {
  let state: 'type' | 'length' | 'body' = 'type';
  let remaining = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  conn.on('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (state === 'body') {
        const skip = Math.min(remaining, chunk.length - i);
        remaining -= skip;
        i += skip;
        if (remaining === 0) state = 'type';
        continue;
      }
      if (state === 'type') {
        state = 'length';
        remaining = 0;
        multiplier = 1;
        lengthBytes = 0;
        i += 1;
        continue;
      }
      // Remaining Length: up to four bytes, 7 bits each, least significant first.
      const byte = chunk[i++];
      remaining += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      lengthBytes += 1;
      if (remaining > maxBytes) {
        onOversize(remaining);
        conn.destroy();
        return;
      }
      if ((byte & 0x80) === 0 || lengthBytes === 4) state = remaining === 0 ? 'type' : 'body';
    }
  });
}
