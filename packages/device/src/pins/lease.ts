/**
 * A lease on an output (docs/protocol.md#leases): the level written holds for a while,
 * then the pin goes back to what it was before the lease began. Writing again during a
 * lease restarts the clock but keeps that original revert target, so a client that
 * renews "on for another 5 s" never makes "on" the level to fall back to.
 */
import type { Level } from '../gpio/backend.js';

export class PinLease {
  private timer: NodeJS.Timeout;
  private endsAt: number;

  /**
   * @param revertsTo level restored when the lease ends
   * @param durationMs lease length in ms
   * @param onExpire called once when the lease ends without being cancelled
   */
  constructor(
    readonly revertsTo: Level,
    durationMs: number,
    private readonly onExpire: () => void,
  ) {
    this.endsAt = Date.now() + durationMs;
    this.timer = setTimeout(onExpire, durationMs);
  }

  /** Milliseconds until the lease ends. */
  get remainingMs(): number {
    return Math.max(0, this.endsAt - Date.now());
  }

  /** Restarts the lease: it now ends `durationMs` from now, with the same revert target. */
  renew(durationMs: number): void {
    clearTimeout(this.timer);
    this.endsAt = Date.now() + durationMs;
    this.timer = setTimeout(this.onExpire, durationMs);
  }

  /** Ends the lease without reverting. */
  cancel(): void {
    clearTimeout(this.timer);
  }
}
