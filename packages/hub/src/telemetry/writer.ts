/**
 * Batches accepted telemetry rows into the store: one insertTelemetry call (one
 * transaction, at most `maxRows` rows) per `flushMs` or per `maxRows` rows, whichever
 * comes first, and a final flush on close. One insert is in flight at a time; rows
 * arriving meanwhile wait for the next one. If the store falls behind by more than
 * `maxPendingRows`, new rows are dropped and counted rather than growing memory without
 * bound.
 */
import type { HubStore, TelemetryRow } from '../store/store.js';

export interface TelemetryWriterOptions {
  /** Longest time a row waits before it is written, in ms. Default 50. */
  flushMs?: number;
  /** Rows that trigger a write at once. Default 5000. */
  maxRows?: number;
  /** Rows held while the store is busy before new rows are dropped. Default 500,000. */
  maxPendingRows?: number;
  /** Receives a line when a write fails or rows are dropped. Default: none. */
  log?: (line: string) => void;
}

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

export class TelemetryWriter {
  private readonly flushMs: number;
  private readonly maxRows: number;
  private readonly maxPendingRows: number;
  private readonly log: (line: string) => void;
  private pending: TelemetryRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly totals = { written: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly store: HubStore,
    options: TelemetryWriterOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 50;
    this.maxRows = options.maxRows ?? 5000;
    this.maxPendingRows = options.maxPendingRows ?? 500_000;
    this.log = options.log ?? (() => {});
  }

  get counters(): TelemetryWriterCounters {
    return { ...this.totals, pending: this.pending.length };
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
    // One transaction holds at most maxRows rows, so one write never stalls the event
    // loop (and the UDP socket behind it) for long.
    let batch = this.pending;
    if (batch.length > this.maxRows) {
      this.pending = batch.slice(this.maxRows);
      batch = batch.slice(0, this.maxRows);
    } else this.pending = [];
    this.writing = this.write(batch);
  }

  private async write(batch: TelemetryRow[]): Promise<void> {
    try {
      await this.store.insertTelemetry(batch);
      this.totals.written += batch.length;
    } catch (err) {
      this.totals.failed += batch.length;
      this.log(`telemetry: ${batch.length} rows could not be stored: ${(err as Error).message}`);
    } finally {
      this.writing = undefined;
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
