/**
 * Heartbeat timing (docs/protocol.md#heartbeat): calls `onQuiet` when nothing has been
 * received for `intervalMs`. Receiving only records a timestamp; the timer re-arms for
 * the remaining time when it fires early, so a busy connection costs no timer churn.
 */
export class Heartbeat {
  private lastReceived = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** `intervalMs` 0 disables the heartbeat. */
  constructor(
    private readonly intervalMs: number,
    private readonly onQuiet: () => void,
  ) {
    if (intervalMs > 0) this.arm(intervalMs);
  }

  /** Records that something was received. */
  touch(): void {
    this.lastReceived = Date.now();
  }

  /** Starts counting again, e.g. after a heartbeat ping was answered. */
  restart(): void {
    this.touch();
    if (this.intervalMs > 0 && !this.stopped && this.timer === undefined) this.arm(this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.timerOnFire(), delayMs);
    // The socket keeps the process alive while the connection is open; this timer must not.
    this.timer.unref();
  }

  private timerOnFire(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const quietMs = Date.now() - this.lastReceived;
    if (quietMs < this.intervalMs) {
      this.arm(this.intervalMs - quietMs);
      return;
    }
    this.onQuiet();
  }
}
