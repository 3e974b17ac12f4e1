/**
 * Reconnecting a lost connection: exponential backoff with full jitter (@picolink/net's
 * reconnectDelayMs, the same wait a dial-home device uses), so many programs that lost
 * the same device do not all come back at the same moment.
 */
import { reconnectDelayMs, sleep } from '@picolink/net';
import { ErrorCode, toPicolinkError } from '@picolink/protocol';
import type { PicolinkError } from '@picolink/protocol';

export interface ReconnectOptions {
  /** Wait bound of the first attempt, in ms; each attempt doubles it. Default 250. */
  baseMs?: number;
  /** Largest wait bound, in ms. Default 10000. */
  maxMs?: number;
  /** Attempts before giving up and closing the Device. Default Infinity (until `close()`). */
  maxAttempts?: number;
}

/** Emitted as `reconnecting` before each attempt. */
export interface ReconnectingInfo {
  /** 1 for the first attempt after the connection was lost. */
  attempt: number;
  /** Wait before this attempt, in ms (a random part of the backoff bound). */
  delayMs: number;
  /** Why the connection was lost (first attempt) or why the last attempt failed. */
  error: PicolinkError;
}

/** Emitted as `reconnected` once the handshake succeeded and watches are restored. */
export interface ReconnectedInfo {
  /** Attempts it took, 1 or more. */
  attempts: number;
  /** Time from losing the connection to being connected again, in ms. */
  downtimeMs: number;
}

/** Errors no retry can fix: a wrong token, an unknown device, a certificate that changed, a bad address. */
const PERMANENT: ReadonlySet<string> = new Set([
  ErrorCode.UNAUTHORIZED,
  ErrorCode.UNKNOWN_DEVICE,
  ErrorCode.TLS_FINGERPRINT_MISMATCH,
  ErrorCode.BAD_URL,
]);

/**
 * Calls `attempt` after backoff waits until it resolves; resolves with its result, or
 * with undefined once `signal` aborts. Rejects with the last error after `maxAttempts`
 * failures, or at once on an error that retrying cannot fix.
 */
export async function retryWithBackoff<T>(
  attempt: () => Promise<T>,
  lost: PicolinkError,
  options: ReconnectOptions,
  signal: AbortSignal,
  onAttempt: (info: ReconnectingInfo) => void,
): Promise<T | undefined> {
  const backoff = { baseMs: options.baseMs ?? 250, maxMs: options.maxMs ?? 10_000 };
  const maxAttempts = options.maxAttempts ?? Infinity;
  let error = lost;
  for (let n = 1; n <= maxAttempts; n++) {
    const delayMs = reconnectDelayMs(n - 1, Math.random(), backoff);
    onAttempt({ attempt: n, delayMs, error });
    await sleep(delayMs, signal);
    if (signal.aborted) return undefined;
    try {
      return await attempt();
    } catch (err) {
      if (signal.aborted) return undefined;
      error = toPicolinkError(err);
      if (PERMANENT.has(error.code)) throw error;
    }
  }
  throw error;
}
