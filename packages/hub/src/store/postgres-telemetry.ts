/**
 * Telemetry in PostgreSQL. A batch goes in as one `INSERT … SELECT FROM unnest(...)` of
 * three arrays (series ids, times, values): one statement and one round trip whatever the
 * batch size, about three times the rows per second of multi-row INSERTs. (device,
 * metric) pairs resolve to series ids through a cache; series rows are never deleted (a
 * metric whose rows all expired is left out of listMetrics by its emptiness), so a cached
 * id stays valid whatever retention or another hub does meanwhile.
 *
 * Queries first look up the device's series, then read the telemetry index alone: the
 * (series_id, time) INCLUDE (value) index answers a time range, in time order, and the
 * bucket aggregates, without touching the table.
 */
import type { Pool } from 'pg';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { checkRange } from './query-bounds.js';
import type { TelemetryPartitions } from './postgres-partitions.js';
import type { TelemetryBucket, TelemetryQuery, TelemetryRow } from './store.js';

/**
 * How long the keys of stored datagrams are kept, in ms: as long as the ingest accepts a
 * new boot's signed datagram by its time (TelemetryIngestOptions.maxNewBootAgeMs, by
 * default), and far longer than a datagram sent to several hubs, or resent until acked,
 * takes to reach them.
 */
const DATAGRAM_KEY_WINDOW_MS = 600_000;
/** Shortest time between two deletions of expired datagram keys by one hub, in ms. */
const KEY_CLEANUP_EVERY_MS = 60_000;
/** Rows from which a batch of datagrams is written in two parts at once (see inParts). */
const PARALLEL_ROWS = 2000;

/** After a batch met a datagram another hub stored, this hub's writes check for such datagrams for this long, in ms. */
const CONFLICT_CHECK_MS = 10_000;
/** SQLSTATE unique_violation: a datagram key was stored already. */
const UNIQUE_VIOLATION = '23505';

/**
 * A batch of datagrams none of which is stored yet, in one statement: their keys (in key
 * order, see INSERT_DEDUPED) and all their readings. When a key is there already, the
 * statement fails whole with UNIQUE_VIOLATION and the batch goes in by INSERT_DEDUPED.
 * Otherwise this is about half the work of that (1.6–2× the rows per second, the two
 * statements measured side by side), and it is the usual case: a datagram reaches two
 * hubs only when a device sends to both, or resends to another hub what its first stored
 * but did not ack.
 */
const INSERT_KEYED = `
  WITH added AS (
         INSERT INTO telemetry_datagrams (series_id, boot, seq)
         SELECT * FROM unnest($4::integer[], $5::bigint[], $6::bigint[]) AS g(series_id, boot, seq) ORDER BY 1, 2, 3)
  INSERT INTO telemetry (series_id, time, value)
  SELECT * FROM unnest($1::integer[], $2::bigint[], $3::float8[])`;

/**
 * A batch in one statement, so that it is stored all or none. The datagrams' keys go into
 * telemetry_datagrams first, in key order (two hubs inserting overlapping batches then
 * take the key locks in the same order and never deadlock); a key another transaction is
 * inserting waits for it to commit or roll back. The readings are kept of the datagrams
 * whose key this statement added, and of rows without a key (datagram 0).
 */
const INSERT_DEDUPED = `
  WITH given AS (
         SELECT * FROM unnest($4::integer[], $5::bigint[], $6::bigint[]) WITH ORDINALITY AS g(series_id, boot, seq, n)),
       added AS (
         INSERT INTO telemetry_datagrams (series_id, boot, seq)
         SELECT series_id, boot, seq FROM given ORDER BY series_id, boot, seq
         ON CONFLICT DO NOTHING
         RETURNING series_id, boot, seq),
       kept AS (
         SELECT given.n FROM given JOIN added USING (series_id, boot, seq))
  INSERT INTO telemetry (series_id, time, value)
  SELECT r.series_id, r.time, r.value
  FROM unnest($1::integer[], $2::bigint[], $3::float8[], $7::integer[]) AS r(series_id, time, value, n)
  WHERE r.n = 0 OR r.n IN (SELECT n FROM kept)`;

/** The series cache is dropped when it grows past this (it refills from the table). */
const MAX_CACHED_SERIES = 100_000;
/** Lookups of new series before giving up (another hub may be adding the same ones). */
const SERIES_ATTEMPTS = 3;

interface SeriesRow {
  id: number;
  device_id: string;
  metric: string;
}

/**
 * A PostgreSQL array literal of numbers. Numbers need no quoting, so this skips the
 * driver's general array encoding, which checks and escapes each element (0.7–1.4 µs of
 * CPU per row for the three arrays, against 0.4 µs here, measured on the project's
 * machine). Safe integers print as digits, and any other double in a form float8 reads
 * back exactly.
 */
function arrayLiteral(numbers: readonly number[]): string {
  return `{${numbers.join(',')}}`;
}

interface BatchDatagrams {
  /** Each datagram's lowest series id: it names the device (a series is one device's) as a number. */
  series: number[];
  boots: number[];
  seqs: number[];
  /** For each row, its datagram's position in the lists above from 1, or 0 for a row without a key. */
  ofRow: number[];
}

/**
 * The datagrams of a batch, or undefined when no row has a key; `ids` are the rows' series
 * ids. The rows of one datagram come one after another and share their key object
 * (TelemetryRow.datagram), so a datagram is listed once; one listed twice (its rows apart)
 * is stored or left out as a whole too.
 */
function datagramsOf(rows: readonly TelemetryRow[], ids: readonly number[]): BatchDatagrams | undefined {
  let found: BatchDatagrams | undefined;
  let last: TelemetryRow['datagram'];
  let lastDevice = '';
  const ofRow = new Array<number>(rows.length);
  rows.forEach((row, i) => {
    const key = row.datagram;
    if (key === undefined) {
      ofRow[i] = 0;
      return;
    }
    const id = ids[i] as number;
    found ??= { series: [], boots: [], seqs: [], ofRow };
    const n = found.series.length;
    if (key !== last || row.deviceId !== lastDevice) {
      found.series.push(id);
      found.boots.push(key.boot);
      found.seqs.push(key.seq);
      last = key;
      lastDevice = row.deviceId;
      ofRow[i] = n + 1;
      return;
    }
    if (id < (found.series[n - 1] as number)) found.series[n - 1] = id;
    ofRow[i] = n;
  });
  return found;
}

/**
 * A batch of at least PARALLEL_ROWS rows, each with a datagram key, in two parts cut
 * between datagrams near the middle, which go in at once on two connections (two calls
 * in flight stored 2.1× the keyed rows per second of one, and 1.6× the unkeyed, in two
 * runs of bench/pg-ingest.ts). The batch is then not one transaction, but each datagram
 * still is, and when one part fails, a retry of the whole batch leaves out the datagrams
 * the other part stored, by their keys. Any other batch is one part.
 */
function inParts(rows: readonly TelemetryRow[]): (readonly TelemetryRow[])[] {
  if (rows.length < PARALLEL_ROWS || rows.some((row) => row.datagram === undefined)) return [rows];
  let cut = rows.length >> 1;
  while (cut < rows.length && (rows[cut] as TelemetryRow).datagram === (rows[cut - 1] as TelemetryRow).datagram) cut++;
  return cut === rows.length ? [rows] : [rows.slice(0, cut), rows.slice(cut)];
}

export class PostgresTelemetry {
  /** deviceId → metric → series id. */
  private readonly seriesIds = new Map<string, Map<string, number>>();
  private cachedSeries = 0;
  /** Unix ms until which batches go in by INSERT_DEDUPED alone (see CONFLICT_CHECK_MS). */
  private checkConflictsUntil = 0;
  /** Unix ms from which the next deletion of expired datagram keys may run. */
  private nextExpiry = 0;
  private expiring = false;

  constructor(
    private readonly pool: Pool,
    private readonly partitions: TelemetryPartitions,
  ) {}

  async insert(rows: readonly TelemetryRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.resolveSeries(rows);
    await this.partitions.ensure(rows.map((row) => row.time));
    // Every part settled before this resolves or throws, so that nothing of the batch is
    // still being written when the caller retries it.
    const outcomes = await Promise.allSettled(inParts(rows).map((part) => this.insertPart(part)));
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  }

  private async insertPart(rows: readonly TelemetryRow[]): Promise<void> {
    const ids = new Array<number>(rows.length);
    const times = new Array<number>(rows.length);
    const values = new Array<number>(rows.length);
    rows.forEach((row, i) => {
      ids[i] = this.seriesIds.get(row.deviceId)?.get(row.metric) as number;
      times[i] = row.time;
      values[i] = row.value;
    });
    const datagrams = datagramsOf(rows, ids);
    if (datagrams === undefined) {
      await this.pool.query('INSERT INTO telemetry (series_id, time, value) SELECT * FROM unnest($1::integer[], $2::bigint[], $3::float8[])', [arrayLiteral(ids), arrayLiteral(times), arrayLiteral(values)]);
      return;
    }
    const params = [arrayLiteral(ids), arrayLiteral(times), arrayLiteral(values), arrayLiteral(datagrams.series), arrayLiteral(datagrams.boots), arrayLiteral(datagrams.seqs)];
    if (Date.now() >= this.checkConflictsUntil) {
      try {
        await this.pool.query(INSERT_KEYED, params);
        this.expireKeysWhenDue();
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
        this.checkConflictsUntil = Date.now() + CONFLICT_CHECK_MS;
      }
    }
    await this.pool.query(INSERT_DEDUPED, [...params, arrayLiteral(datagrams.ofRow)]);
    this.expireKeysWhenDue();
  }

  /**
   * Deletes the keys of datagrams stored longer ago than the window (by the database's
   * clock), at most once per KEY_CLEANUP_EVERY_MS per hub (every hub does it; the
   * deletions do not conflict). It runs beside the writes rather than before the next
   * one; a failure is left for the next round, since the keys only take room meanwhile.
   */
  private expireKeysWhenDue(): void {
    const now = Date.now();
    if (this.expiring || now < this.nextExpiry) return;
    this.nextExpiry = now + KEY_CLEANUP_EVERY_MS;
    this.expiring = true;
    this.pool
      .query("DELETE FROM telemetry_datagrams WHERE seen_at < now() - $1::bigint * interval '1 millisecond'", [DATAGRAM_KEY_WINDOW_MS])
      .catch(() => {})
      .finally(() => {
        this.expiring = false;
      });
  }


  /** Fills the cache with the ids of every (device, metric) pair of `rows`, adding new series. */
  private async resolveSeries(rows: readonly TelemetryRow[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const devices: string[] = [];
      const metrics: string[] = [];
      const seen = new Set<string>();
      for (const row of rows) {
        if (this.seriesIds.get(row.deviceId)?.has(row.metric)) continue;
        const key = JSON.stringify([row.deviceId, row.metric]);
        if (seen.has(key)) continue;
        seen.add(key);
        devices.push(row.deviceId);
        metrics.push(row.metric);
      }
      if (devices.length === 0) return;
      if (attempt > SERIES_ATTEMPTS) throw new PicolinkError(ErrorCode.INTERNAL, `could not add telemetry series for ${devices[0]}/${metrics[0]}`);
      // The SELECT sees the series that existed when the statement began; one added by
      // another hub meanwhile is skipped by ON CONFLICT and found on the next attempt.
      const { rows: found } = await this.pool.query<SeriesRow>(
        `WITH given AS (SELECT * FROM unnest($1::text[], $2::text[]) AS g(device_id, metric)),
              added AS (INSERT INTO series (device_id, metric) SELECT device_id, metric FROM given ON CONFLICT DO NOTHING RETURNING id, device_id, metric)
         SELECT id, device_id, metric FROM added
         UNION ALL SELECT s.id, s.device_id, s.metric FROM series s JOIN given g ON g.device_id = s.device_id AND g.metric = s.metric`,
        [devices, metrics],
      );
      for (const series of found) this.cache(series);
    }
  }

  private cache(series: SeriesRow): void {
    if (++this.cachedSeries > MAX_CACHED_SERIES) {
      this.seriesIds.clear();
      this.cachedSeries = 1;
    }
    let metrics = this.seriesIds.get(series.device_id);
    if (!metrics) {
      metrics = new Map();
      this.seriesIds.set(series.device_id, metrics);
    }
    metrics.set(series.metric, series.id);
  }

  /** The device's series (one metric, or all), sorted by metric. */
  private async series(deviceId: string, metric: string | null): Promise<SeriesRow[]> {
    const { rows } = await this.pool.query<SeriesRow>('SELECT id, device_id, metric FROM series WHERE device_id = $1 AND ($2::text IS NULL OR metric = $2) ORDER BY metric COLLATE "C"', [deviceId, metric]);
    return rows;
  }

  async query(query: TelemetryQuery): Promise<TelemetryRow[]> {
    const range = checkRange(query);
    if (range.from >= range.to) return [];
    const series = await this.series(range.deviceId, range.metric);
    if (series.length === 0) return [];
    const names = new Map(series.map((s) => [s.id, s.metric]));
    // Rows at the same time come in metric order, as in the SQLite store.
    const order = series.length === 1 ? 'time' : 'time, array_position($1::integer[], series_id)';
    const { rows } = await this.pool.query<{ series_id: number; time: number; value: number }>(
      `SELECT series_id, time, value FROM telemetry WHERE series_id = ANY($1::integer[]) AND time >= $2 AND time < $3 ORDER BY ${order} LIMIT $4`,
      [series.map((s) => s.id), range.from, range.to, range.limit],
    );
    return rows.map((row) => ({ deviceId: range.deviceId, metric: names.get(row.series_id) ?? '', time: row.time, value: row.value }));
  }

  async buckets(query: TelemetryQuery & { bucketMs: number }): Promise<TelemetryBucket[]> {
    const range = checkRange(query);
    if (!Number.isSafeInteger(query.bucketMs) || query.bucketMs < 1) {
      throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `bucketMs must be a whole number of ms, at least 1, not ${String(query.bucketMs)}`);
    }
    if (range.from >= range.to) return [];
    const series = await this.series(range.deviceId, range.metric);
    if (series.length === 0) return [];
    const names = new Map(series.map((s) => [s.id, s.metric]));
    // The bucket start is time - (time mod b) with a mod that is never negative, so buckets
    // line up on multiples of b before 1970 as well.
    const { rows } = await this.pool.query<{ series_id: number; time: number; count: number; min: number; max: number; avg: number }>(
      `SELECT series_id, time - ((time % $4::bigint) + $4::bigint) % $4::bigint AS time,
              count(*) AS count, min(value) AS min, max(value) AS max, avg(value) AS avg
       FROM telemetry WHERE series_id = ANY($1::integer[]) AND time >= $2 AND time < $3
       GROUP BY series_id, 2 ORDER BY array_position($1::integer[], series_id), 2 LIMIT $5`,
      [series.map((s) => s.id), range.from, range.to, query.bucketMs, range.limit],
    );
    return rows.map((row) => ({ metric: names.get(row.series_id) ?? '', time: row.time, count: row.count, min: row.min, max: row.max, avg: row.avg }));
  }

  async metrics(deviceId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ metric: string }>(
      'SELECT metric FROM series s WHERE device_id = $1 AND EXISTS (SELECT 1 FROM telemetry t WHERE t.series_id = s.id) ORDER BY metric COLLATE "C"',
      [deviceId],
    );
    return rows.map((row) => row.metric);
  }

  /** Drops the day partitions wholly before `before`, then deletes older rows from the rest. */
  async deleteBefore(before: number): Promise<number> {
    let total = 0;
    for (const name of await this.partitions.whollyBefore(before)) total += await this.partitions.drop(name);
    // Partition pruning keeps this to the day that straddles the cut-off and the default partition.
    const { rowCount } = await this.pool.query('DELETE FROM telemetry WHERE time < $1', [before]);
    return total + (rowCount ?? 0);
  }
}
