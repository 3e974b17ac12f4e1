/**
 * The telemetry key rule (docs/protocol.md#telemetry), the same on the device and the
 * receiver: a key string of 32 or more hex digits (an even count) is hex bytes, any other
 * string is its UTF-8 bytes.
 */
import { ErrorCode, PicolinkError } from './errors.js';

const HEX_KEY = /^(?:[0-9a-fA-F]{2}){16,}$/;
const UTF8 = new TextEncoder();

/** The HMAC key bytes of a telemetry key; `PL_ERR_OUT_OF_RANGE` when it is empty. */
export function telemetryKeyBytes(key: string | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof key !== 'string') bytes = Uint8Array.from(key);
  else if (HEX_KEY.test(key)) bytes = hexBytes(key);
  else bytes = UTF8.encode(key);
  if (bytes.length === 0) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, 'the telemetry key is empty; give a secret shared with the receiver');
  return bytes;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
