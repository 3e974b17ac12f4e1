/**
 * Child process for bench/flood.ts: garbage at the hub's telemetry port, one kind per
 * process, paced at `ratePerSecond` in 1 ms rounds, bounded by `count` and `timeLimitMs`.
 * Kinds:
 *   malformed  not telemetry: random bytes, truncated JSON, and JSON objects with a bad field
 *   forged     well-formed datagrams naming the keyed device, with a wrong MAC
 *   replayed   one datagram the device really sent (signed with its key), sent again and again
 * Datagrams are built before the clock starts, so the process spends its time sending.
 * Waits for {cmd:"go"}, then reports {sent, startedAt, endedAt} (wall clock, ms).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

export type FloodKind = 'malformed' | 'forged' | 'replayed';

export interface FloodOptions {
  kind: FloodKind;
  port: number;
  ratePerSecond: number;
  count: number;
  timeLimitMs: number;
  /** The device the forged and replayed datagrams name, its key (hex), boot and clock. */
  device: string;
  key: string;
  boot: number;
  time: number;
  /** replayed: first send the device's datagram 100,000 (signed), so the replayed one is older than the hub's window. */
  stale?: boolean;
}

export interface FloodResult {
  sent: number;
  startedAt: number;
  endedAt: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as FloodOptions;
const VARIANTS = 256;

function datagram(seq: number): string {
  return `{"v":1,"device":"${options.device}","boot":${options.boot},"seq":${seq},"t":${seq},"time":${options.time + seq},"readings":{"temp_c":21.5},"ack":true}`;
}

function signed(text: string): Buffer {
  const mac = createHmac('sha256', Buffer.from(options.key, 'hex')).update(text).digest('hex');
  return Buffer.from(`${text.slice(0, -1)},"mac":"${mac}"}`);
}

function build(i: number): Buffer {
  if (options.kind === 'malformed') {
    if (i % 3 === 0) return randomBytes(40 + (i % 100));
    if (i % 3 === 1) return Buffer.from(datagram(i).slice(0, 30 + (i % 40)));
    return Buffer.from(datagram(i).replace('21.5', '"21.5"'));
  }
  if (options.kind === 'forged') {
    const text = datagram(1_000_000 + i);
    return Buffer.from(`${text.slice(0, -1)},"mac":"${randomBytes(32).toString('hex')}"}`);
  }
  // A datagram the device sent (its first of the boot), captured and sent again.
  return signed(datagram(0));
}

const payloads = Array.from({ length: VARIANTS }, (_, i) => build(i));
const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.connect(options.port, '127.0.0.1', resolve));
// A full send buffer makes send() fail asynchronously; the flood goes on regardless.
socket.on('error', () => {});

async function flood(): Promise<number> {
  if (options.stale) {
    socket.send(signed(datagram(100_000)));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const started = performance.now();
  let sent = 0;
  while (sent < options.count && performance.now() - started < options.timeLimitMs) {
    const due = Math.min(options.count, Math.floor(((performance.now() - started) * options.ratePerSecond) / 1000));
    for (; sent < due; sent++) socket.send(payloads[sent % VARIANTS] as Buffer);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return sent;
}

process.once('message', (message: { cmd: string }) => {
  if (message.cmd !== 'go') return;
  const startedAt = Date.now();
  void flood().then((sent) => {
    const result: FloodResult = { sent, startedAt, endedAt: Date.now() };
    process.send?.(result, () => {
      socket.close();
      process.disconnect();
    });
  });
});
process.send?.({ ready: true });
