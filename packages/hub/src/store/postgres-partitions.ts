/**
 * The time partitions of the PostgreSQL telemetry table: one per UTC day, named
 * telemetry_pN (N = days since 1970; telemetry_nN before 1970), created ahead of the rows
 * that need them, so retention drops whole days instead of deleting row by row.
 *
 * Partitions are created only inside a window around the hub's clock (PAST_DAYS back,
 * AHEAD_DAYS ahead): a device whose clock is wrong by years would otherwise make a table
 * per bad day. Rows outside the window go to the default partition telemetry_outside;
 * when the window later reaches a day that has rows there, they move into the new
 * partition in the transaction that creates it.
 */
import type { Pool } from 'pg';

export const PARTITION_MS = 86_400_000;
/** Days before today partitions are created for (late readings a device resends, imports). */
const PAST_DAYS = 366;
/** Days after today partitions are created for (and today and tomorrow always exist). */
const AHEAD_DAYS = 2;
/** Key of the advisory lock held while creating partitions ("picopart" in ASCII). */
const PARTITION_LOCK = 0x7069636f70617274n;

function partitionName(day: number): string {
  return day < 0 ? `telemetry_n${-day}` : `telemetry_p${day}`;
}

/** The day of a partition bound expression: "FOR VALUES FROM ('86400000') TO (...)". */
function dayOfBound(bound: string): number | undefined {
  const match = /FROM \('?(-?\d+)'?\)/.exec(bound);
  return match?.[1] === undefined ? undefined : Math.floor(Number(match[1]) / PARTITION_MS);
}

export class TelemetryPartitions {
  /** Days whose partition is known to exist. */
  private readonly days = new Set<number>();

  constructor(private readonly pool: Pool) {}

  /** Reads the partitions that exist and creates today's and the next ones. */
  async open(now = Date.now()): Promise<void> {
    await this.refresh();
    await this.ensureDays([Math.floor(now / PARTITION_MS)], now);
  }

  private async refresh(): Promise<void> {
    const { rows } = await this.pool.query<{ bound: string }>(
      `SELECT pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'telemetry'::regclass`,
    );
    this.days.clear();
    for (const { bound } of rows) {
      const day = dayOfBound(bound);
      if (day !== undefined) this.days.add(day);
    }
  }

  /** Creates the partitions rows at these times need (inside the window), and those ahead of today. */
  async ensure(times: Iterable<number>, now = Date.now()): Promise<void> {
    const days = new Set<number>();
    for (const time of times) days.add(Math.floor(time / PARTITION_MS));
    await this.ensureDays(days, now);
  }

  private async ensureDays(days: Iterable<number>, now: number): Promise<void> {
    const today = Math.floor(now / PARTITION_MS);
    const missing = new Set<number>();
    for (let day = today; day <= today + AHEAD_DAYS; day++) if (!this.days.has(day)) missing.add(day);
    for (const day of days) {
      if (!this.days.has(day) && day >= today - PAST_DAYS && day <= today + AHEAD_DAYS) missing.add(day);
    }
    for (const day of [...missing].sort((a, b) => a - b)) await this.create(day);
  }

  /** Creates one day's partition, moving that day's rows out of the default partition. */
  private async create(day: number): Promise<void> {
    const name = partitionName(day);
    const from = day * PARTITION_MS;
    const to = from + PARTITION_MS;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // One creator at a time across every hub on this database; a second finds it made.
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK.toString()]);
      const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [name]);
      if (rows[0]?.exists !== true) {
        // Rows routed to the default partition wait while its rows for this day move.
        await client.query('LOCK TABLE telemetry_outside IN ACCESS EXCLUSIVE MODE');
        await client.query(`CREATE TABLE ${name} (LIKE telemetry)`);
        await client.query(
          `WITH moved AS (DELETE FROM telemetry_outside WHERE time >= $1 AND time < $2 RETURNING series_id, time, value)
           INSERT INTO ${name} SELECT * FROM moved`,
          [from, to],
        );
        await client.query(`ALTER TABLE telemetry ATTACH PARTITION ${name} FOR VALUES FROM (${from}) TO (${to})`);
      }
      await client.query('COMMIT');
      this.days.add(day);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Day partitions that end at or before `before`, oldest first (their names). */
  async whollyBefore(before: number): Promise<string[]> {
    await this.refresh();
    return [...this.days]
      .filter((day) => (day + 1) * PARTITION_MS <= before)
      .sort((a, b) => a - b)
      .map(partitionName);
  }

  /** Drops a partition; returns how many rows it held. */
  async drop(name: string): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // No row can arrive between the count and the drop.
      await client.query(`LOCK TABLE ${name} IN ACCESS EXCLUSIVE MODE`);
      const { rows } = await client.query<{ count: number }>(`SELECT count(*) AS count FROM ${name}`);
      await client.query(`DROP TABLE ${name}`);
      await client.query('COMMIT');
      const match = /^telemetry_([pn])(\d+)$/.exec(name);
      if (match?.[2] !== undefined) this.days.delete(match[1] === 'n' ? -Number(match[2]) : Number(match[2]));
      return rows[0]?.count ?? 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
