/**
 * Waiting before a reconnect: exponential backoff with full jitter, so a fleet that lost
 * its hub at the same moment does not come back at the same moment.
 */

/** Wait bound of the first retry, ms. */
export const RECONNECT_BASE_MS = 1000;
/** Largest wait bound, ms. */
export const RECONNECT_MAX_MS = 60_000;

export interface BackoffOptions {
  /** Wait bound of the first retry, ms. Default 1000. */
  baseMs?: number;
  /** Largest wait bound, ms. Default 60000. */
  maxMs?: number;
}

/**
 * The wait before reconnect attempt `attempt` (0 after a welcome or at the first
 * failure): `floor(random × min(maxMs, baseMs × 2^attempt))`. The MicroPython agent
 * computes the same (test-vectors/hello.json, "reconnect" cases).
 *
 * @param random a number in [0, 1), e.g. Math.random()
 */
export function reconnectDelayMs(attempt: number, random: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? RECONNECT_BASE_MS;
  const max = options.maxMs ?? RECONNECT_MAX_MS;
  const bound = Math.min(max, base * 2 ** Math.min(Math.max(0, Math.floor(attempt)), 52));
  return Math.floor(Math.min(Math.max(random, 0), 1) * bound);
}

/** Waits `ms`, or less when `signal` aborts (resolving, not rejecting: the caller checks the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
