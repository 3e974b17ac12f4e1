/**
 * `connect()`: a TCP or TLS connection with a time limit and an abort signal, and every
 * failure as a coded sentence (socket-errors.ts). With TLS the certificate is checked
 * before the socket is handed on, so nothing is ever sent to a peer that is not trusted:
 * against CAs (the given ones, or the system's), a pinned SHA-256 fingerprint, or the
 * caller's own check (trust on first use). Node's own verification is switched off only
 * when a fingerprint or the caller's check does the checking instead.
 */
import { connect as connectTcp, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as connectTlsSocket } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { ErrorCode, normalizeFingerprint, PicolinkError } from '@picolink/protocol';
import { hostPort } from './addresses.js';
import { certificateNotTrusted, connectFailed, connectTimedOut, fingerprintMismatch, handshakeFailed, tlsHintFor } from './socket-errors.js';

/** Errors Node raises when a certificate fails CA verification (rather than the handshake itself). */
const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

export interface ConnectTlsOptions {
  /**
   * CA certificate(s) in PEM: verify the peer's chain and host name against them. Default:
   * the system's CAs, unless `fingerprint` or `verifyPeer` does the checking instead.
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Accept only the certificate with this SHA-256 fingerprint ("AB:CD:...", colons and
   * case optional, "SHA256:" prefix allowed); else `PL_ERR_TLS_FINGERPRINT_MISMATCH`.
   */
  fingerprint?: string;
  /**
   * The caller's own decision on the presented certificate's fingerprint (canonical form),
   * e.g. trust on first use: throw a coded error to refuse it.
   */
  verifyPeer?: (fingerprint: string) => void | Promise<void>;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Connect with TLS, checked as these options say. Default: plain TCP. */
  tls?: ConnectTlsOptions;
  /** Time allowed for the TCP connect plus the TLS handshake and check, in ms. Default 5000. */
  timeoutMs?: number;
  /** Aborting it gives up at once with `PL_ERR_CONNECTION_CLOSED`. */
  signal?: AbortSignal;
  /** What the peer is called in messages, e.g. "the device". Default "the server". */
  peer?: string;
  /** What a person should check when the connection fails. Default "is the server running and listening on that port?". */
  hint?: string;
  /** What a person should check when the TLS handshake fails. Default "is <peer> serving TLS on this port?". */
  tlsHint?: string;
  /** Plain TCP only: keep the socket writable after the peer ends its side. Default false. */
  allowHalfOpen?: boolean;
}

/** Opens a connection; resolves once it is connected (and, with TLS, trusted). No-delay is on. */
export function connect(options: ConnectOptions & { tls: ConnectTlsOptions }): Promise<TLSSocket>;
export function connect(options: ConnectOptions): Promise<Socket>;
export async function connect(options: ConnectOptions): Promise<Socket> {
  if (options.signal?.aborted) throw cancelled(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const socket = await open(options, timeoutMs, deadline);
  if (options.tls === undefined) return socket;
  try {
    await checkCertificate(socket as TLSSocket, options, options.tls);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket;
}

function open(options: ConnectOptions, timeoutMs: number, deadline: AbortSignal): Promise<Socket> {
  const target = hostPort(options.host, options.port);
  const tls = options.tls;
  const peer = options.peer ?? 'the server';
  const tlsHint = options.tlsHint ?? tlsHintFor(peer);
  const hint = options.hint;
  const pinned = tls?.fingerprint === undefined ? undefined : normalizeFingerprint(tls.fingerprint);
  return new Promise((resolve, reject) => {
    const socket: Socket = tls
      ? connectTlsSocket({
          host: options.host,
          port: options.port,
          // SNI carries host names only, never IP addresses (RFC 6066).
          servername: isIP(options.host) === 0 ? options.host : undefined,
          ca: tls.ca,
          rejectUnauthorized: tls.ca !== undefined || (pinned === undefined && tls.verifyPeer === undefined),
        })
      : connectTcp({ host: options.host, port: options.port, allowHalfOpen: options.allowHalfOpen ?? false });
    let tcpConnected = false;

    function finish(): void {
      deadline.removeEventListener('abort', onDeadline);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('connect', socketOnConnect);
      socket.off('secureConnect', socketOnReady);
      socket.off('error', socketOnError);
      socket.off('close', socketOnClose);
    }
    function fail(err: PicolinkError): void {
      finish();
      socket.destroy();
      reject(err);
    }
    function socketOnConnect(): void {
      tcpConnected = true;
      if (!tls) socketOnReady();
    }
    function socketOnReady(): void {
      finish();
      // Requests are small and latency matters more than packet count.
      socket.setNoDelay(true);
      resolve(socket);
    }
    function socketOnError(err: NodeJS.ErrnoException): void {
      if (!tcpConnected) return fail(connectFailed(target, err, hint));
      if (err.code !== undefined && CERTIFICATE_ERRORS.has(err.code)) return fail(certificateNotTrusted(target, err, tls?.ca !== undefined));
      fail(handshakeFailed(target, 'error', tlsHint, { err }));
    }
    function socketOnClose(): void {
      fail(handshakeFailed(target, 'closed', tlsHint));
    }
    function onDeadline(): void {
      if (!tcpConnected) return fail(connectTimedOut(target, timeoutMs, hint));
      fail(handshakeFailed(target, 'timeout', tlsHint, { timeoutMs }));
    }
    function onAbort(): void {
      fail(cancelled(options));
    }

    deadline.addEventListener('abort', onDeadline, { once: true });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', socketOnConnect);
    if (tls) {
      socket.on('secureConnect', socketOnReady);
      socket.on('close', socketOnClose);
    }
    socket.on('error', socketOnError);
  });
}

function cancelled(options: ConnectOptions): PicolinkError {
  return new PicolinkError(ErrorCode.CONNECTION_CLOSED, `connecting to ${hostPort(options.host, options.port)} was cancelled`);
}

/** The checks after the handshake: a certificate at all, the pinned fingerprint, the caller's own check. */
async function checkCertificate(socket: TLSSocket, options: ConnectOptions, tls: ConnectTlsOptions): Promise<void> {
  const target = hostPort(options.host, options.port);
  const peer = options.peer ?? 'the server';
  // Until the caller takes over, a late socket error must not go unhandled.
  const errors: Error[] = [];
  const keepError = (err: Error): void => void errors.push(err);
  socket.on('error', keepError);
  try {
    if (tls.fingerprint === undefined && tls.verifyPeer === undefined) return;
    const presented = socket.getPeerX509Certificate()?.fingerprint256;
    if (presented === undefined) throw new PicolinkError(ErrorCode.TLS_HANDSHAKE, `${peer} at ${target} presented no certificate`);
    const actual = normalizeFingerprint(presented);
    if (tls.fingerprint !== undefined) {
      const expected = normalizeFingerprint(tls.fingerprint);
      if (actual !== expected) throw fingerprintMismatch(target, actual, expected, peer);
    }
    await tls.verifyPeer?.(actual);
    if (socket.destroyed) {
      throw new PicolinkError(ErrorCode.CONNECT_FAILED, `${peer} at ${target} closed the connection right after the TLS handshake`, { cause: errors[0] });
    }
  } finally {
    socket.off('error', keepError);
  }
}
