/**
 * Flood control of one session: at most `bytesPerSecond` received bytes are kept per
 * one-second window; chunks past that are dropped whole and counted. A peer that keeps
 * flooding after {@link PAUSE_AFTER_WINDOWS} windows' worth was dropped in the current
 * window is paused (TCP: the socket is not read, so the kernel pushes back on the sender)
 * until the window ends. Dropping costs only a length check, so a flood into one session
 * leaves the event loop to the others.
 */

/** Drop this many windows' budget in one window before pausing the sender. */
export const PAUSE_AFTER_WINDOWS = 16;
const WINDOW_MS = 1000;

export type BudgetVerdict = { keep: true } | { keep: false; pauseMs: number };

export class ReceiveBudget {
  private windowStart = 0;
  private used = 0;
  private droppedInWindow = 0;
  /** Bytes dropped in the last finished window that had drops, not yet reported. */
  private unreported = 0;
  /** Received bytes dropped since the session opened. */
  dropped = 0;

  constructor(private readonly bytesPerSecond: number) {}

  /** Whether a chunk of `length` bytes arriving at `now` is kept. */
  take(length: number, now = Date.now()): BudgetVerdict {
    this.roll(now);
    if (this.used + length <= this.bytesPerSecond) {
      this.used += length;
      return { keep: true };
    }
    this.dropped += length;
    this.droppedInWindow += length;
    const pause = this.droppedInWindow >= PAUSE_AFTER_WINDOWS * this.bytesPerSecond;
    return { keep: false, pauseMs: pause ? Math.max(1, WINDOW_MS - (now - this.windowStart)) : 0 };
  }

  private roll(now: number): void {
    if (now - this.windowStart < WINDOW_MS) return;
    this.unreported += this.droppedInWindow;
    this.windowStart = now;
    this.used = 0;
    this.droppedInWindow = 0;
  }

  /** Bytes dropped in windows finished by `now` and not reported yet, for a log line; resets it. */
  takeUnreported(now = Date.now()): number {
    this.roll(now);
    const count = this.unreported;
    this.unreported = 0;
    return count;
  }
}
