import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pinChangeRecord } from './device-events.js';

test('pin_change records keep only the documented fields and trust the device clock only when it agrees with the hub', () => {
  const now = 1_700_000_000_000;
  const record = pinChangeRecord('d', { event: 'pin_change', pin: 2, value: 1, cause: 'input', t: 1234, time: now - 50, extra: 'x'.repeat(100) }, now);
  assert.deepEqual(record, { deviceId: 'd', type: 'pin_change', time: now - 50, deviceTime: 1234, data: { pin: 2, value: 1, cause: 'input', t: 1234, time: now - 50 } });
  assert.equal(pinChangeRecord('d', { event: 'pin_change', pin: 'LED', value: 0, cause: 'write', t: 1, time: 0 }, now)?.time, now, 'an unset device clock is not used');
  assert.equal(pinChangeRecord('d', { event: 'pin_change', pin: 64, value: 1, cause: 'input', t: 1 }, now), undefined);
  assert.equal(pinChangeRecord('d', { event: 'pin_change', pin: 1, value: 2, cause: 'input', t: 1 }, now), undefined);
  assert.equal(pinChangeRecord('d', { event: 'pin_change', pin: 1, value: 1, cause: 'magic', t: 1 }, now), undefined);
});
