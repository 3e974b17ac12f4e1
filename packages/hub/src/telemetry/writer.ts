/**
 * Batches accepted telemetry rows into the store: one insertTelemetry call (one
 * transaction, at most `maxRows` rows) per `flushMs` or per `maxRows` rows, whichever
 * comes first, and a final flush on close; a batch is cut between datagrams, never inside one. One
 * insert is in flight at a time; rows
 * arriving meanwhile wait for the next one. If the store falls behind by more than
 * `maxPendingRows`, new rows are dropped and counted rather than growing memory without
 * bound.
 *
 * While the store is unreachable (a database server down or restarting, see
 * store/unreachable.ts), a failed batch is not given up: its rows go back to the head of
 * the queue, in order, and the write is tried again after a backoff with jitter
 * (@picolink/net reconnectDelayMs). Rows keep being queued meanwhile, at most
 * `maxBufferedRows` of them; past that the oldest are dropped, counted (`droppedOldest`)
 * and logged. When a write succeeds again, the queue drains in order. A write the store
 * refuses for another reason fails its rows as before (`failed`).
 *
 * Commit notices: `afterCommit(item)` attaches an item to the rows queued so far. Once the
 * write holding the last of them has finished, `onSettled(items, stored)` is called with
 * `stored` true (committed) or false (the write failed, or the rows were dropped). Writes
 * finish in order, so an item attached while nothing is queued is settled with the next
 * write finished, or at once when nothing is queued or being written. An item whose rows
 * are kept through an outage stays attached to them until they are written. This is how
 * the ingest sends an ack only once its reading is in the store.
 */
import { reconnectDelayMs } from '@picolink/net';
import type { BackoffOptions } from '@picolink/net';
import type { HubStore, TelemetryRow } from '../store/store.js';
import { isStoreUnreachable } from '../store/unreachable.js';

/** Default of TelemetryWriterOptions.maxBufferedRows. */
export const DEFAULT_MAX_BUFFERED_ROWS = 100_000;

export interface TelemetryWriterOptions<T> {
  /** Longest time a row waits before it is written, in ms. Default 50. */
  flushMs?: number;
  /** Rows that trigger a write at once. Default 5000. */
  maxRows?: number;
  /** Rows held while the store is busy before new rows are dropped. Default 500,000. */
  maxPendingRows?: number;
  /**
   * Rows kept in memory while the store is unreachable; past it the oldest are dropped
   * and counted (while a retry is in flight, its batch comes on top). At about 100 bytes
   * a row, the default holds some 10 MB. Default 100,000.
   */
  maxBufferedRows?: number;
  /** Waits between retries while the store is unreachable (full jitter). Default { baseMs: 1000, maxMs: 10000 }. */
  retryBackoff?: BackoffOptions;
  /** Receives a line when a write fails, the store goes away or comes back, or rows are dropped. Default: none. */
  log?: (line: string) => void;
  /** Called when the write holding the rows an item was attached to has finished. Default: none. */
  onSettled?: (items: T[], stored: boolean) => void;
}

/** An item attached after the `end` first rows of the queue. */
interface Attached<T> {
  end: number;
  item: T;
}

/** Most rows one datagram holds: a batch is cut after a datagram's last row, not inside it. */
const MAX_ROWS_PER_DATAGRAM = 64;

export interface TelemetryWriterCounters {
  /** Rows the store accepted. */
  written: number;
  /** Rows lost to failed writes (refused by the store, or still unwritten at close while it was unreachable). */
  failed: number;
  /** Rows dropped because the store was too far behind. */
  dropped: number;
  /** Oldest rows dropped because more than maxBufferedRows waited while the store was unreachable. */
  droppedOldest: number;
  /** Rows waiting to be written (the write in flight aside). */
  pending: number;
  /** Since when the store has been unreachable (Unix ms), or null when the last write reached it. */
  unreachableSince: number | null;
  /** Batches kept to be written again because the store could not be reached, since the hub started. */
  retries: number;
}

export class TelemetryWriter<T = never> {
  private readonly flushMs: number;
  private readonly maxRows: number;
  private readonly maxPendingRows: number;
  private readonly maxBufferedRows: number;
  private readonly retryBackoff: BackoffOptions;
  private readonly log: (line: string) => void;
  private pending: TelemetryRow[] = [];
  private attached: Attached<T>[] = [];
  /** Items attached to the write in flight, `end` counted from the start of its batch. */
  private writingAttached: Attached<T>[] = [];
  /** Rows of the write in flight. */
  private writingRows = 0;
  private readonly onSettled: (items: T[], stored: boolean) => void;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  private unreachableSince: number | undefined;
  /** Failed attempts since the store was last reached. */
  private retries = 0;
  /** Failed attempts since the hub started (what monitoring graphs). */
  private totalRetries = 0;
  /** Oldest rows dropped since the last log line about them. */
  private droppedUnlogged = 0;
  private readonly totals = { written: 0, failed: 0, dropped: 0, droppedOldest: 0 };

  constructor(
    private readonly store: HubStore,
    options: TelemetryWriterOptions<T> = {},
  ) {
    this.flushMs = options.flushMs ?? 50;
    this.maxRows = options.maxRows ?? 5000;
    this.maxPendingRows = options.maxPendingRows ?? 500_000;
    this.maxBufferedRows = Math.max(1, options.maxBufferedRows ?? DEFAULT_MAX_BUFFERED_ROWS);
    this.retryBackoff = options.retryBackoff ?? { baseMs: 1000, maxMs: 10_000 };
    this.log = options.log ?? (() => {});
    this.onSettled = options.onSettled ?? (() => {});
  }

  get counters(): TelemetryWriterCounters {
    return { ...this.totals, pending: this.pending.length, unreachableSince: this.unreachableSince ?? null, retries: this.totalRetries };
  }

  /** True when `rows` more rows would be queued, not dropped (while the store is unreachable, the oldest make room). */
  hasRoom(rows: number): boolean {
    return !this.closed && (this.unreachableSince !== undefined || this.pending.length + rows <= this.maxPendingRows);
  }

  /** Counts rows refused because there was no room (see {@link hasRoom}). */
  drop(rows: number): void {
    this.totals.dropped += rows;
  }

  /** Settles `item` once every row queued so far has been written (or failed, or dropped). */
  afterCommit(item: T): void {
    if (this.pending.length > 0) this.attached.push({ end: this.pending.length, item });
    else if (this.writing) this.writingAttached.push({ end: this.writingRows, item });
    else this.onSettled([item], true);
  }

  /** Queues one row; writes soon. */
  add(row: TelemetryRow): void {
    if (this.closed || (this.unreachableSince === undefined && this.pending.length >= this.maxPendingRows)) {
      this.totals.dropped += 1;
      return;
    }
    this.pending.push(row);
    if (this.unreachableSince !== undefined) this.trimOldest();
    else if (this.pending.length >= this.maxRows) this.startWrite(false, true);
    else this.flushSoon();
  }

  /** Writes what is queued within flushMs, unless a write is already due. */
  private flushSoon(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(this.timerOnFlush, this.flushMs);
    this.timer.unref();
  }

  /**
   * Writes everything queued so far; resolves when it is in the store, or, while the store
   * is unreachable, after one more attempt at once (the rows stay queued).
   */
  async flush(): Promise<void> {
    // Bounded: each round writes what was queued when it started.
    for (let round = 0; round < 1000 && (this.writing || this.pending.length > 0); round++) {
      if (!this.writing) this.startWrite(true);
      await this.writing;
      if (this.unreachableSince !== undefined) return;
    }
  }

  /** Stops accepting rows and writes what is queued; rows the unreachable store cannot take are counted as failed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.pending.length === 0) return;
    this.totals.failed += this.pending.length;
    this.log(`telemetry: ${this.pending.length} rows could not be stored: the store is still unreachable at close`);
    const items = this.attached.map((a) => a.item);
    this.pending = [];
    this.attached = [];
    if (items.length > 0) this.onSettled(items, false);
  }

  private readonly timerOnFlush = (): void => {
    this.timer = undefined;
    this.startWrite();
  };

  private readonly timerOnRetry = (): void => {
    this.retryTimer = undefined;
    this.startWrite();
  };

  /**
   * Starts a write of the head of the queue; while a retry waits, only when `now`. While
   * `adding` (called from add), the last datagram may have rows still to come: it waits.
   */
  private startWrite(now = false, adding = false): void {
    if (this.writing || this.pending.length === 0) return;
    if (this.retryTimer !== undefined) {
      if (!now) return;
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    // One transaction holds about maxRows rows (cut after the last row of a datagram that
    // asked for a notice), so one write never stalls the event loop (and the UDP socket
    // behind it) for long.
    const last = this.pending.length - 1;
    let cut = adding && this.pending[last]?.datagram !== undefined ? this.datagramStart(last) : this.pending.length;
    if (cut > this.maxRows) cut = this.datagramBoundary(this.datagramEnd(this.maxRows));
    if (cut === 0) return this.flushSoon();
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    [this.writingAttached, this.attached] = this.splitAttached(cut);
    this.writingRows = batch.length;
    this.writing = this.write(batch);
  }

  /** `at`, or the end of a datagram with a notice that has rows on both sides of it. */
  private datagramEnd(at: number): number {
    for (const { end } of this.attached) {
      if (end < at) continue;
      return end - at < MAX_ROWS_PER_DATAGRAM ? end : at;
    }
    return at;
  }

  /** The first queued row of the datagram holding row `at` (rows of one datagram share their key). */
  private datagramStart(at: number): number {
    const key = this.pending[at]?.datagram;
    if (key === undefined) return at;
    let start = at;
    while (start > 0 && this.pending[start - 1]?.datagram === key) start--;
    return start;
  }

  /**
   * `at`, or, when it falls inside the rows of one datagram, the start of that datagram
   * (its end if it starts the queue): a store shared by several hubs stores a datagram's
   * rows all or none, by its key, so a batch never splits one.
   */
  private datagramBoundary(at: number): number {
    const start = this.datagramStart(at);
    if (start === at) return at;
    if (start > 0) return start;
    let end = at + 1;
    while (end < this.pending.length && this.pending[end]?.datagram === this.pending[at]?.datagram) end++;
    return end;
  }

  /** The attached items of the first `rows` queued rows, and the rest counted from there. */
  private splitAttached(rows: number): [Attached<T>[], Attached<T>[]] {
    let n = 0;
    while (n < this.attached.length && (this.attached[n] as Attached<T>).end <= rows) n++;
    const rest = n === this.attached.length ? [] : this.attached.slice(n).map((a) => ({ end: a.end - rows, item: a.item }));
    return [this.attached.slice(0, n), rest];
  }

  private async write(batch: TelemetryRow[]): Promise<void> {
    let outcome: 'stored' | 'failed' | 'kept' = 'stored';
    try {
      await this.store.insertTelemetry(batch);
      this.totals.written += batch.length;
      if (this.unreachableSince !== undefined) this.storeIsBack(batch.length);
    } catch (err) {
      if (isStoreUnreachable(err)) {
        outcome = 'kept';
        this.storeIsAway(err as Error);
      } else {
        outcome = 'failed';
        this.totals.failed += batch.length;
        this.log(`telemetry: ${batch.length} rows could not be stored: ${(err as Error).message}`);
      }
    }
    const attached = this.writingAttached;
    this.writingAttached = [];
    this.writingRows = 0;
    this.writing = undefined;
    if (outcome === 'kept') {
      // Back to the head of the queue, in order, with their notices.
      this.pending = batch.concat(this.pending);
      this.attached = attached.concat(this.attached.map((a) => ({ end: a.end + batch.length, item: a.item })));
      this.trimOldest();
      this.logDropped();
      if (!this.closed) {
        this.retryTimer = setTimeout(this.timerOnRetry, reconnectDelayMs(this.retries - 1, Math.random(), this.retryBackoff));
        this.retryTimer.unref();
      }
      return;
    }
    if (attached.length > 0) this.onSettled(attached.map((a) => a.item), outcome === 'stored');
    // Rows that came in during the write (or kept through an outage): write them now if
    // they are a full batch, else within flushMs.
    if (this.pending.length >= this.maxRows) this.startWrite();
    else if (this.pending.length > 0) this.flushSoon();
  }

  private storeIsAway(err: Error): void {
    this.retries += 1;
    this.totalRetries += 1;
    if (this.unreachableSince !== undefined) return;
    this.unreachableSince = Date.now();
    this.log(`telemetry: the store is unreachable (${err.message}); keeping up to ${this.maxBufferedRows} rows in memory (telemetry.maxBufferedRows) and retrying`);
  }

  private storeIsBack(rows: number): void {
    const seconds = ((Date.now() - (this.unreachableSince as number)) / 1000).toFixed(1);
    this.logDropped();
    this.log(`telemetry: the store is back after ${seconds} s; ${rows + this.pending.length} kept rows are being written (${this.totals.droppedOldest} dropped while it was away, in all)`);
    this.unreachableSince = undefined;
    this.retries = 0;
  }

  /**
   * Drops the oldest queued rows past maxBufferedRows. A batch being retried is not
   * counted until it fails again and is back at the head of the queue, so that what is
   * dropped is always the oldest. A little more than the excess goes at a time (1/64 of
   * the bound), so that a steady stream of rows does not move the whole queue once per row.
   */
  private trimOldest(): void {
    const excess = this.pending.length - this.maxBufferedRows;
    if (excess <= 0) return;
    const rows = this.datagramBoundary(this.datagramEnd(Math.min(this.pending.length, excess + Math.floor(this.maxBufferedRows / 64))));
    const [lost, rest] = this.splitAttached(rows);
    this.pending = this.pending.slice(rows);
    this.attached = rest;
    this.totals.droppedOldest += rows;
    this.droppedUnlogged += rows;
    if (lost.length > 0) this.onSettled(lost.map((a) => a.item), false);
  }

  /** One line per retry at most, so a stream of dropped rows does not flood the log. */
  private logDropped(): void {
    if (this.droppedUnlogged === 0) return;
    this.log(`telemetry: dropped the ${this.droppedUnlogged} oldest rows (${this.totals.droppedOldest} in all) while the store is unreachable: more than ${this.maxBufferedRows} rows waiting (telemetry.maxBufferedRows)`);
    this.droppedUnlogged = 0;
  }
}
