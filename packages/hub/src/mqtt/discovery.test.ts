import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { OutputState } from '../store/store.js';
import { Topics } from './topics.js';
import { discoveryConfigs, discoveryDevice, discoveryRemovals, PublishedDiscovery, reachableDashboardUrl, type DiscoveryContext, type DiscoveryDevice } from './discovery.js';

const CONTEXT: DiscoveryContext = { discoveryPrefix: 'homeassistant', topics: new Topics('picolink'), hubId: 'hub-a', hubVersion: '0.1.0', dashboardUrl: 'http://hub.local:8080/' };

const BOARD: DiscoveryDevice = {
  id: 'pico-1',
  model: 'Raspberry Pi Pico W with RP2040',
  firmware: '0.3.0',
  outputs: [15, 'LED'],
  inputs: [2],
  metrics: ['temp_c', 'adc0', 'rssi', 'pin2'],
};

function configs(device: DiscoveryDevice = BOARD, context: DiscoveryContext = CONTEXT): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const m of discoveryConfigs(device, context)) out.set(m.topic, JSON.parse(m.payload) as Record<string, unknown>);
  return out;
}

function config(topic: string, device?: DiscoveryDevice, context?: DiscoveryContext): Record<string, unknown> {
  const found = configs(device, context).get(topic);
  assert.ok(found, `a config on ${topic}`);
  return found;
}

// Fields Home Assistant's MQTT discovery documents for every entity: the device registry
// entry, the origin, and availability from two topics that must both say "online".
function assertCommon(c: Record<string, unknown>, uniqueId: string, entityId: string, name: string): void {
  assert.equal(c.name, name);
  assert.equal(c.unique_id, uniqueId);
  assert.equal(c.default_entity_id, entityId);
  assert.equal('object_id' in c, false, 'object_id is replaced by default_entity_id (Home Assistant 2025.10) and no longer read from 2026.4');
  assert.deepEqual(c.device, {
    identifiers: ['picolink_pico-1'],
    name: 'pico-1',
    model: 'Raspberry Pi Pico W with RP2040',
    manufacturer: 'Raspberry Pi',
    sw_version: '0.3.0',
    configuration_url: 'http://hub.local:8080/devices/pico-1',
  });
  assert.deepEqual(c.origin, { name: 'picolink', sw_version: '0.1.0' });
  assert.deepEqual(c.availability, [
    { topic: 'picolink/pico-1/status', payload_available: 'online', payload_not_available: 'offline' },
    { topic: 'picolink/hub/hub-a/status', payload_available: 'online', payload_not_available: 'offline' },
  ]);
  assert.equal(c.availability_mode, 'all');
}

test('an output is a switch commanded on its set topic, with its state retained on the state topic', () => {
  const c = config('homeassistant/switch/pico-1/pin15/config');
  assertCommon(c, 'picolink_pico-1_switch_pin15', 'switch.pico_1_pin15', 'GP15');
  assert.equal(c.command_topic, 'picolink/pico-1/pin/15/set');
  assert.equal(c.state_topic, 'picolink/pico-1/pin/15/state');
  assert.equal(c.payload_on, 'ON');
  assert.equal(c.payload_off, 'OFF');
  assert.equal(c.state_on, 'ON');
  assert.equal(c.state_off, 'OFF');
  assert.equal(c.optimistic, false);
  assert.equal(c.qos, 1);
  const led = config('homeassistant/switch/pico-1/led/config');
  assert.equal(led.name, 'LED');
  assert.equal(led.command_topic, 'picolink/pico-1/pin/LED/set');
});

test('a watched input is a binary_sensor on its state topic, without a command topic', () => {
  const c = config('homeassistant/binary_sensor/pico-1/pin2/config');
  assertCommon(c, 'picolink_pico-1_binary_sensor_pin2', 'binary_sensor.pico_1_pin2', 'GP2');
  assert.equal(c.state_topic, 'picolink/pico-1/pin/2/state');
  assert.equal(c.payload_on, 'ON');
  assert.equal(c.payload_off, 'OFF');
  assert.equal('command_topic' in c, false);
});

test('telemetry metrics are measurement sensors; temperature, voltage and signal strength get their device class and unit', () => {
  const temp = config('homeassistant/sensor/pico-1/temp_c/config');
  assertCommon(temp, 'picolink_pico-1_sensor_temp_c', 'sensor.pico_1_temp_c', 'temp_c');
  assert.equal(temp.state_topic, 'picolink/pico-1/telemetry/temp_c');
  assert.equal(temp.state_class, 'measurement');
  assert.equal(temp.device_class, 'temperature');
  assert.equal(temp.unit_of_measurement, '°C');
  const adc = config('homeassistant/sensor/pico-1/adc0/config');
  assert.equal(adc.device_class, 'voltage');
  assert.equal(adc.unit_of_measurement, 'V');
  assert.equal(adc.state_topic, 'picolink/pico-1/telemetry/adc0');
  const rssi = config('homeassistant/sensor/pico-1/rssi/config');
  assert.equal(rssi.device_class, 'signal_strength');
  assert.equal(rssi.unit_of_measurement, 'dBm');
  // A pin level sent as telemetry is a number without a class or unit (Home Assistant
  // refuses a device class with a unit it does not allow).
  const level = config('homeassistant/sensor/pico-1/pin2/config');
  assert.equal(level.state_class, 'measurement');
  assert.equal('device_class' in level, false);
  assert.equal('unit_of_measurement' in level, false);
});

test('one config per entity, each config topic distinct', () => {
  const messages = discoveryConfigs(BOARD, CONTEXT);
  assert.deepEqual(messages.map((m) => m.topic).sort(), [
    'homeassistant/binary_sensor/pico-1/pin2/config',
    'homeassistant/sensor/pico-1/adc0/config',
    'homeassistant/sensor/pico-1/pin2/config',
    'homeassistant/sensor/pico-1/rssi/config',
    'homeassistant/sensor/pico-1/temp_c/config',
    'homeassistant/switch/pico-1/led/config',
    'homeassistant/switch/pico-1/pin15/config',
  ]);
});

test('ids Home Assistant does not accept in a topic get a hashed slug; the prefixes and unknown device facts are honoured', () => {
  const context = { ...CONTEXT, discoveryPrefix: 'ha', topics: new Topics('plant/line1'), dashboardUrl: null };
  const device: DiscoveryDevice = { id: 'lab.pico', model: null, firmware: null, outputs: [3], inputs: [], metrics: ['env:hum'] };
  const all = configs(device, context);
  const topics = [...all.keys()];
  assert.equal(topics.length, 2);
  for (const topic of topics) assert.match(topic, /^ha\/(switch|sensor)\/lab_pico_[0-9a-f]{8}\/[A-Za-z0-9_-]+\/config$/);
  const other = discoveryConfigs({ ...device, id: 'lab_pico' }, context).map((m) => m.topic);
  assert.equal(other.some((t) => topics.includes(t)), false, '"lab.pico" and "lab_pico" never share a topic');
  const sw = [...all.values()].find((c) => c.command_topic !== undefined);
  assert.ok(sw);
  assert.equal(sw.command_topic, 'plant/line1/lab.pico/pin/3/set');
  assert.equal(sw.default_entity_id, 'switch.lab_pico_pin3');
  assert.deepEqual(sw.device, { identifiers: ['plant/line1_lab.pico'], name: 'lab.pico' });
  assert.deepEqual((sw.availability as { topic: string }[]).map((a) => a.topic), ['plant/line1/lab.pico/status', 'plant/line1/hub/hub-a/status']);
  const sensor = [...all.values()].find((c) => c.state_class === 'measurement');
  assert.equal(sensor?.state_topic, 'plant/line1/lab.pico/telemetry/env:hum');
});

test('discoveryDevice: pins set up as inputs and pins heard as inputs are binary sensors, every other pin the hub set is a switch', () => {
  const state = (pin: number | 'LED', setup: Record<string, unknown> | null): OutputState => ({ deviceId: 'd', pin, setup, value: 1, leaseUntil: null, leaseValue: null, leaseWrite: null, updatedAt: 0 });
  const outputs = [state(15, { pin: 15, mode: 'output', pull: 'none' }), state('LED', null), state(4, { pin: 4, mode: 'input', pull: 'up' })];
  const device = discoveryDevice({ id: 'd', firmware: '0.3.0', info: { board: 'Raspberry Pi Pico W with RP2040' } }, outputs, [2, 4, 15], ['temp_c']);
  assert.deepEqual(device, { id: 'd', model: 'Raspberry Pi Pico W with RP2040', firmware: '0.3.0', outputs: [15, 'LED'], inputs: [4, 2], metrics: ['temp_c'] });
  assert.equal(discoveryDevice({ id: 'd', firmware: null, info: null }, [], [], []).model, null);
});

test('removal empties every config published for the device, and an entity a device no longer has is removed on the next update', () => {
  assert.deepEqual(discoveryRemovals(['a/config']), [{ topic: 'a/config', payload: '' }]);
  const published = new PublishedDiscovery();
  const first = published.update(BOARD, CONTEXT);
  assert.equal(first.length, 7);
  assert.ok(first.every((m) => m.payload !== ''));
  const second = published.update({ ...BOARD, metrics: ['temp_c'] }, CONTEXT);
  assert.deepEqual(second.filter((m) => m.payload === '').map((m) => m.topic).sort(), [
    'homeassistant/sensor/pico-1/adc0/config',
    'homeassistant/sensor/pico-1/pin2/config',
    'homeassistant/sensor/pico-1/rssi/config',
  ]);
  const removed = published.remove('pico-1');
  assert.deepEqual(removed.map((m) => m.topic).sort(), second.filter((m) => m.payload !== '').map((m) => m.topic).sort());
  assert.ok(removed.every((m) => m.payload === ''));
  assert.deepEqual(published.remove('pico-1'), [], 'a removed device has nothing left to clear');
});

test('the Visit link names this machine when the hub listens on every interface', () => {
  assert.equal(reachableDashboardUrl('http://0.0.0.0:8080', 'plant-hub'), 'http://plant-hub:8080/');
  assert.equal(reachableDashboardUrl('https://[::]:8443', 'plant-hub'), 'https://plant-hub:8443/');
  assert.equal(reachableDashboardUrl('http://192.168.1.20:8080', 'plant-hub'), 'http://192.168.1.20:8080/');
});

test('a hub of several on one PostgreSQL leaves its own status out of availability', () => {
  const messages = discoveryConfigs(BOARD, { ...CONTEXT, hubId: null });
  assert.ok(messages.length > 0);
  for (const message of messages) {
    const payload = JSON.parse(message.payload) as { availability: Array<{ topic: string }> };
    assert.deepEqual(payload.availability.map((entry) => entry.topic), [`picolink/${BOARD.id}/status`]);
  }
});
