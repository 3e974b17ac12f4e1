/**
 * Batches accepted telemetry rows into the store: one insertTelemetry call (one
 * transaction, at most `maxRows` rows) per `flushMs` or per `maxRows` rows, whichever
 * comes first, and a final flush on close. One insert is in flight at a time; rows
 * arriving meanwhile wait for the next one. If the store falls behind by more than
 * `maxPendingRows`, new rows are dropped and counted rather than growing memory without
 * bound.
 *
 * Commit notices: `afterCommit(item)` attaches an item to the rows queued so far. Once the
 * write holding the last of them has finished, `onSettled(items, stored)` is called with
 * `stored` true (committed) or false (the write failed). Writes finish in order, so an item
 * attached while nothing is queued is settled with the next write finished, or at once
 * when nothing is queued or being written. This is how the ingest sends an ack only once
 * its reading is in the store.
 */
import type { HubStore, TelemetryRow } from '../store/store.js';

export interface TelemetryWriterOptions<T> {
  /** Longest time a row waits before it is written, in ms. Default 50. */
  flushMs?: number;
  /** Rows that trigger a write at once. Default 5000. */
  maxRows?: number;
  /** Rows held while the store is busy before new rows are dropped. Default 500,000. */
  maxPendingRows?: number;
  /** Receives a line when a write fails or rows are dropped. Default: none. */
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
  /** Rows lost to failed writes. */
  failed: number;
  /** Rows dropped because the store was too far behind. */
  dropped: number;
  /** Rows waiting to be written. */
  pending: number;
}

export class TelemetryWriter<T = never> {
  private readonly flushMs: number;
  private readonly maxRows: number;
  private readonly maxPendingRows: number;
  private readonly log: (line: string) => void;
  private pending: TelemetryRow[] = [];
  private attached: Attached<T>[] = [];
  /** Items settled by the write in flight. */
  private writingItems: T[] = [];
  private readonly onSettled: (items: T[], stored: boolean) => void;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly totals = { written: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly store: HubStore,
    options: TelemetryWriterOptions<T> = {},
  ) {
    this.flushMs = options.flushMs ?? 50;
    this.maxRows = options.maxRows ?? 5000;
    this.maxPendingRows = options.maxPendingRows ?? 500_000;
    this.log = options.log ?? (() => {});
    this.onSettled = options.onSettled ?? (() => {});
  }

  get counters(): TelemetryWriterCounters {
    return { ...this.totals, pending: this.pending.length };
  }

  /** True when `rows` more rows would be queued, not dropped. */
  hasRoom(rows: number): boolean {
    return !this.closed && this.pending.length + rows <= this.maxPendingRows;
  }

  /** Counts rows refused because there was no room (see {@link hasRoom}). */
  drop(rows: number): void {
    this.totals.dropped += rows;
  }

  /** Settles `item` once every row queued so far has been written (or failed). */
  afterCommit(item: T): void {
    if (this.pending.length > 0) this.attached.push({ end: this.pending.length, item });
    else if (this.writing) this.writingItems.push(item);
    else this.onSettled([item], true);
  }

  /** Queues one row; writes soon. */
  add(row: TelemetryRow): void {
    if (this.closed || this.pending.length >= this.maxPendingRows) {
      this.totals.dropped += 1;
      return;
    }
    this.pending.push(row);
    if (this.pending.length >= this.maxRows) this.startWrite();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.timerOnFlush, this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes everything queued so far; resolves when it is in the store. */
  async flush(): Promise<void> {
    // Bounded: each round writes what was queued when it started.
    for (let round = 0; round < 1000 && (this.writing || this.pending.length > 0); round++) {
      if (!this.writing) this.startWrite();
      await this.writing;
    }
  }

  /** Stops accepting rows and writes what is queued. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly timerOnFlush = (): void => {
    this.timer = undefined;
    this.startWrite();
  };

  private startWrite(): void {
    if (this.writing || this.pending.length === 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    // One transaction holds about maxRows rows (cut after the last row of a datagram that
    // asked for a notice), so one write never stalls the event loop (and the UDP socket
    // behind it) for long.
    let cut = this.pending.length;
    if (cut > this.maxRows) {
      cut = this.maxRows;
      for (const { end } of this.attached) {
        if (end < this.maxRows) continue;
        if (end - this.maxRows < MAX_ROWS_PER_DATAGRAM) cut = end;
        break;
      }
    }
    let batch = this.pending;
    if (cut < batch.length) {
      this.pending = batch.slice(cut);
      batch = batch.slice(0, cut);
    } else this.pending = [];
    let settled = 0;
    while (settled < this.attached.length && (this.attached[settled] as Attached<T>).end <= cut) settled++;
    this.writingItems = this.attached.slice(0, settled).map((a) => a.item);
    this.attached = settled === this.attached.length ? [] : this.attached.slice(settled).map((a) => ({ end: a.end - cut, item: a.item }));
    this.writing = this.write(batch);
  }

  private async write(batch: TelemetryRow[]): Promise<void> {
    let stored = false;
    try {
      await this.store.insertTelemetry(batch);
      this.totals.written += batch.length;
      stored = true;
    } catch (err) {
      this.totals.failed += batch.length;
      this.log(`telemetry: ${batch.length} rows could not be stored: ${(err as Error).message}`);
    } finally {
      const items = this.writingItems;
      this.writingItems = [];
      this.writing = undefined;
      if (items.length > 0) this.onSettled(items, stored);
      // Rows that came in during the write: write them now if they are a full batch,
      // else within flushMs.
      if (this.pending.length >= this.maxRows) this.startWrite();
      else if (this.pending.length > 0 && this.timer === undefined && !this.closed) {
        this.timer = setTimeout(this.timerOnFlush, this.flushMs);
        this.timer.unref();
      }
    }
  }
}
