/**
 * Real parts for telemetry tests: an ingest on a UDP socket bound to 127.0.0.1:0 with a
 * SQLite store in a temp directory, and UDP peers that send datagrams and collect acks.
 */
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTelemetry, parseTelemetryAck, telemetryKeyBytes } from '@picolink/protocol';
import type { TelemetryAck, TelemetryDatagram } from '@picolink/protocol';
import { HubBus } from '../src/bus.js';
import { parseConfig } from '../src/config.js';
import type { HubStore, HubEventRecord } from '../src/store/store.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { startTelemetryIngest } from '../src/telemetry/ingest.js';
import type { TelemetryIngest, TelemetryIngestOptions } from '../src/telemetry/ingest.js';

export const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

/** Polls `condition` every 5 ms for at most `ms`. */
export async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function sign(key: string): (text: string) => string {
  const bytes = telemetryKeyBytes(key);
  return (text) => createHmac('sha256', bytes).update(text).digest('hex');
}

export function datagram(device: string, seq: number, fields: Partial<TelemetryDatagram> = {}): TelemetryDatagram {
  return { v: 1, device, boot: 7, seq, t: 1000 + seq, readings: { temp_c: 20 + seq }, ...fields };
}

/** A device's UDP socket: sends datagrams to the hub and keeps the acks it gets back. */
export class UdpPeer {
  readonly acks: { ack: TelemetryAck; authenticated: boolean }[] = [];
  readonly raw: string[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly port: number,
    private readonly key: string | undefined,
  ) {
    socket.on('message', (data) => {
      const text = data.toString('utf8');
      this.raw.push(text);
      const signer = key === undefined ? undefined : sign(key);
      const { message, authenticated } = parseTelemetryAck(text, signer ? (_d, t) => signer(t) : undefined);
      this.acks.push({ ack: message, authenticated });
    });
  }

  static async open(port: number, key?: string): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpPeer(socket, port, key);
  }

  /** Sends a datagram object (signed with the peer's key, or `signWith`), or raw text/bytes. */
  send(message: TelemetryDatagram | string | Buffer, signWith?: string | null): Promise<void> {
    let payload: string | Buffer;
    if (typeof message === 'string' || Buffer.isBuffer(message)) payload = message;
    else {
      const key = signWith === null ? undefined : (signWith ?? this.key);
      payload = encodeTelemetry(message, key === undefined ? undefined : sign(key));
    }
    return new Promise((resolve, reject) => this.socket.send(payload, this.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export interface IngestFixture {
  ingest: TelemetryIngest;
  store: HubStore;
  bus: HubBus;
  port: number;
  path: string;
  logs: string[];
  events: HubEventRecord[];
  peer(key?: string): Promise<UdpPeer>;
  close(): Promise<void>;
}

/** Starts an ingest with a config (parsed like picolink.json) and ingest options. */
export async function startIngestFixture(rawConfig: unknown = {}, options: Partial<TelemetryIngestOptions> = {}): Promise<IngestFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'picolink-ingest-'));
  const path = join(dir, 'hub.db');
  const store = await openSqliteStore({ path });
  const bus = new HubBus();
  const events: HubEventRecord[] = [];
  bus.on('event', (event) => events.push(event));
  const logs: string[] = [];
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const ingest = startTelemetryIngest({ socket, store, bus, config: parseConfig(rawConfig), log: (line) => logs.push(line), ...options });
  const peers: UdpPeer[] = [];
  return {
    ingest,
    store,
    bus,
    port,
    path,
    logs,
    events,
    async peer(key?: string) {
      const peer = await UdpPeer.open(port, key);
      peers.push(peer);
      return peer;
    },
    async close() {
      for (const peer of peers) await peer.close();
      await ingest.close();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
