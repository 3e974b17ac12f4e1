import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode } from './errors.js';
import { telemetryKeyBytes } from './telemetry-key.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

test('a hex key is used as bytes, any other string as UTF-8', () => {
  assert.deepEqual(telemetryKeyBytes('00112233445566778899aabbccddeeff'), Uint8Array.of(0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff));
  assert.deepEqual(telemetryKeyBytes('00112233445566778899AABBCCDDEEFF'), telemetryKeyBytes('00112233445566778899aabbccddeeff'), 'hex in any case');
  assert.deepEqual(telemetryKeyBytes('abcd'), utf8('abcd'), 'too short to be a hex key');
  assert.deepEqual(telemetryKeyBytes('00112233445566778899aabbccddeef'), utf8('00112233445566778899aabbccddeef'), 'an odd count of digits is text');
  assert.deepEqual(telemetryKeyBytes(Uint8Array.of(1, 2, 3)), Uint8Array.of(1, 2, 3), 'bytes are taken as they are');
  assert.throws(() => telemetryKeyBytes(''), { code: ErrorCode.OUT_OF_RANGE });
});
