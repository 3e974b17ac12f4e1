/**
 * Telemetry keys: the configured `telemetryKey` of each device as HMAC key bytes, by the
 * same rule as the device runtime's key option (packages/device telemetryKeyBytes): a
 * string of 32 or more hex digits (an even count) is hex, any other string is UTF-8.
 */
import { createHmac } from 'node:crypto';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { TextSigner } from '@picolink/protocol';

const HEX_KEY = /^(?:[0-9a-fA-F]{2}){16,}$/;

/** The HMAC key bytes for a configured telemetry key. */
export function telemetryKeyBytes(key: string): Buffer {
  const bytes = HEX_KEY.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'utf8');
  if (bytes.length === 0) throw new PicolinkError(ErrorCode.CONFIG, 'a telemetry key is empty; give the secret shared with the device');
  return bytes;
}

/** HMAC-SHA256 of a text with `key`, as lower-case hex (the protocol's TextSigner). */
export function hmacSigner(key: Buffer): TextSigner {
  return (text) => createHmac('sha256', key).update(text, 'utf8').digest('hex');
}
