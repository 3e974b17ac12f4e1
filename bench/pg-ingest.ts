/**
 * `npm run bench -- pg-ingest [--rows N]`: the PostgreSQL store beside the SQLite one, in
 * one run, on a throwaway PostgreSQL cluster with production durability (fsync and
 * synchronous commit on; shared_buffers 1 GB).
 *
 * 0. The stores alone: insertTelemetry in the telemetry writer's batches (5,000 rows),
 *    1,000,000 rows, PostgreSQL beside SQLite; what each takes when nothing else is
 *    measured (the figure the issue compares with COPY and multi-row INSERT). PostgreSQL
 *    with datagram keys (each datagram stored once across hubs, as the hub writes) beside
 *    without, and with bigger batches or two in flight, to see what would be faster.
 * 1. UDP telemetry through the hub's real ingest path (bench/ingest-hub.ts, its own
 *    process, sender in another; with datagram keys, so deduped) into PostgreSQL,
 *    alternating with the same into SQLite:
 *    datagrams stored per second, unpaced. Goal (issue 14): ≥ 100,000 readings/s into
 *    PostgreSQL.
 * 2. The same paced at 50,000/s: goal 0 lost.
 * 3. Bucketed and raw queries over N generated rows (default 10,000,000; the issue's size
 *    is `--rows 100000000`, which needs about 15 GB of disk and most of an hour), in both
 *    stores (bench/pg-query.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore, openSqliteStore } from '@picolink/hub';
import type { HubStore, TelemetryRow } from '@picolink/hub';
import { startPostgres } from '@picolink/test-kit/postgres';
import { fmt, ingestRun, median, printIngest } from './ingest.js';
import type { IngestResult } from './ingest.js';
import { benchQueries } from './pg-query.js';

const UNPACED_COUNT = 500_000;
const PACED_COUNT = 500_000;
const PACED_RATE = 50_000;
/** Unpaced runs into each store, alternating; medians are compared. */
const REPEATS = 2;
const DEFAULT_ROWS = 10_000_000;
const STORE_ROWS = 1_000_000;
/** The telemetry writer's largest batch (packages/hub/src/telemetry/writer.ts). */
const WRITER_BATCH = 5000;

interface StoreRun {
  /** Each row with a datagram key (one reading per datagram, as the UDP runs send), so the store dedupes. */
  keyed: boolean;
  /** Rows per insertTelemetry call. */
  batch: number;
  /** Calls in flight at once (each on its own pool connection). */
  inFlight: number;
  /** The datagrams of the run before again, through a second store on the database (a second hub): all left out. */
  again?: boolean;
}

let storeRuns = 0;

/** Rows per second `store` takes through insertTelemetry, STORE_ROWS rows in `run.batch`-row calls. */
async function storeRate(store: HubStore, run: StoreRun): Promise<number> {
  const boot = run.again ? storeRuns : ++storeRuns;
  const started = Date.now();
  const base = started - STORE_ROWS;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < STORE_ROWS) {
      const offset = next;
      next += run.batch;
      const batch: TelemetryRow[] = [];
      for (let i = offset; i < Math.min(offset + run.batch, STORE_ROWS); i++) {
        const row: TelemetryRow = { deviceId: `bench-${i % 10}`, metric: 'temp_c', time: base + i, value: 20 + (i % 100) / 10 };
        if (run.keyed) row.datagram = { boot, seq: i };
        batch.push(row);
      }
      await store.insertTelemetry(batch);
    }
  };
  await Promise.all(Array.from({ length: run.inFlight }, worker));
  return STORE_ROWS / ((Date.now() - started) / 1000);
}

/** The runs of part 0: the writer's way with and without dedupe, then ways that might be faster. */
const STORE_RUNS: readonly [string, StoreRun][] = [
  [`no keys, batches of ${fmt(WRITER_BATCH)}, 1 in flight`, { keyed: false, batch: WRITER_BATCH, inFlight: 1 }],
  [`deduped, batches of ${fmt(WRITER_BATCH)}, 1 in flight (the hub)`, { keyed: true, batch: WRITER_BATCH, inFlight: 1 }],
  [`the same datagrams again, from a second hub`, { keyed: true, batch: WRITER_BATCH, inFlight: 1, again: true }],
  [`deduped, batches of ${fmt(4 * WRITER_BATCH)}, 1 in flight`, { keyed: true, batch: 4 * WRITER_BATCH, inFlight: 1 }],
  [`deduped, batches of ${fmt(WRITER_BATCH)}, 2 in flight`, { keyed: true, batch: WRITER_BATCH, inFlight: 2 }],
  [`no keys, batches of ${fmt(WRITER_BATCH)}, 2 in flight`, { keyed: false, batch: WRITER_BATCH, inFlight: 2 }],
];

async function benchStoresAlone(postgresUrl: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'picolink-bench-store-'));
  try {
    const sqliteStore = await openSqliteStore({ path: join(dir, 'hub.db') });
    const sqliteRate = await storeRate(sqliteStore, { keyed: true, batch: WRITER_BATCH, inFlight: 1 }).finally(() => sqliteStore.close());
    console.log(`insertTelemetry alone, ${fmt(STORE_ROWS)} rows, one reading per datagram:`);
    console.log(`  ${'SQLite, batches of 5,000, 1 in flight (reference)'.padEnd(52)} ${fmt(sqliteRate).padStart(9)} rows/s`);
    const pgStore = await openPostgresStore({ url: postgresUrl, schema: 'bench_store' });
    // A second hub's store: it has not met the first one's datagrams before.
    const secondStore = await openPostgresStore({ url: postgresUrl, schema: 'bench_store' });
    try {
      for (const [label, run] of STORE_RUNS) {
        const rate = await storeRate(run.again ? secondStore : pgStore, run);
        console.log(`  ${`PostgreSQL, ${label}`.padEnd(52)} ${fmt(rate).padStart(9)} rows/s  ${(rate / sqliteRate).toFixed(2)}× SQLite`);
      }
    } finally {
      await Promise.all([pgStore.close(), secondStore.close()]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rowsOption(): number {
  const index = process.argv.indexOf('--rows');
  if (index < 0) return DEFAULT_ROWS;
  const rows = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(rows) || rows < 1000) {
    console.error(`--rows must be a whole number of at least 1000, not "${process.argv[index + 1] ?? ''}"`);
    process.exit(2);
  }
  return rows;
}

export async function benchPgIngest(): Promise<void> {
  const rows = rowsOption();
  const cluster = await startPostgres({ durable: true, settings: { shared_buffers: '1GB', max_wal_size: '8GB', checkpoint_timeout: '15min' } });
  try {
    console.log(`${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(2)} at start; PostgreSQL from ${cluster.binDir}, fsync and synchronous_commit on; one reading per datagram, 10 devices`);
    await benchStoresAlone(cluster.url);
    let schemas = 0;
    const intoPostgres = (count: number, rate: number): Promise<IngestResult> => ingestRun(count, rate, false, { postgresUrl: cluster.url, postgresSchema: `bench_ingest_${++schemas}` });
    const pgRuns: IngestResult[] = [];
    const sqliteRuns: IngestResult[] = [];
    for (let round = 0; round < REPEATS; round++) {
      pgRuns.push(await intoPostgres(UNPACED_COUNT, 0));
      sqliteRuns.push(await ingestRun(UNPACED_COUNT, 0, false));
    }
    const pgMedian = median(pgRuns.map((r) => r.perSecond));
    const sqliteMedian = median(sqliteRuns.map((r) => r.perSecond));
    const pgRun = pgRuns.find((r) => r.perSecond === pgMedian);
    const sqliteRun = sqliteRuns.find((r) => r.perSecond === sqliteMedian);
    if (pgRun) printIngest('UDP → PostgreSQL, unpaced (median)', pgRun, `(goal ≥ 100,000/s: ${pgMedian >= 100_000 ? 'met' : 'NOT met'})`);
    console.log(`${''.padEnd(40)} runs: ${pgRuns.map((r) => fmt(r.perSecond)).join(', ')}/s`);
    if (sqliteRun) printIngest('UDP → SQLite, unpaced (median, reference)', sqliteRun, '');
    console.log(`${''.padEnd(40)} runs: ${sqliteRuns.map((r) => fmt(r.perSecond)).join(', ')}/s`);
    console.log(`PostgreSQL / SQLite stored per second (medians): ${(pgMedian / sqliteMedian).toFixed(2)}×`);

    const paced = await intoPostgres(PACED_COUNT, PACED_RATE);
    const lost = paced.send.sent - paced.hub.accepted;
    printIngest(`UDP → PostgreSQL, paced ${fmt(PACED_RATE)}/s`, paced, `(goal 0 lost: ${lost === 0 && paced.send.sent === PACED_COUNT ? 'met' : `NOT met, ${fmt(lost)} lost`})`);

    await benchQueries({ rows, postgresUrl: cluster.url });
  } finally {
    await cluster.stop();
  }
}
