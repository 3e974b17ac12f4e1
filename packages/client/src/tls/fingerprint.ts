/**
 * Certificate fingerprints: SHA-256 of the certificate's DER bytes, written the way
 * Node's `X509Certificate.fingerprint256` does ("AB:CD:...", uppercase, colon separated).
 * Reading one typed by a person is a protocol rule (`normalizeFingerprint` there).
 */
import { createHash } from 'node:crypto';
import { formatFingerprint } from '@picolink/protocol';

/** The SHA-256 fingerprint of a DER-encoded certificate. */
export function fingerprintOf(certDer: Uint8Array): string {
  return formatFingerprint(createHash('sha256').update(certDer).digest('hex'));
}
