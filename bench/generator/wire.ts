import { generate } from 'mqtt-packet';

/**
 * MQTT 3.1.1 packets for the load generator. CONNECT and SUBSCRIBE are made by mqtt-packet
 * (the encoder mqtt.js uses); PUBLISH, the hot packet, is laid out here (MQTT 3.1.1 §3.3:
 * fixed header, remaining length, topic, packet identifier when QoS > 0, payload) so that a
 * whole run's packets can be built once, before the clock starts.
 */
export const PACKET = { CONNACK: 2, PUBLISH: 3, PUBACK: 4, SUBACK: 9, PINGRESP: 13 } as const;

export function connectPacket(o: { clientId: string; username?: string; password?: string; clean?: boolean; keepalive?: number }): Buffer {
  return generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: o.clean ?? true,
    clientId: o.clientId,
    keepalive: o.keepalive ?? 600,
    ...(o.username ? { username: o.username } : {}),
    ...(o.password ? { password: Buffer.from(o.password) } : {}),
  });
}

export function subscribePacket(messageId: number, topic: string, qos: 0 | 1): Buffer {
  return generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

export function pubackPacket(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}

/** §2.2.3 remaining length: 7 bits a byte, high bit set while more follow. */
function remainingLength(length: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return bytes;
}

export function publishPacket(topic: string, payload: Buffer, qos: 0 | 1, messageId: number, retain = false): Buffer {
  const topicBytes = Buffer.from(topic, 'utf8');
  const length = 2 + topicBytes.length + (qos > 0 ? 2 : 0) + payload.length;
  const header = [0x30 | (qos << 1) | (retain ? 1 : 0), ...remainingLength(length)];
  const packet = Buffer.allocUnsafe(header.length + length);
  let at = 0;
  for (const byte of header) packet[at++] = byte;
  packet.writeUInt16BE(topicBytes.length, at);
  at += 2;
  at += topicBytes.copy(packet, at);
  if (qos > 0) {
    packet.writeUInt16BE(messageId, at);
    at += 2;
  }
  payload.copy(packet, at);
  return packet;
}

/**
 * Splits a byte stream into MQTT packets: `onPacket(type, flags, body)` for each whole one.
 * Keeps a partial packet across chunks (a TCP read ends anywhere).
 */
export class PacketReader {
  private pending: Buffer | null = null;

  constructor(private readonly onPacket: (type: number, flags: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let at = 0;
    while (at < data.length) {
      const start = at;
      if (data.length - at < 2) break;
      const first = data[at];
      let length = 0;
      let multiplier = 1;
      let i = at + 1;
      let complete = false;
      while (i < data.length) {
        const byte = data[i++];
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || i + length > data.length) {
        at = start;
        break;
      }
      this.onPacket(first >> 4, first & 0x0f, data.subarray(i, i + length));
      at = i + length;
    }
    if (at < data.length) this.pending = Buffer.from(data.subarray(at));
  }
}
