/**
 * The PostgreSQL store against a real server (a throwaway cluster from the postgresql
 * package): the contract suite, each test in a fresh schema, plus what only this store
 * has — versioned migrations, day partitions that retention drops whole, the covering
 * index the bucketed queries read, and clear errors for a database it cannot use.
 */
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { ErrorCode } from '@picolink/protocol';
import { startPostgres } from '@picolink/test-kit/postgres';
import { openPostgresStore } from '../src/store/postgres.js';
import { redactPostgresUrl } from '../src/store/postgres-url.js';
import { PARTITION_MS, TelemetryPartitions } from '../src/store/postgres-partitions.js';
import { POSTGRES_SCHEMA_VERSION } from '../src/store/postgres-schema.js';
import { describeStoreContract } from './store-contract.js';

const cluster = await startPostgres();
after(() => cluster.stop());

let schemas = 0;
function freshSchema(): string {
  schemas += 1;
  return `store_${schemas}`;
}

/** A plain connection for looking behind the store, in `schema`. */
async function inspect<T>(schema: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: cluster.url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function partitionsOf(schema: string): Promise<string[]> {
  return inspect(schema, async (client) => {
    const { rows } = await client.query<{ name: string }>("SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry'::regclass ORDER BY 1");
    return rows.map((row) => row.name);
  });
}

describeStoreContract('postgres', () => openPostgresStore({ url: cluster.url, schema: freshSchema() }));

describe('PostgreSQL store', () => {
  const DAY = PARTITION_MS;
  const today = Math.floor(Date.now() / DAY) * DAY;

  it('records each migration once, keeps data across reopening, and a second hub opening the same schema changes nothing', async () => {
    const schema = freshSchema();
    const [first, second] = await Promise.all([openPostgresStore({ url: cluster.url, schema }), openPostgresStore({ url: cluster.url, schema })]);
    await first.upsertDevice({ id: 'pico-1', mode: 'dial-home', info: { rssi: -60 }, seenAt: 1000 });
    await first.insertTelemetry([{ deviceId: 'pico-1', metric: 'temp_c', time: today + 5, value: 21.5 }]);
    assert.deepEqual((await second.getDevice('pico-1'))?.info, { rssi: -60 });
    await Promise.all([first.close(), second.close()]);
    const third = await openPostgresStore({ url: cluster.url, schema });
    assert.deepEqual(await third.queryTelemetry({ deviceId: 'pico-1', from: today, to: today + DAY }), [{ deviceId: 'pico-1', metric: 'temp_c', time: today + 5, value: 21.5 }]);
    await third.close();
    const versions = await inspect(schema, async (client) => (await client.query<{ version: number }>('SELECT version FROM schema_version ORDER BY version')).rows.map((row) => row.version));
    assert.deepEqual(versions, Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('refuses a database written by a newer schema with PL_ERR_CONFIG', async () => {
    const schema = freshSchema();
    await (await openPostgresStore({ url: cluster.url, schema })).close();
    await inspect(schema, (client) => client.query('INSERT INTO schema_version (version) VALUES ($1)', [POSTGRES_SCHEMA_VERSION + 1]));
    await assert.rejects(openPostgresStore({ url: cluster.url, schema }), (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCode.CONFIG);
      assert.match(err.message, /newer than this picolink understands/);
      return true;
    });
  });

  it('refuses a server that does not answer, and a bad schema name, with PL_ERR_CONFIG and no password in the message', async () => {
    const url = `postgres://hub:s3cret@127.0.0.1:1/picolink`;
    await assert.rejects(openPostgresStore({ url, connectTimeoutMs: 2000 }), (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCode.CONFIG);
      assert.doesNotMatch(err.message, /s3cret/);
      assert.match(err.message, /127\.0\.0\.1:1/);
      return true;
    });
    await assert.rejects(openPostgresStore({ url: cluster.url, schema: 'Robert"; DROP' }), { code: ErrorCode.CONFIG });
    assert.equal(redactPostgresUrl(url), 'postgres://hub:***@127.0.0.1:1/picolink');
  });

  it('works for a user who owns only its schema, without the right to create schemas', async () => {
    await inspect('public', async (client) => {
      await client.query('CREATE ROLE hub_only LOGIN');
      await client.query('REVOKE CREATE ON DATABASE postgres FROM PUBLIC');
      await client.query('CREATE SCHEMA hub_only_schema AUTHORIZATION hub_only');
    });
    const url = cluster.url.replace('postgres://postgres@', 'postgres://hub_only@');
    const store = await openPostgresStore({ url, schema: 'hub_only_schema' });
    await store.insertTelemetry([{ deviceId: 'pico-1', metric: 'v', time: today + 1, value: 1 }]);
    assert.equal((await store.queryTelemetry({ deviceId: 'pico-1', from: today, to: today + 2 })).length, 1);
    await store.close();
    await assert.rejects(openPostgresStore({ url, schema: 'elsewhere' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCode.CONFIG);
      assert.match(err.message, /permission denied/);
      return true;
    });
  });

  it('stores telemetry in day partitions made ahead of time, and retention drops whole days, counting their rows', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: cluster.url, schema });
    const made = await partitionsOf(schema);
    for (const day of [0, 1, 2]) assert.ok(made.includes(`telemetry_p${today / DAY + day}`), `partition ${day} days ahead: ${made.join(', ')}`);

    const rows = [];
    for (let day = -3; day <= 0; day++) {
      for (let i = 0; i < 100; i++) rows.push({ deviceId: 'pico-1', metric: 'temp_c', time: today + day * DAY + i * 1000, value: i });
    }
    await store.insertTelemetry(rows);
    const before = await partitionsOf(schema);
    for (const day of [-3, -2, -1]) assert.ok(before.includes(`telemetry_p${today / DAY + day}`));

    // Two whole days and half of the third: 200 rows dropped with their tables, 50 deleted.
    const result = await store.applyRetention(today - DAY + 50_000);
    assert.equal(result.telemetry, 250);
    const afterRetention = await partitionsOf(schema);
    assert.ok(!afterRetention.includes(`telemetry_p${today / DAY - 3}`) && !afterRetention.includes(`telemetry_p${today / DAY - 2}`), afterRetention.join(', '));
    assert.ok(afterRetention.includes(`telemetry_p${today / DAY - 1}`));
    assert.equal((await store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: today + DAY, limit: 1000 })).length, 150);
    await store.close();
  });

  it('keeps a reading outside the partition window in the default partition, and moves it when its day is created', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: cluster.url, schema });
    const farAhead = today + 30 * DAY + 7;
    const ancient = 86_400_000 * 3 + 5;
    await store.insertTelemetry([
      { deviceId: 'pico-1', metric: 'v', time: farAhead, value: 1 },
      { deviceId: 'pico-1', metric: 'v', time: ancient, value: 2 },
    ]);
    assert.ok(!(await partitionsOf(schema)).includes(`telemetry_p${today / DAY + 30}`), 'no table for a day 30 days ahead');
    const outside = async (): Promise<string> => inspect(schema, async (client) => (await client.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_outside')).rows[0]?.n ?? '');
    assert.equal(await outside(), '2');

    // 29 days later, that day is tomorrow: the hub makes its partition ahead.
    const pool = new pg.Pool({ connectionString: cluster.url, options: `-c search_path=${schema}` });
    const partitions = new TelemetryPartitions(pool);
    await partitions.open(farAhead - DAY);
    await pool.end();
    assert.ok((await partitionsOf(schema)).includes(`telemetry_p${today / DAY + 30}`));
    assert.equal(await outside(), '1');
    assert.deepEqual(
      (await store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: farAhead + 1 })).map((row) => row.value),
      [2, 1],
    );
    await store.close();
  });

  it('answers a bucketed query from the index of the one partition its range covers', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: cluster.url, schema });
    await store.insertTelemetry(Array.from({ length: 20_000 }, (_, i) => ({ deviceId: 'pico-1', metric: `m${i % 4}`, time: today + i * 10, value: i })));
    const plan = await inspect(schema, async (client) => {
      await client.query('VACUUM ANALYZE telemetry');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT series_id, time - time % 60000 AS b, count(*), min(value), max(value), avg(value) FROM telemetry
         WHERE series_id = ANY('{1}'::integer[]) AND time >= ${today} AND time < ${today + DAY} GROUP BY 1, 2`,
      );
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    assert.match(plan, /Index (Only )?Scan (using|on) telemetry_p\d+_series_id_time_value_idx/, plan);
    assert.doesNotMatch(plan, /Seq Scan/, plan);
    assert.equal(plan.match(/ on telemetry_p\d+ /g)?.length, 1, plan);
    await store.close();
  });
});
