/**
 * Device and hub events (pin changes, online/offline, state re-applied) go to the bus at
 * once, for live streams, and to the store in batches: one insertEvents call per `flushMs`
 * or per `maxBatch` events. One insert is in flight at a time. If the store falls behind
 * by more than `maxPending` events, new ones are dropped from storage (still published)
 * and counted, so a flood cannot grow memory without bound.
 */
import type { HubBus } from '../bus.js';
import type { HubEventRecord, HubStore } from '../store/store.js';
import type { RateLimitedLog } from '@picolink/net';

export interface EventRecorderOptions {
  /** Longest time an event waits before it is stored, ms. Default 50. */
  flushMs?: number;
  /** Events that trigger a write at once. Default 1000. */
  maxBatch?: number;
  /** Events held while the store is busy before new ones are not stored. Default 100000. */
  maxPending?: number;
}

export interface EventRecorderCounters {
  written: number;
  /** Not stored because the store was too far behind. */
  dropped: number;
  /** Lost to failed writes. */
  failed: number;
}

export class EventRecorder {
  private pending: HubEventRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private readonly totals: EventRecorderCounters = { written: 0, dropped: 0, failed: 0 };
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;

  constructor(
    private readonly store: HubStore,
    private readonly bus: HubBus,
    private readonly log: RateLimitedLog,
    options: EventRecorderOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 50;
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxPending = options.maxPending ?? 100_000;
  }

  get counters(): EventRecorderCounters {
    return { ...this.totals };
  }

  /** Publishes an event now and stores it with the next batch. */
  record(event: HubEventRecord): void {
    this.bus.emit('event', event);
    if (this.pending.length >= this.maxPending) {
      this.totals.dropped += 1;
      this.log.limited('events-dropped', `events: the store is ${this.pending.length} events behind; not storing new ones (${this.totals.dropped} so far)`);
      return;
    }
    this.pending.push(event);
    if (this.pending.length >= this.maxBatch) this.startWrite();
    else this.timer ??= setTimeout(() => this.startWrite(), this.flushMs);
  }

  /** Resolves once every event recorded so far has been handed to the store. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.writing) {
      if (this.writing) await this.writing;
      else this.startWrite();
    }
  }

  private startWrite(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing || this.pending.length === 0) return;
    const batch = this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch);
    this.pending = batch === this.pending ? [] : this.pending.slice(this.maxBatch);
    this.writing = this.store.insertEvents(batch).then(
      () => {
        this.totals.written += batch.length;
      },
      (err: unknown) => {
        this.totals.failed += batch.length;
        this.log.limited('events-failed', `events: storing ${batch.length} events failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    void this.writing.then(() => {
      this.writing = undefined;
      if (this.pending.length > 0) this.timer ??= setTimeout(() => this.startWrite(), this.pending.length >= this.maxBatch ? 0 : this.flushMs);
    });
  }
}
