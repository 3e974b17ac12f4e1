/**
 * Just enough MQTT 3.1.1 for the ingest benchmark's Mosquitto reference, written over
 * node:net: CONNECT (clean session), SUBSCRIBE (QoS 0), PUBLISH (QoS 0) and a reader
 * that splits the incoming byte stream into packets. No dependency, so the client side
 * costs as little as it can and the figure is Mosquitto's.
 */

function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0 && bytes.length < 4);
  return Buffer.from(bytes);
}

function utf8Field(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
}

export function connectPacket(clientId: string): Buffer {
  // "MQTT", level 4, flags: clean session, keep alive 60 s.
  const header = Buffer.concat([utf8Field('MQTT'), Buffer.from([4, 0x02, 0, 60])]);
  return packet(0x10, Buffer.concat([header, utf8Field(clientId)]));
}

export function subscribePacket(topicFilter: string, packetId = 1): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  return packet(0x82, Buffer.concat([id, utf8Field(topicFilter), Buffer.from([0])]));
}

export function publishPacket(topic: string, payload: string): Buffer {
  return packet(0x30, Buffer.concat([utf8Field(topic), Buffer.from(payload, 'utf8')]));
}

export const DISCONNECT = Buffer.from([0xe0, 0]);

/** MQTT control packet types (the high nibble of the first byte). */
export const PacketType = { CONNACK: 2, PUBLISH: 3, SUBACK: 9 } as const;

/** Splits a byte stream into packets; calls `onPacket(type)` for each whole one. */
export class PacketReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly onPacket: (type: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    // Bounded by the bytes in hand: each round consumes at least two.
    while (this.buffer.length - offset >= 2) {
      let length = 0;
      let multiplier = 1;
      let index = offset + 1;
      let complete = false;
      for (let i = 0; i < 4 && index < this.buffer.length; i++) {
        const byte = this.buffer[index++] ?? 0;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || index + length > this.buffer.length) break;
      this.onPacket((this.buffer[offset] ?? 0) >> 4, this.buffer.subarray(index, index + length));
      offset = index + length;
    }
    this.buffer = offset === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
  }
}
