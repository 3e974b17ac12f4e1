import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { encodeTelemetry, ErrorCode, parseTelemetry } from '@picolink/protocol';
import { hmacSigner } from './telemetry-signer.js';

test('a signed datagram verifies with the same key, written as hex or as its bytes, and not with another', () => {
  const hex = '00112233445566778899aabbccddeeff';
  const text = encodeTelemetry({ v: 1, device: 'pico-1', boot: 7, seq: 1, t: 10, readings: { temp_c: 21.5 } }, hmacSigner(hex));
  const bytes = Buffer.from(hex, 'hex');
  assert.equal(parseTelemetry(text, (_device, signed) => hmacSigner(bytes)(signed)).message.device, 'pico-1');
  assert.equal(hmacSigner('secret')('abc'), createHmac('sha256', 'secret').update('abc').digest('hex'));
  assert.throws(() => parseTelemetry(text, (_device, signed) => hmacSigner('another key')(signed)), { code: ErrorCode.TELEMETRY_BAD_MAC });
  assert.throws(() => hmacSigner(''), { code: ErrorCode.OUT_OF_RANGE });
});
