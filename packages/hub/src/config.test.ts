import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ErrorCode } from '@picolink/protocol';
import { parseConfig } from './config.js';

test('an empty telemetry key is refused at the configuration, naming the key', () => {
  assert.throws(() => parseConfig({ devices: [{ id: 'pico-1', telemetryKey: '' }] }), { code: ErrorCode.CONFIG, message: /"devices\[0\]\.telemetryKey" must be a non-empty string/ });
  assert.equal(parseConfig({ devices: [{ id: 'pico-1', telemetryKey: 'k' }] }).devices[0]?.telemetryKey, 'k');
});

test('store: SQLite by default, one of "sqlite" or "postgres" (a postgres:// URL), anything else refused naming the key', () => {
  assert.equal(parseConfig({}).store, undefined);
  assert.deepEqual(parseConfig({ store: { sqlite: '/var/lib/picolink/hub.db' } }).store, { sqlite: '/var/lib/picolink/hub.db' });
  assert.deepEqual(parseConfig({ store: { postgres: 'postgres://hub:pw@db:5432/picolink' } }).store, { postgres: 'postgres://hub:pw@db:5432/picolink' });
  assert.throws(() => parseConfig({ store: { postgres: 'mysql://db/picolink' } }), { code: ErrorCode.CONFIG, message: /"store\.postgres" must be a URL like postgres:\/\// });
  for (const store of [{}, { sqlite: 'a', postgres: 'postgres://db/x' }, { mongo: 'x' }, 'postgres://db/x']) {
    assert.throws(() => parseConfig({ store }), { code: ErrorCode.CONFIG, message: /"store" must be an object with one key/ });
  }
});
