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
  assert.deepEqual(writer.counters, { written: 2, failed: 0, dropped: 1, pending: 0 });
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
  assert.deepEqual(writer.counters, { written: 1, failed: 1, dropped: 0, pending: 0 });
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
  assert.deepEqual({ ...writer.counters }, { written: 0, failed: 0, dropped: 10, pending: 20 });
  for (let round = 0; round < 10 && writer.counters.written < 30; round++) {
    release();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(writer.counters.written, 30);
  await writer.close();
  await store.close();
});
