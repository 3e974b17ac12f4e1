/** Socket errors → sentences a person can act on, with picolink error codes. */
import { ErrorCode, PicolinkError } from '@picolink/protocol';

const CONNECT_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'no route to the host',
  EHOSTDOWN: 'the host is down',
  ENETUNREACH: 'the network is unreachable',
  EADDRNOTAVAIL: 'the address is not available on this computer',
};
const UNKNOWN_HOST = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME']);
const CONNECT_HINT = 'is the server running and listening on that port?';

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? '';
}

/**
 * `PL_ERR_CONNECT_FAILED` for a socket error raised while connecting to `target`.
 * @param hint what the person should check, e.g. "is the device running and on this network?"
 */
export function connectFailed(target: string, err: unknown, hint = CONNECT_HINT): PicolinkError {
  const code = errnoCode(err);
  if (UNKNOWN_HOST.has(code)) {
    return new PicolinkError(ErrorCode.CONNECT_FAILED, `cannot connect to ${target}: the host name could not be resolved; check its spelling or use the IP address`, { cause: err });
  }
  const reason = CONNECT_REASONS[code] ?? (err instanceof Error ? err.message : String(err));
  return new PicolinkError(ErrorCode.CONNECT_FAILED, `cannot connect to ${target}: ${reason}; ${hint}`, { cause: err });
}

/** `PL_ERR_CONNECT_FAILED` when a connection did not open in time. */
export function connectTimedOut(target: string, timeoutMs: number, hint = CONNECT_HINT): PicolinkError {
  return new PicolinkError(ErrorCode.CONNECT_FAILED, `cannot connect to ${target}: no answer within ${timeoutMs} ms; ${hint}`);
}

/** `PL_ERR_CONNECT_FAILED` for a UDP peer that answered with ICMP "port unreachable". */
export function udpPortUnreachable(target: string): PicolinkError {
  return new PicolinkError(ErrorCode.CONNECT_FAILED, `nothing listens on udp ${target} (port unreachable); ${CONNECT_HINT}`);
}

/** `PL_ERR_LISTEN_FAILED` for an error raised while binding `transport` on `target`. */
export function listenFailed(transport: 'tcp' | 'udp', target: string, err: unknown): PicolinkError {
  const code = errnoCode(err);
  let reason: string;
  if (code === 'EADDRINUSE') reason = 'the port is already in use; stop the program using it or choose another port';
  else if (code === 'EACCES' || code === 'EPERM') reason = 'permission denied; ports below 1024 need privileges, choose a higher port';
  else if (code === 'EADDRNOTAVAIL') reason = 'this computer has no such address; listen on 0.0.0.0 or one of its own addresses';
  else if (UNKNOWN_HOST.has(code)) reason = 'the host name could not be resolved';
  else reason = err instanceof Error ? err.message : String(err);
  return new PicolinkError(ErrorCode.LISTEN_FAILED, `cannot listen on ${transport} ${target}: ${reason}`, { cause: err });
}

/** True when a listen error means "port in use" (tcpcom's PORT_IN_USE). */
export function isAddressInUse(err: unknown): boolean {
  const cause = err instanceof PicolinkError ? err.cause : err;
  return errnoCode(cause) === 'EADDRINUSE';
}

/** The default advice when a TLS handshake fails: the port may serve plain TCP. */
export function tlsHintFor(peer: string): string {
  return `is ${peer} serving TLS on this port?`;
}

/** `PL_ERR_TLS_HANDSHAKE` for a certificate the CAs do not vouch for. */
export function certificateNotTrusted(target: string, err: Error, withGivenCa: boolean): PicolinkError {
  return new PicolinkError(ErrorCode.TLS_HANDSHAKE, `the certificate of ${target} is not trusted${withGivenCa ? ' by the given CA' : ''}: ${err.message}`, { cause: err });
}

/** `PL_ERR_TLS_HANDSHAKE` for a handshake that failed, timed out or was cut short. */
export function handshakeFailed(target: string, how: 'error' | 'closed' | 'timeout', hint: string, detail: { err?: Error; timeoutMs?: number } = {}): PicolinkError {
  if (how === 'closed') return new PicolinkError(ErrorCode.TLS_HANDSHAKE, `${target} closed the connection during the TLS handshake; ${hint}`);
  if (how === 'timeout') return new PicolinkError(ErrorCode.TLS_HANDSHAKE, `no TLS handshake from ${target} within ${detail.timeoutMs ?? 0} ms; ${hint}`);
  if (answeredInPlainText(detail.err)) {
    return new PicolinkError(ErrorCode.TLS_HANDSHAKE, `TLS handshake with ${target} failed: it answered without TLS, so it serves plain TCP on this port; connect without TLS (tcp://)`, { cause: detail.err });
  }
  return new PicolinkError(ErrorCode.TLS_HANDSHAKE, `TLS handshake with ${target} failed: ${detail.err?.message ?? 'unknown error'}; ${hint}`, { cause: detail.err });
}

/** OpenSSL's "wrong version number": the first bytes back were not a TLS record, i.e. plain text. */
function answeredInPlainText(err: Error | undefined): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/.test(err?.message ?? '');
}

/** `PL_ERR_TLS_FINGERPRINT_MISMATCH`: the certificate is not the pinned one. */
export function fingerprintMismatch(target: string, actual: string, expected: string, peer: string): PicolinkError {
  return new PicolinkError(
    ErrorCode.TLS_FINGERPRINT_MISMATCH,
    `the certificate of ${target} has fingerprint ${actual}, but ${expected} was expected; ` +
      `someone may be intercepting the connection, or ${peer} got a new certificate (then pass its new fingerprint)`,
  );
}
