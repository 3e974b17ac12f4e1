/**
 * Whether a store call failed because the database could not be reached (a server that
 * is down, restarting or refusing connections), as opposed to a statement it refused. The
 * first kind passes when the server returns, so the telemetry writer keeps the rows and
 * tries again; the second would fail the same way again, so the rows are given up.
 */

/** Socket errors of a server that is down or out of reach. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs of a server going away or not ready: class 08 (connection
 * exception), admin or crash shutdown, "the database system is starting up", and too many
 * connections.
 */
const UNREACHABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/** node-postgres reports a dropped or timed-out connection with these messages and no code. */
const DROPPED_CONNECTION = /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/;

/** True when `err` (or an error it wraps) says the database could not be reached. */
export function isStoreUnreachable(err: unknown): boolean {
  for (let depth = 0; depth < 4 && err instanceof Error; depth++) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNREACHABLE_SQLSTATE.test(code))) return true;
    if (DROPPED_CONNECTION.test(err.message)) return true;
    if (err instanceof AggregateError && err.errors.some((inner) => isStoreUnreachable(inner))) return true;
    err = err.cause;
  }
  return false;
}
