/**
 * Telemetry stored once across hubs (docs/scaling.md#telemetry): two hubs in this process
 * on one PostgreSQL database, each with its own UDP socket, and the same signed datagrams
 * sent to both. Nothing but the database ties the hubs together here: each reading is
 * stored once, each hub acks it (it is stored), datagrams of other boots and numbers are
 * all stored, a restarted hub (its sequence windows forgotten) stores nothing twice, the
 * deletion of expired datagram keys keeps the recent ones, and what both hubs kept while
 * PostgreSQL restarted is stored once when it is back.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TestContext } from 'node:test';
import pg from 'pg';
import type { TelemetryDatagram } from '@picolink/protocol';
import { startPostgres } from '@picolink/test-kit/postgres';
import { parseConfig } from '../src/config.js';
import { startHub } from '../src/hub.js';
import type { RunningHub } from '../src/hub.js';
import { openPostgresStore } from '../src/store/postgres.js';
import type { TelemetryRow } from '../src/store/store.js';
import { KEY, UdpPeer, until } from './telemetry-fixture.js';

const cluster = await startPostgres();
after(() => cluster.stop());

const DEVICE = 'pico-t';
const BASE = Date.now() - 60_000;

let databases = 0;

/** A new database of the cluster; its URL. */
async function freshDatabase(): Promise<string> {
  databases += 1;
  return cluster.createDatabase(`telemetry_${databases}`);
}

/** A query on the database at `url`, behind the hubs' backs. */
async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** A hub on the database at `url` with a UDP peer that sends to it as the device (signed). */
async function hubOn(t: TestContext, url: string): Promise<{ hub: RunningHub; peer: UdpPeer }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'picolink-cluster-telemetry-'));
  const config = parseConfig({
    dataDir,
    store: { postgres: url },
    http: { host: '127.0.0.1', port: 0, auth: false },
    gateway: { host: '127.0.0.1', port: 0 },
    telemetry: { host: '127.0.0.1', port: 0 },
    devices: [{ id: DEVICE, telemetryKey: KEY }],
  });
  const hub = await startHub({ config, storeRetryBackoff: { baseMs: 100, maxMs: 500 } });
  const peer = await UdpPeer.open(hub.telemetryPort, KEY);
  t.after(async () => {
    await peer.close();
    await hub.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { hub, peer };
}

/** Datagram `seq` of `boot`: two readings, device time BASE + seq, an ack asked for. */
function reading(seq: number, boot = 7): TelemetryDatagram {
  return { v: 1, device: DEVICE, boot, seq, t: seq, time: BASE + boot * 1000 + seq, readings: { temp_c: seq, rssi: -seq }, ack: true };
}

function ackedAll(peer: UdpPeer, boot: number, seqs: readonly number[]): boolean {
  return seqs.every((seq) => peer.acks.some(({ ack, authenticated }) => authenticated && ack.boot === boot && ack.ack === seq));
}

/** Every stored reading of the device as "metric@time=value", sorted. */
async function stored(hub: RunningHub): Promise<string[]> {
  const rows = await hub.store.queryTelemetry({ deviceId: DEVICE, from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100_000 });
  return rows.map((row) => `${row.metric}@${row.time}=${row.value}`).sort();
}

function expected(boot: number, seqs: readonly number[]): string[] {
  return seqs.flatMap((seq) => [`temp_c@${BASE + boot * 1000 + seq}=${seq}`, `rssi@${BASE + boot * 1000 + seq}=${-seq}`]);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Sends each datagram to both hubs, the first hub alternating, so either may write it first. */
async function sendToBoth(a: UdpPeer, b: UdpPeer, datagrams: readonly TelemetryDatagram[]): Promise<void> {
  for (const [i, datagram] of datagrams.entries()) {
    const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
    await first.send(datagram);
    await second.send(datagram);
  }
}

type Hub = Awaited<ReturnType<typeof hubOn>>;

/** Two hubs on a new database. */
async function twoHubs(t: TestContext): Promise<{ url: string; a: Hub; b: Hub }> {
  const url = await freshDatabase();
  return { url, a: await hubOn(t, url), b: await hubOn(t, url) };
}

/** Sends datagrams `seqs` of `boot` to both hubs and waits for both hubs' acks. */
async function throughBoth(a: Hub, b: Hub, seqs: readonly number[], boot = 7): Promise<void> {
  await sendToBoth(a.peer, b.peer, seqs.map((seq) => reading(seq, boot)));
  await until(() => ackedAll(a.peer, boot, seqs) && ackedAll(b.peer, boot, seqs), `acks of boot ${boot}, ${seqs[0]}..${seqs.at(-1)} from both hubs`, 10_000);
}

test('the same datagrams sent to two hubs are stored once, and both hubs ack each one', async (t) => {
  const { a, b } = await twoHubs(t);
  const seqs = range(1, 40);
  await throughBoth(a, b, seqs);
  assert.deepEqual(await stored(a.hub), expected(7, seqs).sort());
  assert.deepEqual(await stored(b.hub), await stored(a.hub), 'both hubs read the same rows');
  assert.equal(a.hub.telemetry.stats(DEVICE)?.accepted, 40, 'hub A accepted every datagram itself');
  assert.equal(b.hub.telemetry.stats(DEVICE)?.accepted, 40, 'and so did hub B');
});

test('datagrams of other boots, other numbers and other devices are all stored', async (t) => {
  const { a, b } = await twoHubs(t);
  // 1..10 to A alone, 11..20 to B alone, 21..30 to both; then a new boot, numbered from 1 again, to both.
  for (const seq of range(1, 10)) await a.peer.send(reading(seq));
  for (const seq of range(11, 20)) await b.peer.send(reading(seq));
  await sendToBoth(a.peer, b.peer, range(21, 30).map((seq) => reading(seq)));
  await until(() => ackedAll(a.peer, 7, [...range(1, 10), ...range(21, 30)]) && ackedAll(b.peer, 7, range(11, 30)), 'acks of boot 7', 10_000);
  await throughBoth(a, b, range(1, 10), 8);
  assert.deepEqual(await stored(b.hub), [...expected(7, range(1, 30)), ...expected(8, range(1, 10))].sort());
});

test('two stores writing overlapping batches at once, in opposite orders, store each datagram once', async () => {
  const url = await freshDatabase();
  const [one, two] = await Promise.all([openPostgresStore({ url }), openPostgresStore({ url })]);
  try {
    const batch = (round: number): TelemetryRow[] =>
      range(0, 1999).flatMap((seq) => {
        const datagram = { boot: round, seq };
        return ['x', 'y'].map((metric) => ({ deviceId: `dev-${seq % 5}`, metric, time: BASE + round * 10_000 + seq, value: seq, datagram }));
      });
    // Opposite orders take the datagrams' key locks in opposite orders unless the store sorts them.
    for (let round = 1; round <= 10; round++) await Promise.all([one.insertTelemetry(batch(round)), two.insertTelemetry(batch(round).reverse())]);
    const [row] = await sql<{ rows: string; distinct: string }>(url, 'SELECT count(*) AS rows, count(DISTINCT (series_id, time)) AS distinct FROM telemetry');
    assert.deepEqual(row, { rows: '40000', distinct: '40000' }, '10 rounds × 2,000 datagrams × 2 readings, once each');
    // Rows without a key are stored as before: every time.
    const plain: TelemetryRow = { deviceId: 'dev-0', metric: 'x', time: BASE, value: 1 };
    await one.insertTelemetry([plain]);
    await two.insertTelemetry([plain]);
    assert.equal((await one.queryTelemetry({ deviceId: 'dev-0', metric: 'x', from: BASE, to: BASE + 1 })).length, 2);
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
});

test('a restarted hub stores nothing twice, and deleting expired datagram keys keeps the recent ones', async (t) => {
  const hubs = await twoHubs(t);
  const { url, b } = hubs;
  let { a } = hubs;
  await throughBoth(a, b, range(1, 10));
  // Keys of 1..10 older than the window (by the database's clock): the next deletion takes them.
  await sql(url, "UPDATE telemetry_datagrams SET seen_at = now() - interval '11 minutes'");
  for (const seq of range(11, 20)) await b.peer.send(reading(seq));
  await until(() => ackedAll(b.peer, 7, range(11, 20)), 'B acks 11..20', 10_000);

  // Hub A starts again: it has forgotten every sequence number, so the database alone
  // keeps it from storing 11..20 (stored by B) again. Its first write deletes expired keys.
  await a.hub.close();
  a = await hubOn(t, url);
  for (const seq of range(11, 20)) await a.peer.send(reading(seq));
  await until(() => ackedAll(a.peer, 7, range(11, 20)), 'the restarted hub acks 11..20', 10_000);
  const keys = async (): Promise<number[]> => (await sql<{ seq: string }>(url, 'SELECT seq FROM telemetry_datagrams ORDER BY seq')).map((row) => Number(row.seq));
  // The deletion runs beside the writes: polled, at most 10 s.
  let left = await keys();
  for (let round = 0; round < 200 && left.length !== 10; round++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await keys();
  }
  assert.deepEqual(left, range(11, 20), 'the keys of 1..10 are gone, those of 11..20 kept');

  // And datagrams go on being stored once.
  await throughBoth(a, b, range(21, 30));
  assert.deepEqual(await stored(a.hub), expected(7, range(1, 30)).sort());
});

test('datagrams both hubs kept while PostgreSQL restarted are stored once when it is back', async (t) => {
  const { a, b } = await twoHubs(t);
  await throughBoth(a, b, range(1, 5));
  await cluster.shutdown();
  try {
    // Each hub keeps 6..15 in memory and retries; none is acked meanwhile.
    await sendToBoth(a.peer, b.peer, range(6, 15).map((seq) => reading(seq)));
    await until(() => a.hub.telemetry.writer.unreachableSince !== null && b.hub.telemetry.writer.unreachableSince !== null, 'both hubs find the database away', 10_000);
    assert.equal(ackedAll(a.peer, 7, [6]) || ackedAll(b.peer, 7, [6]), false, 'no ack while the database is away');
  } finally {
    await cluster.restart();
  }
  await until(() => ackedAll(a.peer, 7, range(6, 15)) && ackedAll(b.peer, 7, range(6, 15)), 'acks of 6..15 from both hubs', 20_000);
  assert.deepEqual(await stored(a.hub), expected(7, range(1, 15)).sort());
});
