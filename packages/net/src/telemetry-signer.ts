/** HMAC-SHA256 signing of telemetry datagrams, by the protocol's key rule. */
import { createHmac } from 'node:crypto';
import { telemetryKeyBytes } from '@picolink/protocol';
import type { TextSigner } from '@picolink/protocol';

/**
 * A signer for the protocol's encodeTelemetry (and the verifier's MAC lookup): HMAC-SHA256
 * of the text with the key, as lower-case hex. A string key is read by
 * {@link telemetryKeyBytes}: 32 or more hex digits (an even count) are hex, anything
 * else is UTF-8; an empty key is refused.
 */
export function hmacSigner(key: string | Uint8Array): TextSigner {
  const bytes = telemetryKeyBytes(key);
  return (text) => createHmac('sha256', bytes).update(text, 'utf8').digest('hex');
}
