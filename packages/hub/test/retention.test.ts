/** The retention job against a real SQLite file. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { DAY_MS, startRetention } from '../src/retention.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { until } from './telemetry-fixture.js';

async function storeWithHistory(t: { after(fn: () => Promise<void> | void): void }, now: number) {
  const dir = mkdtempSync(join(tmpdir(), 'picolink-retention-'));
  const store = await openSqliteStore({ path: join(dir, 'hub.db') });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ages = [40, 31, 29, 1];
  await store.insertTelemetry(ages.map((days) => ({ deviceId: 'pico-1', metric: 'temp_c', time: now - days * DAY_MS, value: days })));
  await store.insertEvents(ages.map((days) => ({ deviceId: 'pico-1', type: 'online', time: now - days * DAY_MS, data: {} })));
  return store;
}

it('deletes what is older than retentionDays on its interval and logs it', async (t) => {
  const now = Date.now();
  const store = await storeWithHistory(t, now);
  const logs: string[] = [];
  const job = startRetention({ store, retentionDays: 30, firstRunMs: 10, intervalMs: 20, log: (line) => logs.push(line), now: () => now });
  t.after(() => job.close());
  await until(() => logs.length === 1, 'first run');
  assert.match(logs[0] ?? '', /deleted 2 telemetry rows, 2 events, 0 audit records and 0 sessions older than 30 days/);
  const left = await store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: now + 1 });
  assert.deepEqual(
    left.map((r) => r.value),
    [29, 1],
  );
  // Later runs find nothing more to delete and stay quiet.
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(logs.length, 1);
  assert.deepEqual(await job.runNow(), { telemetry: 0, events: 0, audit: 0, sessions: 0 });
});

it('keeps everything when retentionDays is 0', async (t) => {
  const now = Date.now();
  const store = await storeWithHistory(t, now);
  const job = startRetention({ store, retentionDays: 0, firstRunMs: 1 });
  t.after(() => job.close());
  assert.equal(await job.runNow(), null);
  assert.equal((await store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: now + 1 })).length, 4);
});

it('logs a failing run and goes on; close waits for a run in progress', async (t) => {
  const now = Date.now();
  const store = await storeWithHistory(t, now);
  const logs: string[] = [];
  const apply = store.applyRetention.bind(store);
  store.applyRetention = () => Promise.reject(new Error('database is locked'));
  const job = startRetention({ store, retentionDays: 30, firstRunMs: 60_000, log: (line) => logs.push(line), now: () => now });
  assert.equal(await job.runNow(), null);
  assert.match(logs[0] ?? '', /retention: failed: database is locked/);
  store.applyRetention = apply;
  const running = job.runNow();
  assert.equal(job.runNow(), running, 'runs never overlap');
  await job.close();
  assert.equal((await running)?.telemetry, 2);
});
