/**
 * `time_sent` stamps for a stock piconetcontrol server, which answers without ids: each
 * request's stamp is unique per connection, so an echoed value names its request, and
 * the answer to a request that already failed (timed out, or its answer was unreadable)
 * is recognised as late and dropped instead of being taken for the next one's.
 */
import type { TableRequest } from '@picolink/net';

/** How many late-answer stamps to remember: answers arrive in order, so a few suffice. */
const LATE_ANSWERS_KEPT = 32;

export class LegacyStamps {
  private readonly stamps = new WeakMap<TableRequest, number>();
  private readonly late: number[] = [];
  private last = 0;

  /**
   * A `time_sent` for a legacy request: the clock in ns, made unique per connection.
   * Steps are 1 µs because doubles near 1.7e18 are 256 ns apart.
   */
  stamp(request: TableRequest): number {
    this.last = Math.max(Date.now() * 1e6, this.last + 1000);
    this.stamps.set(request, this.last);
    return this.last;
  }

  /** The request failed after it was written: an answer echoing its stamp is late. */
  noteFailed(request: TableRequest): void {
    const stamp = this.stamps.get(request);
    if (stamp === undefined) return;
    this.late.push(stamp);
    if (this.late.length > LATE_ANSWERS_KEPT) this.late.shift();
  }

  /** True when an answer echoing this `time_sent` belongs to a request that already failed. */
  isLateAnswer(timeSent: number): boolean {
    return this.late.includes(timeSent);
  }
}
