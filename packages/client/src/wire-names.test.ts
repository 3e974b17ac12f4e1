import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { camelCase, fromWire, snakeCase, toWire } from './wire-names.js';

test('names map both ways, digits included, and a name already in the target casing stays', () => {
  assert.deepEqual(['mem_free', 'duty_u16', 'temperature_c', 'time_received', 'safe_after_ms', 'sha256', 'pin'].map(camelCase), [
    'memFree',
    'dutyU16',
    'temperatureC',
    'timeReceived',
    'safeAfterMs',
    'sha256',
    'pin',
  ]);
  assert.deepEqual(['memFree', 'dutyU16', 'safeAfterMs', 'safe_after_ms'].map(snakeCase), ['mem_free', 'duty_u16', 'safe_after_ms', 'safe_after_ms']);
});

test('frames from the device: nested keys, event names and last_update.status renamed; file-name maps and other values kept', () => {
  const frame = {
    action: 'update',
    ok: true,
    time_received: 7,
    code: 'PL_ERR_PIN_NOT_SETUP',
    files: ['my_file.py'],
    sha256: { 'my_file.py': 'ab' },
    info: { last_update: { status: 'rolled_back', files: ['lib/old_name.py'] }, pins: [1, 2] },
    cause: 'failsafe',
  };
  assert.deepEqual(fromWire(frame), {
    action: 'update',
    ok: true,
    timeReceived: 7,
    code: 'PL_ERR_PIN_NOT_SETUP',
    files: ['my_file.py'],
    sha256: { 'my_file.py': 'ab' },
    info: { lastUpdate: { status: 'rolledBack', files: ['lib/old_name.py'] }, pins: [1, 2] },
    cause: 'failsafe',
  });
  assert.deepEqual(fromWire({ event: 'pin_change', pin: 'LED', value: 1 }), { event: 'pinChange', pin: 'LED', value: 1 });
});

test('request fields go to the wire at the top level only: nested values are data', () => {
  assert.deepEqual(toWire({ safeAfterMs: 5, files: { myFile: 'x' }, sha256: { myFile: 'ab' } }), {
    safe_after_ms: 5,
    files: { myFile: 'x' },
    sha256: { myFile: 'ab' },
  });
});
