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

test('mqtt: absent means no bridge; defaults filled in; a bad key, URL, prefix or fingerprint refused naming the key', () => {
  assert.equal(parseConfig({}).mqtt, undefined);
  assert.deepEqual(parseConfig({ hubId: 'hub-a', mqtt: { url: 'mqtt://broker.local:1883' } }).mqtt, {
    url: 'mqtt://broker.local:1883',
    prefix: 'picolink',
    homeAssistant: false,
    discoveryPrefix: 'homeassistant',
    clientId: 'picolink-hub-a',
    maxCommandsInFlight: 32,
  });
  const fingerprint = 'ab'.repeat(32);
  assert.deepEqual(parseConfig({ mqtt: { url: 'mqtts://b:8883', tls: { ca: 'ca.pem', fingerprint } } }).mqtt?.tls, { ca: 'ca.pem', fingerprint: 'AB:'.repeat(31) + 'AB' });
  const refusals: Array<[unknown, RegExp]> = [
    [{ url: 'http://broker' }, /"mqtt\.url" must be a URL like mqtt:\/\//],
    [{}, /"mqtt\.url" must be a URL like mqtt:\/\//],
    [{ url: 'mqtt://b', prefix: 'a/+/b' }, /"mqtt\.prefix" must be topic levels/],
    [{ url: 'mqtt://b', prefix: 'a/' }, /"mqtt\.prefix" must be topic levels/],
    [{ url: 'mqtt://b', tls: { fingerprint: 'abc' } }, /"mqtt\.tls\.fingerprint" must be a SHA-256 fingerprint/],
    [{ url: 'mqtt://b', tls: { cafile: 'x' } }, /unknown key "mqtt\.tls\.cafile"/],
    [{ url: 'mqtt://b', retain: true }, /unknown key "mqtt\.retain"/],
    [{ url: 'mqtt://b', homeAssistant: 'yes' }, /"mqtt\.homeAssistant" must be true or false/],
  ];
  for (const [mqtt, message] of refusals) assert.throws(() => parseConfig({ mqtt }), { code: ErrorCode.CONFIG, message }, JSON.stringify(mqtt));
});
