/**
 * The TLS part of a tls-client session: connect without CA checks (a board's certificate
 * is self-signed) and check the certificate by its SHA-256 fingerprint, with the SDK's
 * fingerprint code, as `picolink` pins devices.
 */
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { fingerprintOf, normalizeFingerprint } from '@picolink/client';
import { ErrorCode, PicolinkError } from '@picolink/protocol';

/** A TLS connection under way to host:port (SNI for host names). */
export function connectTlsSocket(host: string, port: number): TLSSocket {
  return connect({ host, port, rejectUnauthorized: false, ...(isIP(host) === 0 ? { servername: host } : {}) });
}

/** A pin as typed (any form the SDK reads), in canonical form; PL_ERR_USAGE when it is not one. */
export function readPin(pin: string | undefined): string | undefined {
  return pin === undefined ? undefined : normalizeFingerprint(pin);
}

/**
 * The fingerprint of the certificate the peer presented. Throws
 * PL_ERR_TLS_FINGERPRINT_MISMATCH when `pinned` is given and differs.
 */
export function checkPeerCertificate(socket: TLSSocket, pinned: string | undefined, target: string): string | undefined {
  const raw = socket.getPeerCertificate().raw as Buffer | undefined;
  const seen = raw ? fingerprintOf(raw) : undefined;
  if (pinned !== undefined && seen !== pinned) {
    throw new PicolinkError(
      ErrorCode.TLS_FINGERPRINT_MISMATCH,
      `${target} presented certificate ${seen ?? '(none)'}, not the pinned ${pinned}; if the board's certificate was renewed, pin the new fingerprint`,
    );
  }
  return seen;
}
