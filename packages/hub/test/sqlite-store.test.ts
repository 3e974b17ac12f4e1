/** The SQLite store: the contract suite on a real file, plus what only a file can show. */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ErrorCode } from '@picolink/protocol';
import { openSqliteStore } from '../src/store/sqlite.js';
import { SCHEMA_VERSION } from '../src/store/sqlite-schema.js';
import { describeStoreContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'picolink-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function freshFile(): string {
  files += 1;
  return join(dir, `store-${files}`, 'hub.db');
}

// Checkpoints stay with SQLite here (no worker per store) to keep the suite quick; the
// worker is exercised below and by every other test that opens a store with defaults.
describeStoreContract('sqlite', () => openSqliteStore({ path: freshFile(), retentionChunk: 7_000, checkpointIntervalMs: 0 }));

describe('SQLite store file', () => {
  it('keeps everything across closing and reopening the file', async () => {
    const path = freshFile();
    const first = await openSqliteStore({ path });
    await first.upsertDevice({ id: 'pico-1', mode: 'dial-home', address: '10.0.0.5:4000', info: { rssi: -60 }, seenAt: 1000 });
    const session = await first.openSession({ deviceId: 'pico-1', mode: 'dial-home', address: null, openedAt: 1000 });
    await first.insertTelemetry([
      { deviceId: 'pico-1', metric: 'temp_c', time: 1000, value: 21.5 },
      { deviceId: 'pico-1', metric: 'temp_c', time: 2000, value: 22 },
    ]);
    await first.insertEvents([{ deviceId: 'pico-1', type: 'online', time: 1000, data: { address: '10.0.0.5:4000' } }]);
    await first.insertAudit({ time: 1500, actor: 'api:admin', deviceId: 'pico-1', action: 'ping', request: { action: 'ping' }, result: 'ok', response: { ok: true } });
    await first.saveOutputState({ deviceId: 'pico-1', pin: 'LED', setup: null, value: 1, leaseUntil: null, leaseValue: null, leaseWrite: null, updatedAt: 1500 });
    await first.close();

    const second = await openSqliteStore({ path });
    assert.deepEqual((await second.getDevice('pico-1'))?.info, { rssi: -60 });
    assert.equal((await second.listSessions('pico-1'))[0]?.id, session);
    assert.deepEqual(
      (await second.queryTelemetry({ deviceId: 'pico-1', from: 0, to: 10_000 })).map((r) => r.value),
      [21.5, 22],
    );
    assert.equal((await second.listEvents({}))[0]?.type, 'online');
    assert.equal((await second.listAudit({}))[0]?.actor, 'api:admin');
    assert.equal((await second.loadOutputStates('pico-1'))[0]?.pin, 'LED');
    // New rows after reopening land in the same series.
    await second.insertTelemetry([{ deviceId: 'pico-1', metric: 'temp_c', time: 3000, value: 23 }]);
    assert.deepEqual(await second.listMetrics('pico-1'), ['temp_c']);
    await second.close();
  });

  it('uses WAL, records the schema version and the telemetry index', async () => {
    const path = freshFile();
    const store = await openSqliteStore({ path });
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM telemetry_rows WHERE device_id = 'a' AND metric = 'b' AND time >= 1 AND time < 2").all() as { detail: string }[];
      assert.ok(
        plan.some((step) => step.detail.includes('telemetry_series_time')),
        JSON.stringify(plan),
      );
    } finally {
      db.close();
    }
  });

  it('upgrades a file of schema 1 (before managed devices) in place, keeping its data', async () => {
    const path = freshFile();
    const first = await openSqliteStore({ path });
    await first.upsertDevice({ id: 'pico-1', mode: 'dial-home', seenAt: 1000 });
    await first.close();
    const db = new Database(path);
    db.exec('DROP TABLE managed_devices; DROP TABLE saved_messages');
    db.pragma('user_version = 1');
    db.close();
    const second = await openSqliteStore({ path });
    assert.equal((await second.getDevice('pico-1'))?.id, 'pico-1');
    await second.addManagedDevice({ id: 'pico-2', tokenHash: '00'.repeat(32), telemetryKey: '11'.repeat(32), createdAt: 2000 });
    assert.deepEqual((await second.listManagedDevices()).map((d) => d.id), ['pico-2']);
    await second.close();
  });

  it('refuses a file written by a newer schema with PL_ERR_CONFIG', async () => {
    const path = freshFile();
    await (await openSqliteStore({ path })).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await assert.rejects(openSqliteStore({ path }), (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCode.CONFIG);
      assert.match(err.message, /newer than this picolink understands/);
      return true;
    });
  });

  it('refuses a file that is not a database with PL_ERR_CONFIG', async () => {
    const path = join(dir, 'not-a-db.txt');
    writeFileSync(path, 'this is not an SQLite database, just some text long enough to fill a header page'.repeat(20));
    await assert.rejects(openSqliteStore({ path }), { code: ErrorCode.CONFIG });
  });

  it('checkpoints the WAL from a worker thread while the store is open', async () => {
    const path = freshFile();
    const store = await openSqliteStore({ path, checkpointIntervalMs: 20 });
    const before = statSync(path).size;
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ deviceId: 'pico-1', metric: `m${i % 5}`, time: 1000 + i, value: i }));
    await store.insertTelemetry(rows);
    // About 500 pages: below SQLite's own automatic checkpoint (1000), so only the worker
    // can have copied them into the database file.
    const deadline = Date.now() + 5000;
    while (statSync(path).size < before + 500_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(statSync(path).size >= before + 500_000, `database file ${statSync(path).size} bytes`);
    assert.equal((await store.queryTelemetry({ deviceId: 'pico-1', metric: 'm0', from: 0, to: 100_000, limit: 100_000 })).length, 10_000);
    await store.close();
    assert.equal(existsSync(`${path}-wal`), false, 'closing removes the WAL');
  });

  it('works in memory', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    await store.insertTelemetry([{ deviceId: 'x', metric: 'm', time: 1, value: 2 }]);
    assert.equal((await store.queryTelemetry({ deviceId: 'x', from: 0, to: 5 })).length, 1);
    await store.close();
  });
});
