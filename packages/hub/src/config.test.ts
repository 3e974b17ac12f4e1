import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ErrorCode } from '@picolink/protocol';
import { parseConfig } from './config.js';

test('an empty telemetry key is refused at the configuration, naming the key', () => {
  assert.throws(() => parseConfig({ devices: [{ id: 'pico-1', telemetryKey: '' }] }), { code: ErrorCode.CONFIG, message: /"devices\[0\]\.telemetryKey" must be a non-empty string/ });
  assert.equal(parseConfig({ devices: [{ id: 'pico-1', telemetryKey: 'k' }] }).devices[0]?.telemetryKey, 'k');
});
