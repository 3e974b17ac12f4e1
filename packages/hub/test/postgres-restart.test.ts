/**
 * A restart of PostgreSQL while a hub runs on it (docs/scaling.md#when-the-database-restarts):
 * the hub keeps serving its connected device, keeps the telemetry that arrives meanwhile in
 * memory (acking none of it), writes it in order when the server is back, stores a resend
 * of a kept reading once, and past telemetry.maxBufferedRows drops the oldest and says so.
 * A real server (a throwaway cluster, shut down with `pg_ctl stop -m fast` and started again
 * on the same port and data directory), a real dial-home device, real UDP datagrams.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TestContext } from 'node:test';
import { DeviceRuntime, dialHome, SimulatedBackend } from '@picolink/device';
import { startPostgres } from '@picolink/test-kit/postgres';
import { parseConfig } from '../src/config.js';
import { startHub } from '../src/hub.js';
import type { RunningHub } from '../src/hub.js';
import { datagram, UdpPeer, until } from './telemetry-fixture.js';

const cluster = await startPostgres();
after(() => cluster.stop());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let databases = 0;

/** A hub on its own database of the cluster, with its log lines kept. */
async function hubOnPostgres(t: TestContext, maxBufferedRows?: number): Promise<{ hub: RunningHub; logs: string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'picolink-pg-restart-'));
  databases += 1;
  const url = await cluster.createDatabase(`restart_${databases}`);
  const config = parseConfig({
    dataDir,
    store: { postgres: url },
    http: { host: '127.0.0.1', port: 0, auth: false },
    gateway: { host: '127.0.0.1', port: 0, acceptUnknownDevices: true },
    telemetry: { host: '127.0.0.1', port: 0, ...(maxBufferedRows === undefined ? {} : { maxBufferedRows }) },
  });
  const logs: string[] = [];
  const hub = await startHub({ config, log: (line) => logs.push(line), storeRetryBackoff: { baseMs: 100, maxMs: 500 } });
  t.after(async () => {
    // The server is up again by then unless the test failed midway; then close() gives up the kept rows.
    await cluster.restart();
    await hub.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { hub, logs };
}

async function storedValues(hub: RunningHub, deviceId: string): Promise<number[]> {
  const rows = await hub.store.queryTelemetry({ deviceId, from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100_000 });
  return rows.map((row) => row.value).sort((a, b) => a - b);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

test('a PostgreSQL restart: the hub keeps serving, keeps the telemetry, and stores each reading once when the server is back', async (t) => {
  const { hub, logs } = await hubOnPostgres(t);
  const runtime = new DeviceRuntime({ deviceId: 'pico-dial', backend: new SimulatedBackend() });
  await runtime.start();
  const link = dialHome({ runtime, hub: { host: '127.0.0.1', port: hub.gatewayPort }, backoff: { baseMs: 20, maxMs: 200 } });
  t.after(async () => {
    await link.close();
    await runtime.close();
  });
  await until(() => hub.directory.isOnline('pico-dial'), 'the dial-home device online', 10_000);
  const peer = await UdpPeer.open(hub.telemetryPort);
  t.after(() => peer.close());
  const acked = (seq: number): boolean => peer.acks.some(({ ack }) => ack.ack === seq);

  // Readings 0..4 before: stored and acked.
  for (let seq = 0; seq < 5; seq++) await peer.send(datagram('pico-udp', seq, { ack: true }));
  await until(() => range(0, 5).every(acked), 'acks before the restart', 5000);

  await cluster.shutdown();
  // Readings 5..44 during the outage, every other one asking for an ack, each of those resent
  // once (a device that heard no ack): none is acked while the database is away.
  for (let seq = 5; seq < 45; seq++) {
    await peer.send(datagram('pico-udp', seq, { ack: seq % 2 === 0 }));
    if (seq % 2 === 0 && seq > 7) await peer.send(datagram('pico-udp', seq - 2, { ack: true }));
    await sleep(50);
  }
  await until(() => hub.telemetry.writer.unreachableSince !== null, 'the writer sees the database gone', 5000);
  assert.ok(logs.some((line) => /telemetry: the store is unreachable/.test(line)), logs.join('\n'));
  assert.deepEqual(
    range(5, 45).filter(acked),
    [],
    'no reading is acked before it is stored',
  );
  // Between two retries every reading of the outage is in the queue (none failed, none dropped).
  await until(() => hub.telemetry.writer.pending === 40, 'every reading of the outage kept in memory', 3000);
  assert.equal(hub.telemetry.writer.failed, 0);

  // The connected device is still served: a command through the API.
  const answer = await fetch(`${hub.httpUrl}/api/devices/pico-dial/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'read_adc', channel: 4 }),
  });
  const text = await answer.text();
  assert.equal(answer.status, 200, text);
  assert.equal((JSON.parse(text) as { ok: boolean }).ok, true);

  // What needs the database answers 500 PL_ERR_INTERNAL meanwhile, and the hub goes on.
  const query = await fetch(`${hub.httpUrl}/api/devices/pico-udp/telemetry?from=-1h`);
  assert.equal(query.status, 500);
  assert.equal(((await query.json()) as { code: string }).code, 'PL_ERR_INTERNAL');

  await cluster.restart();
  await until(() => hub.telemetry.writer.unreachableSince === null && hub.telemetry.writer.pending === 0, 'the kept rows written', 15_000);
  // Resends after the server is back change nothing either.
  await peer.send(datagram('pico-udp', 44, { ack: true }));
  await until(() => range(5, 45).filter((seq) => seq % 2 === 0).every(acked), 'acks of the kept readings', 5000);
  await hub.telemetry.flush();
  assert.deepEqual(await storedValues(hub, 'pico-udp'), range(20, 65), 'each reading stored once');
  assert.equal(hub.telemetry.writer.droppedOldest, 0);
  assert.ok(logs.some((line) => /telemetry: the store is back after [\d.]+ s; 40 kept rows are being written/.test(line)), logs.join('\n'));
  assert.equal(hub.directory.isOnline('pico-dial'), true);
});

test('past telemetry.maxBufferedRows the oldest readings of an outage are dropped, counted and logged', async (t) => {
  const { hub, logs } = await hubOnPostgres(t, 10);
  const peer = await UdpPeer.open(hub.telemetryPort);
  t.after(() => peer.close());
  await peer.send(datagram('pico-udp', 0, { ack: true }));
  await until(() => peer.acks.length === 1, 'the first reading stored', 5000);

  await cluster.shutdown();
  for (let seq = 1; seq <= 30; seq++) {
    await peer.send(datagram('pico-udp', seq));
    await sleep(20);
  }
  await until(() => hub.telemetry.writer.droppedOldest === 20, 'the 20 oldest dropped', 5000);
  await until(() => hub.telemetry.writer.pending === 10, 'the newest 10 kept', 3000);
  await cluster.restart();
  await until(() => hub.telemetry.writer.pending === 0 && hub.telemetry.writer.unreachableSince === null, 'the kept rows written', 15_000);
  assert.deepEqual(await storedValues(hub, 'pico-udp'), [20, ...range(41, 51)], 'the newest 10 kept');
  assert.equal(hub.telemetry.writer.failed, 0);
  const dropped = logs.filter((line) => /telemetry: dropped the \d+ oldest rows/.test(line));
  assert.ok(dropped.length > 0, logs.join('\n'));
  assert.match(dropped.at(-1) ?? '', /\(20 in all\)/);
});
