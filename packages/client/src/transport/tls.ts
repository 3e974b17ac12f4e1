/**
 * The `tls://` transport. The certificate is checked before the socket is handed on, so
 * nothing is ever sent to a device that is not trusted. Node's own verification is
 * switched off only when a fingerprint or the known-devices file does the checking
 * instead (see tls/verify.ts); with a CA it stays on.
 */
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { checkPeerFingerprint, trustPolicy } from '../tls/verify.js';
import type { TrustPolicy } from '../tls/verify.js';
import type { DeviceUrl } from '../url.js';
import { connectFailed, connectTimedOut } from './connect-error.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './transport.js';
import type { TransportOptions } from './transport.js';

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

export async function openTls(url: DeviceUrl, options: TransportOptions): Promise<TLSSocket> {
  const policy = trustPolicy(options);
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const socket = await handshake(url, policy, timeoutMs);
  // Until the Connection takes over, a late socket error must not go unhandled.
  const errors: Error[] = [];
  const keepError = (err: Error): void => void errors.push(err);
  socket.on('error', keepError);
  try {
    const certificate = socket.getPeerX509Certificate();
    if (certificate === undefined) {
      throw new PicolinkError(ErrorCode.TLS_HANDSHAKE, `the device at ${url.hostPort} presented no certificate`);
    }
    await checkPeerFingerprint(url.hostPort, certificate.fingerprint256, policy);
    if (socket.destroyed) {
      throw new PicolinkError(ErrorCode.CONNECT_FAILED, `the device at ${url.hostPort} closed the connection right after the TLS handshake`, {
        cause: errors[0],
      });
    }
  } catch (err) {
    socket.destroy();
    throw err;
  } finally {
    socket.off('error', keepError);
  }
  return socket;
}

function handshake(url: DeviceUrl, policy: TrustPolicy, timeoutMs: number): Promise<TLSSocket> {
  const ca = policy.kind === 'first-use' ? undefined : policy.ca;
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: url.host,
      port: url.port,
      // SNI carries host names only, never IP addresses (RFC 6066).
      servername: isIP(url.host) === 0 ? url.host : undefined,
      ca,
      rejectUnauthorized: ca !== undefined,
    });
    let tcpConnected = false;
    const timer = setTimeout(socketOnHandshakeTimeout, timeoutMs);

    function finish(): void {
      clearTimeout(timer);
      socket.off('connect', socketOnConnect);
      socket.off('secureConnect', socketOnSecureConnect);
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
    }
    function socketOnSecureConnect(): void {
      finish();
      socket.setNoDelay(true);
      resolve(socket);
    }
    function socketOnError(err: NodeJS.ErrnoException): void {
      if (!tcpConnected) return fail(connectFailed(url.hostPort, err));
      if (err.code !== undefined && CERTIFICATE_ERRORS.has(err.code)) {
        return fail(
          new PicolinkError(ErrorCode.TLS_HANDSHAKE, `the certificate of ${url.hostPort} is not trusted by the given CA: ${err.message}`, {
            cause: err,
          }),
        );
      }
      fail(
        new PicolinkError(
          ErrorCode.TLS_HANDSHAKE,
          `TLS handshake with ${url.hostPort} failed: ${err.message}; is the device serving TLS on this port? (a plain device takes tcp://)`,
          { cause: err },
        ),
      );
    }
    function socketOnClose(): void {
      fail(
        new PicolinkError(
          ErrorCode.TLS_HANDSHAKE,
          `${url.hostPort} closed the connection during the TLS handshake; is the device serving TLS on this port?`,
        ),
      );
    }
    function socketOnHandshakeTimeout(): void {
      if (!tcpConnected) return fail(connectTimedOut(url.hostPort, timeoutMs));
      fail(
        new PicolinkError(
          ErrorCode.TLS_HANDSHAKE,
          `no TLS handshake from ${url.hostPort} within ${timeoutMs} ms; is the device serving TLS on this port? (a plain device takes tcp://)`,
        ),
      );
    }

    socket.on('connect', socketOnConnect);
    socket.on('secureConnect', socketOnSecureConnect);
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
  });
}
