/**
 * Garbage must not crowd out real telemetry (docs/hub.md#telemetry-ingest): refusing a
 * malformed, forged or replayed datagram costs the hub little more than receiving it at
 * all (the floor: a bare socket that only counts, measured in the same run), and less than
 * accepting a real one. The ingest runs in this process on a real socket; the datagrams
 * come from a child process, so process.cpuUsage() counts the receiving side only.
 */
import { strict as assert } from 'node:assert';
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { encodeTelemetry, ErrorCode } from '@picolink/protocol';
import type { BlasterOptions } from './udp-blaster.js';
import { datagram, KEY, sign, startIngestFixture, until } from './telemetry-fixture.js';

const COUNT = 8000;
const RATE = 10_000;

async function blast(port: number, payloads: string[]): Promise<void> {
  const options: BlasterOptions = { port, payloads, count: COUNT, ratePerSecond: RATE, timeLimitMs: 10_000 };
  const child = fork(fileURLToPath(new URL('./udp-blaster.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send(options);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the sender exited with ${String(code)}`))));
    });
  } finally {
    child.kill('SIGKILL');
  }
}

/**
 * Process CPU µs per datagram received while COUNT are sent; those the kernel drops (this
 * machine may be busy) are not counted, but at least half must arrive.
 */
async function cpuPerDatagram(port: number, payloads: string[], count: () => number, after?: () => Promise<void>): Promise<number> {
  const before = count();
  const start = process.cpuUsage();
  await blast(port, payloads);
  let last = -1;
  for (let round = 0; round < 100 && count() !== last; round++) {
    last = count();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(count() - before >= COUNT / 2, `only ${count() - before} of ${COUNT} datagrams arrived`);
  await after?.();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (count() - before);
}

test('refusing a malformed, forged or replayed datagram costs the hub little more than receiving it, and less than accepting a reading', { timeout: 60_000 }, async (t) => {
  const bare = createSocket('udp4');
  let bareCount = 0;
  bare.on('message', () => (bareCount += 1));
  await new Promise<void>((resolve) => bare.bind(0, '127.0.0.1', resolve));
  const floor = await cpuPerDatagram(bare.address().port, ['{"v":1}'], () => bareCount);
  await new Promise<void>((resolve) => bare.close(() => resolve()));

  const devices = Array.from({ length: 100 }, (_, i) => ({ id: `real-${i}`, telemetryKey: KEY }));
  const hub = await startIngestFixture({ devices: [...devices, { id: 'victim', telemetryKey: KEY }], telemetry: { maxPerDevicePerSecond: 1_000_000 } }, { rejectionIntervalMs: 60_000 });
  t.after(() => hub.close());
  const now = Date.now();
  const signed = (device: string, seq: number): string => encodeTelemetry(datagram(device, seq, { time: now + seq, readings: { temp_c: 21.5 }, ack: true }), sign(KEY));

  // The victim's stream has moved on: its datagram 0, captured, is older than the window.
  const peer = await hub.peer(KEY);
  await peer.send(signed('victim', 0));
  await peer.send(signed('victim', 100_000));
  await until(() => hub.ingest.stats('victim')?.accepted === 2, 'victim stream');

  const kinds: Record<string, string[]> = {
    accepted: Array.from({ length: COUNT }, (_, i) => signed(`real-${i % 100}`, Math.floor(i / 100))),
    malformed: ['temp=21.5', '{"v":1,"device":"real-1","boot":7,"se', `\u0000\u0001${'x'.repeat(80)}`],
    forged: Array.from({ length: 64 }, (_, i) => `${signed('victim', 200_000 + i).slice(0, -66)}${'0'.repeat(64)}"}`),
    replayed: [signed('victim', 0)],
  };
  const cpu: Record<string, number> = {};
  for (const [kind, payloads] of Object.entries(kinds)) {
    cpu[kind] = await cpuPerDatagram(hub.port, payloads, () => hub.ingest.stats().received, kind === 'accepted' ? () => hub.ingest.flush() : undefined);
  }
  const total = hub.ingest.stats();
  assert.ok((total.rejected[ErrorCode.TELEMETRY_MALFORMED] ?? 0) >= COUNT / 2);
  assert.ok((total.rejected[ErrorCode.TELEMETRY_BAD_MAC] ?? 0) >= COUNT / 2);
  assert.ok((total.rejected[ErrorCode.TELEMETRY_REPLAY] ?? 0) >= COUNT / 2);
  const figures = `floor ${floor.toFixed(1)} µs, ${Object.entries(cpu)
    .map(([kind, micros]) => `${kind} ${micros.toFixed(1)} µs`)
    .join(', ')}`;
  t.diagnostic(`CPU per datagram: ${figures}`);
  // One HMAC (about 2-3 µs) is the price of telling a forgery from a reading; the others
  // are refused on a glance at their bytes. Before these checks were reordered, each kind
  // cost 3-5 times the floor.
  const limits: Record<string, number> = { malformed: 2.5, forged: 3.5, replayed: 2.5 };
  for (const [kind, times] of Object.entries(limits)) {
    const micros = cpu[kind] ?? Infinity;
    assert.ok(micros < times * floor, `${kind}: ${micros.toFixed(1)} µs, more than ${times} × the floor (${figures})`);
    assert.ok(micros < (cpu.accepted ?? 0), `${kind} costs more than accepting a reading (${figures})`);
  }
});
