/** Turns a failed connection attempt into a sentence a person can act on. */
import { ErrorCode, PicolinkError } from '@picolink/protocol';

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'no route to the host',
  EHOSTDOWN: 'the host is down',
  ENETUNREACH: 'the network is unreachable',
  EADDRNOTAVAIL: 'the address is not available on this computer',
};
const UNKNOWN_HOST = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME']);
const HINT = 'is the device running and on this network?';

/** `PL_ERR_CONNECT_FAILED` for a socket error raised while connecting. */
export function connectFailed(hostPort: string, err: unknown): PicolinkError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (UNKNOWN_HOST.has(code)) {
    return new PicolinkError(
      ErrorCode.CONNECT_FAILED,
      `cannot connect to ${hostPort}: the host name could not be resolved; check its spelling or use the device's IP address`,
      { cause: err },
    );
  }
  const reason = REASONS[code] ?? (err instanceof Error ? err.message : String(err));
  return new PicolinkError(ErrorCode.CONNECT_FAILED, `cannot connect to ${hostPort}: ${reason}; ${HINT}`, { cause: err });
}

/** `PL_ERR_CONNECT_FAILED` when the connection did not open in time. */
export function connectTimedOut(hostPort: string, timeoutMs: number): PicolinkError {
  return new PicolinkError(ErrorCode.CONNECT_FAILED, `cannot connect to ${hostPort}: no answer within ${timeoutMs} ms; ${HINT}`);
}
