/**
 * Telemetry in SQLite: the hot path of the hub. Rows go in as multi-row INSERTs of
 * ROWS_PER_STATEMENT inside one transaction (a tenth of the per-row cost of one INSERT per
 * row); (device, metric) pairs are resolved to series ids through a cache so the hot path
 * never looks them up twice.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Database, Statement } from 'better-sqlite3';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { checkRange } from './query-bounds.js';
import type { TelemetryBucket, TelemetryQuery, TelemetryRow } from './store.js';

const ROWS_PER_STATEMENT = 128;
/** The series cache is dropped when it grows past this (it refills from the table). */
const MAX_CACHED_SERIES = 100_000;

export class SqliteTelemetry {
  /** deviceId → metric → series id. */
  private readonly seriesIds = new Map<string, Map<string, number>>();
  private cachedSeries = 0;
  private readonly insertSeries: Statement;
  private readonly selectSeries: Statement;
  private readonly insertOne: Statement;
  private readonly insertMany: Statement;
  private readonly selectRows: Statement;
  private readonly selectBuckets: Statement;
  private readonly selectMetrics: Statement;
  private readonly selectAllSeries: Statement;
  private readonly deleteOld: Statement;
  private readonly deleteEmptySeries: Statement;
  private readonly insertBatch: (rows: readonly TelemetryRow[]) => void;

  constructor(private readonly db: Database) {
    this.insertSeries = db.prepare('INSERT OR IGNORE INTO series (device_id, metric) VALUES (?, ?)');
    this.selectSeries = db.prepare('SELECT id FROM series WHERE device_id = ? AND metric = ?').pluck();
    this.insertOne = db.prepare('INSERT INTO telemetry (series_id, time, value) VALUES (?, ?, ?)');
    this.insertMany = db.prepare(`INSERT INTO telemetry (series_id, time, value) VALUES ${Array(ROWS_PER_STATEMENT).fill('(?, ?, ?)').join(', ')}`);
    const range = `s.device_id = @deviceId AND (@metric IS NULL OR s.metric = @metric) AND t.time >= @from AND t.time < @to`;
    this.selectRows = db.prepare(
      `SELECT s.device_id AS deviceId, s.metric AS metric, t.time AS time, t.value AS value
       FROM series s JOIN telemetry t ON t.series_id = s.id
       WHERE ${range} ORDER BY t.time, s.metric, t.rowid LIMIT @limit`,
    );
    // The bucket start is time - (time mod b), with a mod that is never negative, so buckets
    // line up on multiples of b for times before 1970 as well.
    this.selectBuckets = db.prepare(
      `SELECT s.metric AS metric, t.time - ((t.time % @bucketMs) + @bucketMs) % @bucketMs AS time,
              count(*) AS count, min(t.value) AS min, max(t.value) AS max, avg(t.value) AS avg
       FROM series s JOIN telemetry t ON t.series_id = s.id
       WHERE ${range} GROUP BY s.id, 2 ORDER BY s.metric, 2 LIMIT @limit`,
    );
    this.selectMetrics = db.prepare('SELECT metric FROM series WHERE device_id = ? ORDER BY metric').pluck();
    this.selectAllSeries = db.prepare('SELECT id FROM series').pluck();
    this.deleteOld = db.prepare('DELETE FROM telemetry WHERE rowid IN (SELECT rowid FROM telemetry WHERE series_id = ? AND time < ? LIMIT ?)');
    this.deleteEmptySeries = db.prepare('DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM telemetry WHERE series_id = series.id)');
    this.insertBatch = db.transaction((rows: readonly TelemetryRow[]) => this.insertRows(rows));
  }

  /** Inserts rows in one transaction. */
  insert(rows: readonly TelemetryRow[]): void {
    if (rows.length > 0) this.insertBatch(rows);
  }

  /**
   * Writes rows grouped by series, in arrival order within each series. Consecutive rows
   * then land on the same index leaf, so a batch dirties one run of pages per series
   * instead of jumping between series row by row (a third less time per row with 10
   * series, half with 100).
   */
  private insertRows(rows: readonly TelemetryRow[]): void {
    const groups = new Map<number, TelemetryRow[]>();
    for (const row of rows) {
      const id = this.seriesId(row.deviceId, row.metric);
      const group = groups.get(id);
      if (group) group.push(row);
      else groups.set(id, [row]);
    }
    const params: number[] = new Array<number>(ROWS_PER_STATEMENT * 3);
    let filled = 0;
    for (const [id, group] of groups) {
      for (const row of group) {
        params[filled++] = id;
        params[filled++] = row.time;
        params[filled++] = row.value;
        if (filled === params.length) {
          this.insertMany.run(params);
          filled = 0;
        }
      }
    }
    for (let i = 0; i < filled; i += 3) this.insertOne.run(params[i], params[i + 1], params[i + 2]);
  }

  private seriesId(deviceId: string, metric: string): number {
    // Two levels, so the hot path builds no key string per row.
    let metrics = this.seriesIds.get(deviceId);
    const cached = metrics?.get(metric);
    if (cached !== undefined) return cached;
    this.insertSeries.run(deviceId, metric);
    const id = this.selectSeries.get(deviceId, metric) as number;
    if (++this.cachedSeries > MAX_CACHED_SERIES) {
      this.seriesIds.clear();
      this.cachedSeries = 1;
      metrics = undefined;
    }
    if (!metrics) {
      metrics = new Map();
      this.seriesIds.set(deviceId, metrics);
    }
    metrics.set(metric, id);
    return id;
  }

  query(query: TelemetryQuery): TelemetryRow[] {
    const range = checkRange(query);
    if (range.from >= range.to) return [];
    return this.selectRows.all(range) as TelemetryRow[];
  }

  buckets(query: TelemetryQuery & { bucketMs: number }): TelemetryBucket[] {
    const range = checkRange(query);
    if (!Number.isSafeInteger(query.bucketMs) || query.bucketMs < 1) {
      throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `bucketMs must be a whole number of ms, at least 1, not ${String(query.bucketMs)}`);
    }
    if (range.from >= range.to) return [];
    return this.selectBuckets.all({ ...range, bucketMs: query.bucketMs }) as TelemetryBucket[];
  }

  metrics(deviceId: string): string[] {
    return this.selectMetrics.all(deviceId) as string[];
  }

  /**
   * Deletes rows older than `before`, `chunk` rows per transaction, series by series
   * (each delete walks the (series_id, time) index), then forgets series left empty.
   */
  async deleteBefore(before: number, chunk: number, stopped: () => boolean): Promise<number> {
    let total = 0;
    for (const seriesId of this.selectAllSeries.all() as number[]) {
      for (let round = 0; round < 1_000_000 && !stopped(); round++) {
        const { changes } = this.deleteOld.run(seriesId, before, chunk);
        total += changes;
        if (changes < chunk) break;
        await yieldToEventLoop();
      }
      if (stopped()) return total;
    }
    if (total > 0) {
      this.db.transaction(() => this.deleteEmptySeries.run())();
      this.seriesIds.clear();
      this.cachedSeries = 0;
    }
    return total;
  }
}
