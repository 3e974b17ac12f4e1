/**
 * Home Assistant discovery end to end (docs/mqtt-home-assistant.md): a hub with
 * `homeAssistant: true` bridged to a real Mosquitto, a simulated Pico W dialling home,
 * signed telemetry on the real UDP port; a client on `homeassistant/#` that connects
 * afterwards finds one retained config per entity kind, and removing the device through
 * the API empties them. First, the part that decides what to publish, on a real store.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { startMosquitto } from '@picolink/test-kit/mosquitto';
import type { MosquittoBroker } from '@picolink/test-kit/mosquitto';
import { join } from 'node:path';
import { RateLimitedLog } from '@picolink/net';
import { HubBus } from '../src/bus.js';
import { DiscoveryPublisher } from '../src/mqtt/discovery-publisher.js';
import type { DiscoveryMessage } from '../src/mqtt/discovery.js';
import { Topics } from '../src/mqtt/topics.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { HubStore } from '../src/store/store.js';
import { sendTelemetry, startTestHub, tempDir, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { startDialHomeDevice } from './sim-devices.js';
import type { SimDevice } from './sim-devices.js';
import { sign } from './telemetry-fixture.js';

const DEVICE = 'pico-ha';
const HUB = 'hub-ha';

interface Seen {
  payload: string;
  retain: boolean;
}

/** A subscriber on `filter`: every message by topic (the last one wins), retained flag kept. */
async function subscriber(url: string, filter: string): Promise<{ client: MqttClient; seen: Map<string, Seen> }> {
  const client = await connectAsync(url, { reconnectPeriod: 0 });
  const seen = new Map<string, Seen>();
  client.on('message', (topic, payload, packet) => seen.set(topic, { payload: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, seen };
}

/**
 * The retained messages under `filter` now: subscribes, then publishes a marker under the
 * same filter; the broker sends retained messages before anything published after the
 * subscription, so once the marker is in, every retained message is.
 */
async function retainedNow(url: string, filter: string, marker: string): Promise<Map<string, string>> {
  const { client, seen } = await subscriber(url, filter);
  try {
    await client.publishAsync(marker, 'marker', { qos: 1 });
    await until(() => seen.has(marker), `the marker on ${marker}`);
    const retained = new Map<string, string>();
    for (const [topic, message] of seen) if (message.retain) retained.set(topic, message.payload);
    return retained;
  } finally {
    await client.endAsync();
  }
}

describe('DiscoveryPublisher on a SQLite store and the hub bus', () => {
  const dir = tempDir();
  let store: HubStore;
  const bus = new HubBus();
  const sent: DiscoveryMessage[] = [];
  /** What the bridge would do: messages while "disconnected" are dropped. */
  let connected = true;
  let publisher: DiscoveryPublisher;
  const context = { discoveryPrefix: 'homeassistant', topics: new Topics('picolink'), hubId: 'h', hubVersion: '0.1.0', dashboardUrl: null };

  before(async () => {
    store = await openSqliteStore({ path: join(dir.path, 'hub.db') });
    publisher = new DiscoveryPublisher({ store, bus, context, publish: (m) => connected && sent.push(m) > 0, log: new RateLimitedLog(() => {}) });
  });
  after(async () => {
    publisher.close();
    await store.close();
    dir.remove();
  });

  const topics = (from = 0): string[] => sent.slice(from).map((m) => `${m.payload === '' ? '-' : '+'}${m.topic}`).sort();

  test('stored outputs and inputs, metrics heard on the bus before they are stored; only changes are sent again, everything on a reconnect; removal empties them', async () => {
    await store.upsertDevice({ id: 'd1', mode: 'dial-home', firmware: '0.3.0', info: { board: 'Raspberry Pi Pico W with RP2040' }, seenAt: 1 });
    await store.saveOutputState({ deviceId: 'd1', pin: 15, setup: { pin: 15, mode: 'output', pull: 'none' }, value: 1, leaseUntil: null, leaseValue: null, leaseWrite: null, updatedAt: 1 });
    await store.insertEvents([{ deviceId: 'd1', type: 'pin_change', time: 1, data: { pin: 3, value: 1, cause: 'input' } }]);
    bus.emit('status', { deviceId: 'd1', online: true, time: 2 });
    await until(() => sent.length >= 2, 'configs for the stored pins');
    await publisher.settled();
    assert.deepEqual(topics(), ['+homeassistant/binary_sensor/d1/pin3/config', '+homeassistant/switch/d1/pin15/config']);

    // Rows on the bus come before the store has them: the new metric is announced at once.
    bus.emit('telemetry', [{ deviceId: 'd1', metric: 'temp_c', time: 3, value: 20 }, { deviceId: 'd1', metric: 'temp_c', time: 4, value: 21 }]);
    await until(() => sent.length >= 3, 'the new metric announced');
    await publisher.settled();
    assert.deepEqual(topics(2), ['+homeassistant/sensor/d1/temp_c/config'], 'unchanged configs are not sent again');

    bus.emit('telemetry', [{ deviceId: 'd1', metric: 'temp_c', time: 5, value: 22 }]);
    bus.emit('event', { deviceId: 'd1', type: 'pin_change', time: 6, data: { pin: 3, value: 0, cause: 'input' } });
    await publisher.settled();
    assert.equal(sent.length, 3, 'known metrics and pins send nothing');

    await publisher.republishAll();
    assert.deepEqual(topics(3), ['+homeassistant/binary_sensor/d1/pin3/config', '+homeassistant/sensor/d1/temp_c/config', '+homeassistant/switch/d1/pin15/config'], 'a reconnect sends every config again');

    await store.forgetDevice('d1');
    bus.emit('event', { deviceId: 'd1', type: 'removed', time: 7, data: {} });
    await publisher.settled();
    assert.deepEqual(topics(6), ['-homeassistant/binary_sensor/d1/pin3/config', '-homeassistant/sensor/d1/temp_c/config', '-homeassistant/switch/d1/pin15/config']);
    await publisher.republishAll();
    bus.emit('status', { deviceId: 'd1', online: true, time: 8 });
    await publisher.settled();
    assert.equal(sent.length, 9, 'a removed device is not announced again');
  });

  test('a pin set up the other way changes kind; a removal dropped while the broker is away is sent on the next connect', async () => {
    await store.upsertDevice({ id: 'd2', mode: 'dial-home', seenAt: 1 });
    bus.emit('command', { deviceId: 'd2', request: { action: 'write_pin', pin: 'LED', value: 1 }, response: { ok: true }, actor: 'api:t' });
    await until(() => sent.some((m) => m.topic === 'homeassistant/switch/d2/led/config'), 'a written pin announced before the store records it');
    await publisher.settled();
    const turned = sent.length;
    bus.emit('command', { deviceId: 'd2', request: { action: 'setup_pin', pin: 'LED', mode: 'input' }, response: { ok: true }, actor: 'api:t' });
    await publisher.settled();
    assert.deepEqual(topics(turned), ['+homeassistant/binary_sensor/d2/led/config', '-homeassistant/switch/d2/led/config'], 'a pin set up the other way changes kind');
    bus.emit('command', { deviceId: 'd2', request: { action: 'setup_pin', pin: 'LED', mode: 'output' }, response: { ok: true }, actor: 'api:t' });
    await publisher.settled();
    assert.deepEqual(topics(turned + 2), ['+homeassistant/switch/d2/led/config', '-homeassistant/binary_sensor/d2/led/config']);
    const from = sent.length;
    connected = false;
    bus.emit('command', { deviceId: 'd2', request: { action: 'setup_pin', pin: 4, mode: 'input' }, response: { ok: true }, actor: 'api:t' });
    await publisher.settled();
    await store.forgetDevice('d2');
    bus.emit('event', { deviceId: 'd2', type: 'removed', time: 9, data: {} });
    await publisher.settled();
    assert.equal(sent.length, from, 'nothing reached the broker');
    connected = true;
    await publisher.republishAll();
    // pin 4's config was dropped too; emptying its topic anyway costs nothing.
    assert.deepEqual(topics(from), ['-homeassistant/binary_sensor/d2/pin4/config', '-homeassistant/switch/d2/led/config']);
    await publisher.republishAll();
    assert.equal(sent.length, from + 2, 'removals are sent once');
  });
});

describe('Home Assistant discovery through a real Mosquitto', () => {
  let broker: MosquittoBroker;
  let t: TestHub;
  let device: SimDevice | undefined;

  before(async () => {
    broker = await startMosquitto();
    t = await startTestHub({ hubId: HUB, mqtt: { url: broker.url, homeAssistant: true } });
  });
  after(async () => {
    await device?.device.close();
    await t?.close();
    await broker?.stop();
  });

  test('a board announces a switch, a binary_sensor and a sensor, retained; removing it through the API clears them', async () => {
    const added = (await (await t.post('/api/devices', { id: DEVICE })).json()) as { token: string; telemetryKey: string };
    device = await startDialHomeDevice(t.hub, DEVICE, added.token);
    const answers = (await (await t.post(`/api/devices/${DEVICE}/commands`, [
      { action: 'setup_pin', pin: 15, mode: 'output', value: 1 },
      { action: 'setup_pin', pin: 2, mode: 'input', pull: 'up' },
    ])).json()) as Array<Record<string, unknown>>;
    assert.deepEqual(answers.map((a) => a.ok), [true, true], JSON.stringify(answers));
    await sendTelemetry(t.hub.telemetryPort, [{ v: 1, device: DEVICE, boot: 1, seq: 1, t: 1000, time: Date.now(), readings: { temp_c: 21.5, adc0: 1.65 } }], sign(added.telemetryKey));

    const configTopic = (component: string, object: string): string => `homeassistant/${component}/${DEVICE}/${object}/config`;
    const expected = [configTopic('switch', 'pin15'), configTopic('binary_sensor', 'pin2'), configTopic('sensor', 'temp_c'), configTopic('sensor', 'adc0')];

    // A client that subscribes afterwards, as Home Assistant starting later would.
    let retained = new Map<string, string>();
    await until(async () => {
      retained = await retainedNow(broker.url, 'homeassistant/#', 'homeassistant/marker/a/b/config');
      return expected.every((topic) => retained.has(topic));
    }, `retained configs on ${expected.join(', ')}`, 10_000);
    assert.deepEqual([...retained.keys()].filter((topic) => topic.includes(`/${DEVICE}/`)).sort(), [...expected].sort(), 'one config per entity, no others');

    const sw = JSON.parse(retained.get(configTopic('switch', 'pin15')) ?? '') as Record<string, unknown>;
    assert.equal(sw.command_topic, `picolink/${DEVICE}/pin/15/set`);
    assert.equal(sw.state_topic, `picolink/${DEVICE}/pin/15/state`);
    const info = sw.device as Record<string, unknown>;
    assert.deepEqual(info.identifiers, [`picolink_${DEVICE}`]);
    assert.equal(info.model, 'Raspberry Pi Pico W (simulated)', 'the board name from get_info');
    assert.equal(info.sw_version, (await t.hub.store.getDevice(DEVICE))?.firmware);
    assert.equal(info.configuration_url, `${t.hub.httpUrl}/devices/${DEVICE}`);
    assert.deepEqual((sw.availability as Array<{ topic: string }>).map((a) => a.topic), [`picolink/${DEVICE}/status`, `picolink/hub/${HUB}/status`]);
    const binary = JSON.parse(retained.get(configTopic('binary_sensor', 'pin2')) ?? '') as Record<string, unknown>;
    assert.equal(binary.state_topic, `picolink/${DEVICE}/pin/2/state`);
    const temp = JSON.parse(retained.get(configTopic('sensor', 'temp_c')) ?? '') as Record<string, unknown>;
    assert.deepEqual([temp.state_topic, temp.device_class, temp.unit_of_measurement], [`picolink/${DEVICE}/telemetry/temp_c`, 'temperature', '°C']);

    // The availability topics the configs name carry "online" (retained) for Home Assistant to read.
    const status = await retainedNow(broker.url, 'picolink/#', 'picolink/marker');
    assert.equal(status.get(`picolink/${DEVICE}/status`), 'online');
    assert.equal(status.get(`picolink/hub/${HUB}/status`), 'online');

    const live = await subscriber(broker.url, 'homeassistant/#');
    try {
      const removed = await t.api(`/api/devices/${DEVICE}`, { method: 'DELETE' });
      assert.equal(removed.status, 204);
      await until(() => expected.every((topic) => live.seen.get(topic)?.payload === ''), 'empty configs published for every entity of the removed device');
    } finally {
      await live.client.endAsync();
    }
    const after = await retainedNow(broker.url, 'homeassistant/#', 'homeassistant/marker/a/c/config');
    assert.deepEqual([...after.keys()].filter((topic) => topic.includes(`/${DEVICE}/`)), [], 'nothing retained for the removed device');
  });
});
