/**
 * Guessing the API token at sign-in (`POST /api/session`) is slowed per client address:
 * each wrong token is answered only after `delayMs`, and takes one of `burst` attempts
 * that come back one per `refillMs`. With none left, the address is answered 429
 * PL_ERR_RATE_LIMITED (with Retry-After) without the token being looked at. A right token
 * costs nothing. Tokens are 256 random bits, so this is about keeping the log and the CPU
 * quiet as much as about the odds.
 *
 * Bounds: at most `maxAddresses` addresses are tracked; past that, addresses whose
 * attempts are all back are forgotten first, then the oldest.
 */

export interface SignInLimitOptions {
  /** Wrong tokens an address may send in a row. Default 5. */
  burst?: number;
  /** One attempt comes back every this many ms. Default 2000. */
  refillMs?: number;
  /** Each wrong token is answered after this many ms. Default 250. */
  delayMs?: number;
  /** Most addresses tracked. Default 10000. */
  maxAddresses?: number;
  /** Clock, Unix ms. Default Date.now. */
  now?: () => number;
}

interface Attempts {
  left: number;
  /** Unix ms of the last refill. */
  at: number;
}

export class SignInLimit {
  readonly delayMs: number;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;
  private readonly byAddress = new Map<string, Attempts>();

  constructor(options: SignInLimitOptions = {}) {
    this.burst = options.burst ?? 5;
    this.refillMs = options.refillMs ?? 2000;
    this.delayMs = options.delayMs ?? 250;
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds the address must wait before its next attempt, or 0 when it may try now. */
  retryAfterSeconds(address: string): number {
    const attempts = this.refilled(address);
    if (attempts === undefined || attempts.left >= 1) return 0;
    return Math.max(1, Math.ceil((attempts.at + this.refillMs - this.now()) / 1000));
  }

  /** Counts a wrong token from the address. */
  failed(address: string): void {
    const attempts = this.refilled(address) ?? this.track(address);
    attempts.left = Math.max(0, attempts.left - 1);
  }

  private refilled(address: string): Attempts | undefined {
    const attempts = this.byAddress.get(address);
    if (attempts === undefined) return undefined;
    const now = this.now();
    const gained = Math.floor((now - attempts.at) / this.refillMs);
    if (gained > 0) {
      attempts.left = Math.min(this.burst, attempts.left + gained);
      attempts.at = attempts.left === this.burst ? now : attempts.at + gained * this.refillMs;
    }
    return attempts;
  }

  private track(address: string): Attempts {
    if (this.byAddress.size >= this.maxAddresses) {
      for (const [key] of this.byAddress) {
        const attempts = this.refilled(key);
        if (attempts !== undefined && attempts.left >= this.burst) this.byAddress.delete(key);
      }
      if (this.byAddress.size >= this.maxAddresses) {
        const oldest = this.byAddress.keys().next().value;
        if (oldest !== undefined) this.byAddress.delete(oldest);
      }
    }
    const attempts: Attempts = { left: this.burst, at: this.now() };
    this.byAddress.set(address, attempts);
    return attempts;
  }
}
