import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { telemetryKeyBytes as deviceKeyBytes } from '@picolink/device';
import { ErrorCode } from '@picolink/protocol';
import { telemetryKeyBytes } from './keys.js';

test('the hub reads a telemetry key exactly as the device does', () => {
  const keys = [
    '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    '00112233445566778899AABBCCDDEEFF',
    '00112233445566778899aabbccddeef',
    'abcd',
    'correct horse battery staple',
    'ключ',
  ];
  for (const key of keys) assert.deepEqual(telemetryKeyBytes(key), deviceKeyBytes(key), key);
  assert.throws(() => telemetryKeyBytes(''), { code: ErrorCode.CONFIG });
});
