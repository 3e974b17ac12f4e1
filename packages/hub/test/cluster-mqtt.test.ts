/**
 * Two hubs on one PostgreSQL, each with an MQTT bridge to the same Mosquitto
 * (docs/mqtt.md#several-hubs): a set command published once moves the pin once — one
 * audit record, one result — whichever hub the broker hands it to (shared subscription;
 * the hub relays it to the holder), and a device's event is published once, by the hub
 * that holds it, not again by the hub it was relayed to.
 */
import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { connectAsync } from 'mqtt';
import { startMosquitto } from '@picolink/test-kit/mosquitto';
import { startPostgres } from '@picolink/test-kit/postgres';
import { startTestHub, until } from './api-fixture.js';
import { startDialHomeDevice } from './sim-devices.js';

const database = await startPostgres();
after(() => database.stop());
const broker = await startMosquitto();
after(() => broker.stop());

/** Time after the first copy in which a second would have arrived, ms. */
const QUIET_MS = 700;

test('a set command and an event each go through the broker once with two hubs bridged to it', async (t) => {
  const url = await database.createDatabase('mqtt_cluster');
  const start = async (hubId: string) => {
    const hub = await startTestHub(
      { hubId, store: { postgres: url }, gateway: { acceptUnknownDevices: true, heartbeatMs: 1000 }, mqtt: { url: broker.url } },
      { mqttBackoff: { baseMs: 50, maxMs: 300 } },
    );
    t.after(() => hub.close());
    return hub;
  };
  const a = await start('hub-a');
  const b = await start('hub-b');
  await until(() => a.hub.mqtt?.stats().connected === true && b.hub.mqtt?.stats().connected === true, 'both bridges connected');
  const sim = await startDialHomeDevice(b.hub, 'pico-m');
  t.after(() => sim.device.close());
  await until(() => a.hub.directory.remote('pico-m') !== undefined, 'hub-a knows hub-b holds pico-m');

  const watcher = await connectAsync(broker.url);
  t.after(() => watcher.endAsync(true));
  const messages: Array<{ topic: string; text: string }> = [];
  watcher.on('message', (topic, payload) => messages.push({ topic, text: payload.toString('utf8') }));
  await watcher.subscribeAsync('picolink/pico-m/#', { qos: 1 });

  assert.equal((await a.post('/api/devices/pico-m/commands', { action: 'setup_pin', pin: 'LED', mode: 'output' })).status, 200);
  // Twenty sets, so that both hubs' turns of the shared subscription are taken.
  for (let i = 0; i < 20; i++) {
    const before = messages.length;
    await watcher.publishAsync('picolink/pico-m/pin/LED/set', i % 2 === 0 ? 'ON' : 'OFF', { qos: 1 });
    const result = await until(() => messages.slice(before).find((m) => m.topic === 'picolink/pico-m/pin/LED/set/result'), `the result of set ${i}`);
    assert.equal((JSON.parse(result.text) as { ok: boolean }).ok, true, result.text);
    assert.equal(sim.device.backend.read('LED'), i % 2 === 0 ? 1 : 0);
  }
  await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  const results = messages.filter((m) => m.topic === 'picolink/pico-m/pin/LED/set/result');
  assert.equal(results.length, 20, 'one result per set');
  assert.ok(results.every((m) => (JSON.parse(m.text) as { ok: boolean }).ok));
  const writes = (await b.hub.store.listAudit({ deviceId: 'pico-m', limit: 100 })).filter((r) => r.action === 'write_pin');
  assert.equal(writes.length, 20, 'each set sent to the device once');

  // An input change: recorded by hub-b, relayed to hub-a's live streams, published once.
  const watch = await b.post('/api/devices/pico-m/commands', [
    { action: 'setup_pin', pin: 7, mode: 'input', pull: 'up' },
    { action: 'watch_pin', pin: 7, edge: 'both', debounce_ms: 0 },
  ]);
  assert.equal(watch.status, 200);
  const before = messages.length;
  sim.device.backend.setInputLevel(7, 0);
  await until(() => messages.slice(before).some((m) => m.topic === 'picolink/pico-m/event/pin_change'), 'the pin_change event');
  await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  assert.equal(messages.slice(before).filter((m) => m.topic === 'picolink/pico-m/event/pin_change').length, 1, 'published by the holder only');
});
