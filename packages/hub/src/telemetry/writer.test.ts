import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { openSqliteStore } from '../store/sqlite.js';
import type { HubStore, TelemetryRow } from '../store/store.js';
import { TelemetryWriter } from './writer.js';

/** An in-memory SQLite store that records the size of each insert. */
async function recordingStore(): Promise<{ store: HubStore; batches: number[] }> {
  const store = await openSqliteStore({ path: ':memory:' });
  const batches: number[] = [];
  const insert = store.insertTelemetry.bind(store);
  store.insertTelemetry = (rows: readonly TelemetryRow[]) => {
    batches.push(rows.length);
    return insert(rows);
  };
  return { store, batches };
}

const row = (i: number): TelemetryRow => ({ deviceId: 'd', metric: 'm', time: i, value: i });

test('writes a full batch at once and the rest after flushMs', async () => {
  const { store, batches } = await recordingStore();
  const writer = new TelemetryWriter(store, { flushMs: 30, maxRows: 100 });
  for (let i = 0; i < 250; i++) writer.add(row(i));
  assert.deepEqual(batches, [100], 'one write in flight at a time');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches, [100, 100], 'the next full batch follows at once, capped at maxRows');
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(batches, [100, 100, 50]);
  assert.equal(writer.counters.written, 250);
  await writer.close();
  await store.close();
});

test('close writes what is pending; later rows are dropped and counted', async () => {
  const { store, batches } = await recordingStore();
  const writer = new TelemetryWriter(store, { flushMs: 60_000 });
  writer.add(row(1));
  writer.add(row(2));
  await writer.close();
  assert.deepEqual(batches, [2]);
  writer.add(row(3));
  assert.deepEqual(writer.counters, { written: 2, failed: 0, dropped: 1, pending: 0, droppedOldest: 0, unreachableSince: null, retries: 0 });
  await store.close();
});

test('a failing store is logged and counted, and the writer goes on', async () => {
  const { store } = await recordingStore();
  const logs: string[] = [];
  const writer = new TelemetryWriter(store, { flushMs: 5, log: (line) => logs.push(line) });
  const insert = store.insertTelemetry;
  store.insertTelemetry = () => Promise.reject(new Error('disk full'));
  writer.add(row(1));
  await writer.flush();
  store.insertTelemetry = insert;
  writer.add(row(2));
  await writer.flush();
  assert.deepEqual(writer.counters, { written: 1, failed: 1, dropped: 0, pending: 0, droppedOldest: 0, unreachableSince: null, retries: 0 });
  assert.match(logs[0] ?? '', /1 rows could not be stored: disk full/);
  await writer.close();
  await store.close();
});

test('rows beyond maxPendingRows are dropped while the store is busy', async () => {
  const { store } = await recordingStore();
  let release: () => void = () => {};
  const insert = store.insertTelemetry.bind(store);
  store.insertTelemetry = async (rows) => {
    await new Promise<void>((resolve) => (release = resolve));
    return insert(rows);
  };
  const writer = new TelemetryWriter(store, { flushMs: 5, maxRows: 10, maxPendingRows: 20 });
  for (let i = 0; i < 40; i++) writer.add(row(i));
  assert.deepEqual({ ...writer.counters }, { written: 0, failed: 0, dropped: 10, pending: 20, droppedOldest: 0, unreachableSince: null, retries: 0 });
  for (let round = 0; round < 10 && writer.counters.written < 30; round++) {
    release();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(writer.counters.written, 30);
  await writer.close();
  await store.close();
});

test('afterCommit settles items once the rows queued before them are written, at once when nothing is queued', async () => {
  const { store, batches } = await recordingStore();
  const settled: [string, boolean][] = [];
  const writer = new TelemetryWriter<string>(store, { flushMs: 20, onSettled: (items, stored) => settled.push(...items.map((item): [string, boolean] => [item, stored])) });
  writer.afterCommit('idle');
  assert.deepEqual(settled, [['idle', true]], 'nothing queued: settled at once');
  writer.add(row(1));
  writer.afterCommit('one');
  writer.add(row(2));
  writer.afterCommit('two');
  assert.equal(settled.length, 1, 'not before the write');
  await writer.flush();
  assert.deepEqual(batches, [2]);
  assert.deepEqual(settled.slice(1), [
    ['one', true],
    ['two', true],
  ]);
  const insert = store.insertTelemetry;
  store.insertTelemetry = () => Promise.reject(new Error('disk full'));
  writer.add(row(3));
  writer.afterCommit('lost');
  await writer.flush();
  store.insertTelemetry = insert;
  assert.deepEqual(settled.at(-1), ['lost', false]);
  await writer.close();
  await store.close();
});

test('a batch is cut after the last row of a datagram that waits for its commit', async () => {
  const { store, batches } = await recordingStore();
  const settled: number[][] = [];
  const writer = new TelemetryWriter<number>(store, { flushMs: 60_000, maxRows: 10, onSettled: (items) => settled.push(items) });
  let release: () => void = () => {};
  const insert = store.insertTelemetry.bind(store);
  store.insertTelemetry = async (rows) => {
    await new Promise<void>((resolve) => (release = resolve));
    return insert(rows);
  };
  // The first write holds 10 rows; meanwhile three datagrams of 4 rows each queue up.
  for (let i = 0; i < 10; i++) writer.add(row(i));
  for (let d = 0; d < 3; d++) {
    for (let i = 0; i < 4; i++) writer.add(row(100 + d * 4 + i));
    writer.afterCommit(d);
  }
  const flushed = writer.flush();
  for (let round = 0; round < 10 && writer.counters.pending + (batches.length < 3 ? 1 : 0) > 0; round++) {
    release();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  release();
  await flushed;
  assert.deepEqual(batches, [10, 12], 'the second batch keeps the third datagram whole (12 rows, not 10)');
  assert.deepEqual(settled, [[0, 1, 2]]);
  await writer.close();
  await store.close();
});

/** An error as node-postgres gives it when the server is down. */
function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

test('while the store is unreachable, rows are kept in order with their notices, retried, and the oldest dropped past maxBufferedRows', async () => {
  const { store, batches } = await recordingStore();
  const logs: string[] = [];
  const settled: [string, boolean][] = [];
  const writer = new TelemetryWriter<string>(store, {
    flushMs: 5,
    maxRows: 4,
    maxBufferedRows: 6,
    retryBackoff: { baseMs: 10, maxMs: 20 },
    log: (line) => logs.push(line),
    onSettled: (items, stored) => settled.push(...items.map((item): [string, boolean] => [item, stored])),
  });
  const insert = store.insertTelemetry;
  store.insertTelemetry = () => Promise.reject(refused());
  writer.add(row(0));
  writer.afterCommit('a');
  await writer.flush();
  assert.notEqual(writer.counters.unreachableSince, null);
  assert.equal(settled.length, 0, 'a kept row is neither stored nor given up');
  for (let i = 1; i < 8; i++) {
    writer.add(row(i));
    writer.afterCommit(`r${i}`);
  }
  // 8 rows for 6 places: rows 0 and 1 go, and with them the notices attached to them.
  assert.deepEqual(writer.counters, { written: 0, failed: 0, dropped: 0, droppedOldest: 2, pending: 6, unreachableSince: writer.counters.unreachableSince, retries: 1 });
  assert.deepEqual(settled, [
    ['a', false],
    ['r1', false],
  ]);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(writer.counters.pending, 6, 'retried meanwhile, still kept');
  assert.equal(writer.counters.failed, 0);
  const retries = writer.counters.retries;
  assert.ok(retries >= 2, `the failed attempts are counted: ${retries}`);
  store.insertTelemetry = insert;
  for (let round = 0; round < 100 && (writer.counters.pending > 0 || writer.counters.unreachableSince !== null); round++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(
    (await store.queryTelemetry({ deviceId: 'd', from: 0, to: 100 })).map((r) => r.value),
    [2, 3, 4, 5, 6, 7],
    'the kept rows, in order',
  );
  assert.deepEqual(batches.slice(-2), [4, 2]);
  assert.deepEqual(
    settled.slice(2).map(([item, stored]) => `${item}:${stored}`),
    ['r2:true', 'r3:true', 'r4:true', 'r5:true', 'r6:true', 'r7:true'],
  );
  assert.match(logs.join('\n'), /the store is unreachable \(connect ECONNREFUSED/);
  assert.match(logs.join('\n'), /dropped the 2 oldest rows \(2 in all\)/);
  assert.match(logs.join('\n'), /the store is back after [\d.]+ s; 6 kept rows are being written/);
  assert.equal(writer.counters.retries, retries, 'a total since start: the store coming back does not reset it');
  await writer.close();
  await store.close();
});

test('close gives up the rows an unreachable store could not take, counting them as failed', async () => {
  const { store } = await recordingStore();
  const settled: [string, boolean][] = [];
  const writer = new TelemetryWriter<string>(store, { flushMs: 5, onSettled: (items, stored) => settled.push(...items.map((item): [string, boolean] => [item, stored])) });
  store.insertTelemetry = () => Promise.reject(refused());
  writer.add(row(1));
  writer.afterCommit('one');
  await writer.close();
  assert.equal(writer.counters.failed, 1);
  assert.equal(writer.counters.pending, 0);
  assert.deepEqual(settled, [['one', false]]);
  await store.close();
});

test('a batch is cut between datagrams, never inside one', async () => {
  const { store } = await recordingStore();
  const seen: TelemetryRow[][] = [];
  const insert = store.insertTelemetry.bind(store);
  store.insertTelemetry = (rows: readonly TelemetryRow[]) => {
    seen.push([...rows]);
    return insert(rows);
  };
  const writer = new TelemetryWriter(store, { flushMs: 60_000, maxRows: 10 });
  // Datagrams of 3 readings each: 10 rows would split the fourth.
  for (let seq = 0; seq < 5; seq++) {
    const datagram = { boot: 7, seq };
    for (let m = 0; m < 3; m++) writer.add({ deviceId: 'd', metric: `m${m}`, time: seq, value: m, datagram });
  }
  await writer.flush();
  assert.deepEqual(
    seen.map((batch) => batch.length),
    [9, 6],
  );
  for (const batch of seen) assert.equal(batch.length % 3, 0, 'whole datagrams in each batch');
  assert.equal(writer.counters.written, 15);
  await writer.close();
  await store.close();
});
