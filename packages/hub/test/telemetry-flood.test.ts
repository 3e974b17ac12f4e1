/**
 * Garbage must not crowd out real telemetry (docs/hub.md#telemetry-ingest): the hub spends
 * less CPU refusing a malformed, forged or replayed datagram than accepting a real one.
 * The ingest runs in this process on a real socket; the datagrams come from a child
 * process, so process.cpuUsage() counts the hub's side only.
 */
import { strict as assert } from 'node:assert';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { encodeTelemetry, ErrorCode } from '@picolink/protocol';
import type { BlasterOptions } from './udp-blaster.js';
import { datagram, KEY, sign, startIngestFixture, until } from './telemetry-fixture.js';

const COUNT = 8000;
const RATE = 16_000;

async function blast(port: number, payloads: string[]): Promise<void> {
  const options: BlasterOptions = { port, payloads, count: COUNT, ratePerSecond: RATE, timeLimitMs: 10_000 };
  const child = fork(fileURLToPath(new URL('./udp-blaster.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send(options);
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the sender exited with ${String(code)}`))));
  });
}

test('refusing a malformed, forged or replayed datagram costs the hub less CPU than accepting a real one', async (t) => {
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
    const before = hub.ingest.stats().received;
    const start = process.cpuUsage();
    await blast(hub.port, payloads);
    await until(() => hub.ingest.stats().received - before >= COUNT * 0.95, `${kind} datagrams received`, 5000);
    if (kind === 'accepted') await hub.ingest.flush();
    const used = process.cpuUsage(start);
    cpu[kind] = (used.user + used.system) / (hub.ingest.stats().received - before);
  }
  const total = hub.ingest.stats();
  assert.ok((total.rejected[ErrorCode.TELEMETRY_MALFORMED] ?? 0) >= COUNT * 0.95);
  assert.ok((total.rejected[ErrorCode.TELEMETRY_BAD_MAC] ?? 0) >= COUNT * 0.95);
  assert.ok((total.rejected[ErrorCode.TELEMETRY_REPLAY] ?? 0) >= COUNT * 0.95);
  const figures = Object.entries(cpu)
    .map(([kind, micros]) => `${kind} ${micros.toFixed(1)} µs`)
    .join(', ');
  t.diagnostic(`hub CPU per datagram: ${figures}`);
  const accepted = cpu.accepted ?? 0;
  for (const kind of ['malformed', 'forged', 'replayed']) assert.ok((cpu[kind] ?? Infinity) < accepted, `hub CPU per datagram: ${figures}`);
});
