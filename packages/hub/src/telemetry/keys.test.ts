import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ErrorCode, telemetryKeyBytes as ruleKeyBytes } from '@picolink/protocol';
import { telemetryKeyBytes } from './keys.js';

test('the hub reads a telemetry key by the protocol\'s rule, as the device does', () => {
  const keys = [
    '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    '00112233445566778899AABBCCDDEEFF',
    '00112233445566778899aabbccddeef',
    'abcd',
    'correct horse battery staple',
    'ключ',
  ];
  for (const key of keys) assert.deepEqual(Uint8Array.from(telemetryKeyBytes(key)), ruleKeyBytes(key), key);
  assert.throws(() => telemetryKeyBytes(''), { code: ErrorCode.CONFIG });
});
