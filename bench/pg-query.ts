/**
 * The query half of `npm run bench -- pg-ingest`: N generated readings (100 devices × 4
 * metrics, one reading per series every 10 s, ending now) in PostgreSQL and, as the
 * reference, the same readings in SQLite; then the bucketed and raw queries the dashboard
 * and the API make, through each store's own methods, timed per call.
 *
 * Rows are generated inside each database (generate_series, a recursive CTE), in time
 * order as a hub receives them, after a seed batch through the store's insertTelemetry
 * that adds the series and (PostgreSQL) the day partitions.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openPostgresStore, openSqliteStore } from '@picolink/hub';
import type { HubStore, TelemetryQuery, TelemetryRow } from '@picolink/hub';
import { fmt } from './ingest.js';

const DEVICES = 100;
const METRICS = ['temp_c', 'humidity', 'adc0', 'rssi'];
const STEP_MS = 10_000;
const DAY_MS = 86_400_000;
/** Calls of each query, each on another device. */
const CALLS = 20;

export interface QueryBenchOptions {
  rows: number;
  postgresUrl: string;
}

interface Layout {
  start: number;
  end: number;
  perSeries: number;
  seed: TelemetryRow[];
}

function layout(rows: number): Layout {
  const series = DEVICES * METRICS.length;
  const perSeries = Math.max(2, Math.ceil(rows / series));
  const end = Math.floor(Date.now() / STEP_MS) * STEP_MS;
  const start = end - perSeries * STEP_MS;
  const seed: TelemetryRow[] = [];
  for (let d = 0; d < DEVICES; d++) for (const metric of METRICS) seed.push({ deviceId: `q-${d}`, metric, time: start, value: 20 });
  // One seed row per day on one series makes every day's partition before the bulk insert.
  for (let day = Math.floor(start / DAY_MS) + 1; day * DAY_MS < end; day++) seed.push({ deviceId: 'q-0', metric: 'temp_c', time: day * DAY_MS + 1, value: 20 });
  return { start, end, perSeries, seed };
}

/** [from, to) chunks of one day each, on the step grid after the seed row. */
function dayChunks({ start, end }: Layout): Array<[number, number]> {
  const chunks: Array<[number, number]> = [];
  for (let from = start + STEP_MS; from < end; ) {
    const to = Math.min(end, (Math.floor(from / DAY_MS) + 1) * DAY_MS);
    chunks.push([from, to]);
    from = Math.ceil(to / STEP_MS) * STEP_MS;
  }
  return chunks;
}

async function generatePostgres(url: string, plan: Layout): Promise<{ seconds: number; bytes: number }> {
  const started = Date.now();
  const store = await openPostgresStore({ url, schema: 'bench_query' });
  await store.insertTelemetry(plan.seed);
  await store.close();
  const client = new pg.Client({ connectionString: url, options: '-c search_path=bench_query' });
  await client.connect();
  try {
    for (const [from, to] of dayChunks(plan)) {
      await client.query(
        `INSERT INTO telemetry (series_id, time, value)
         SELECT s.id, t, 20 + 10 * sin(t / 3.6e6 + s.id) + random()
         FROM generate_series($1::bigint, $2::bigint, $3::bigint) AS t, series s ORDER BY t, s.id`,
        [from, to - 1, STEP_MS],
      );
    }
    // What autovacuum does to an insert-only table in time: the visibility map lets the
    // bucketed queries read the index alone.
    await client.query('VACUUM (ANALYZE) telemetry');
    const { rows } = await client.query<{ bytes: string }>(
      "SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c WHERE c.relnamespace = 'bench_query'::regnamespace AND c.relname LIKE 'telemetry%' AND c.relkind = 'r'",
    );
    return { seconds: (Date.now() - started) / 1000, bytes: Number(rows[0]?.bytes ?? 0) };
  } finally {
    await client.end();
  }
}

async function generateSqlite(path: string, plan: Layout): Promise<{ seconds: number; bytes: number }> {
  const started = Date.now();
  const store = await openSqliteStore({ path, checkpointIntervalMs: 0 });
  await store.insertTelemetry(plan.seed);
  await store.close();
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -262144');
    const insert = db.prepare(
      `WITH RECURSIVE g(t) AS (SELECT ? UNION ALL SELECT t + ? FROM g WHERE t + ? < ?)
       INSERT INTO telemetry (series_id, time, value)
       SELECT s.id, g.t, 20 + (abs(random()) % 1000) / 100.0 FROM g, series s ORDER BY g.t, s.id`,
    );
    for (const [from, to] of dayChunks(plan)) insert.run(from, STEP_MS, STEP_MS, to);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
  return { seconds: (Date.now() - started) / 1000, bytes: statSync(path).size };
}

interface QueryCase {
  name: string;
  query(deviceId: string, plan: Layout): TelemetryQuery & { bucketMs?: number };
}

const HOUR = 3_600_000;
const CASES: QueryCase[] = [
  { name: '1 metric, last hour, 1-min buckets', query: (deviceId, { end }) => ({ deviceId, metric: 'temp_c', from: end - HOUR, to: end, bucketMs: 60_000 }) },
  { name: '1 metric, last day, 5-min buckets', query: (deviceId, { end }) => ({ deviceId, metric: 'temp_c', from: end - 24 * HOUR, to: end, bucketMs: 300_000 }) },
  { name: '4 metrics, last day, 15-min buckets', query: (deviceId, { end }) => ({ deviceId, from: end - 24 * HOUR, to: end, bucketMs: 900_000 }) },
  { name: '1 metric, all of it, 1-hour buckets', query: (deviceId, { start, end }) => ({ deviceId, metric: 'temp_c', from: start, to: end + 1, bucketMs: HOUR }) },
  { name: '1 metric, last hour, raw rows', query: (deviceId, { end }) => ({ deviceId, metric: 'temp_c', from: end - HOUR, to: end }) },
];

/**
 * Median and slowest of CALLS calls, in ms, each on another device, after the same calls
 * once untimed: figures with the pages in memory. Cold figures would measure which
 * database's pages the OS happened to keep (the one generated last), not the store.
 */
async function timeCase(store: HubStore, plan: Layout, testCase: QueryCase): Promise<{ median: number; max: number; results: number }> {
  const times: number[] = [];
  let results = 0;
  for (let call = 0; call < 2 * CALLS; call++) {
    const query = testCase.query(`q-${((call % CALLS) * 37) % DEVICES}`, plan);
    const started = process.hrtime.bigint();
    const answer = query.bucketMs === undefined ? await store.queryTelemetry(query) : await store.bucketTelemetry({ ...query, bucketMs: query.bucketMs });
    if (call >= CALLS) times.push(Number(process.hrtime.bigint() - started) / 1e6);
    results = answer.length;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] ?? 0, max: times[times.length - 1] ?? 0, results };
}

export async function benchQueries(options: QueryBenchOptions): Promise<void> {
  const plan = layout(options.rows);
  const total = plan.perSeries * DEVICES * METRICS.length + plan.seed.length - DEVICES * METRICS.length;
  const days = ((plan.end - plan.start) / DAY_MS).toFixed(1);
  console.log(`query bench: ${fmt(total)} rows (${DEVICES} devices × ${METRICS.length} metrics, one reading per series every ${STEP_MS / 1000} s over ${days} days)`);
  const dir = mkdtempSync(join(tmpdir(), 'picolink-bench-query-'));
  try {
    const pgMade = await generatePostgres(options.postgresUrl, plan);
    console.log(`  PostgreSQL: generated in ${pgMade.seconds.toFixed(0)} s (with VACUUM ANALYZE), telemetry ${fmt(pgMade.bytes / 1e6)} MB with indexes`);
    const sqlitePath = join(dir, 'hub.db');
    const sqliteMade = await generateSqlite(sqlitePath, plan);
    console.log(`  SQLite (reference): generated in ${sqliteMade.seconds.toFixed(0)} s (with ANALYZE), file ${fmt(sqliteMade.bytes / 1e6)} MB`);
    const pgStore = await openPostgresStore({ url: options.postgresUrl, schema: 'bench_query' });
    const sqliteStore = await openSqliteStore({ path: sqlitePath, checkpointIntervalMs: 0 });
    try {
      console.log(`  ${'query (median / slowest of 20 warm calls, ms)'.padEnd(42)} ${'PostgreSQL'.padStart(18)} ${'SQLite'.padStart(18)}  rows/buckets`);
      for (const testCase of CASES) {
        const onPg = await timeCase(pgStore, plan, testCase);
        const onSqlite = await timeCase(sqliteStore, plan, testCase);
        const cell = (r: { median: number; max: number }): string => `${r.median.toFixed(1)} / ${r.max.toFixed(1)}`.padStart(18);
        console.log(`  ${testCase.name.padEnd(42)} ${cell(onPg)} ${cell(onSqlite)}  ${onPg.results}${onPg.results === onSqlite.results ? '' : ` (SQLite ${onSqlite.results})`}`);
      }
    } finally {
      await pgStore.close();
      await sqliteStore.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
