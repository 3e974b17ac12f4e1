/**
 * Certificate fingerprints as people type them and as they are compared: SHA-256 written
 * the way Node's `X509Certificate.fingerprint256` does ("AB:CD:...", uppercase, colon
 * separated).
 */
import { ErrorCode, PicolinkError } from './errors.js';

const HEX_DIGEST = /^[0-9A-F]{64}$/;

/**
 * Reads a fingerprint typed by a person: with or without colons (or spaces), any case,
 * with an optional "SHA256:" prefix. Returns the canonical form; throws `PL_ERR_USAGE`
 * when it is not a SHA-256 fingerprint.
 */
export function normalizeFingerprint(input: string): string {
  let text = input.trim();
  if (/^sha-?256:/i.test(text)) text = text.slice(text.indexOf(':') + 1);
  const hex = text.replace(/[:\s]/g, '').toUpperCase();
  if (!HEX_DIGEST.test(hex)) {
    throw new PicolinkError(
      ErrorCode.USAGE,
      `"${input}" is not a SHA-256 certificate fingerprint; expected 64 hex digits, e.g. "AB:CD:EF:..." as printed by \`openssl x509 -noout -fingerprint -sha256\``,
    );
  }
  return formatFingerprint(hex);
}

/** True when `input` can be read by {@link normalizeFingerprint}. */
export function isFingerprint(input: string): boolean {
  try {
    normalizeFingerprint(input);
    return true;
  } catch {
    return false;
  }
}

/** Hex digits as a fingerprint: uppercase pairs joined by colons. */
export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}
