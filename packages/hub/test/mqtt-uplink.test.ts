/**
 * The MQTT uplink (src/mqtt/uplink.ts): telemetry boards publish to a real Mosquitto on
 * `<prefix>/<device>/up/telemetry` reaches the hub's telemetry ingest and its store as a UDP
 * datagram would, through the same checks, and is never acked; a hub with `mqtt` configured
 * takes it through its bridge.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { encodeTelemetry, ErrorCode } from '@picolink/protocol';
import { Board } from '@picolink/test-kit/board';
import { startMosquitto } from '@picolink/test-kit/mosquitto';
import type { MosquittoBroker } from '@picolink/test-kit/mosquitto';
import { startMqttUplink } from '../src/mqtt/uplink.js';
import type { MqttUplink } from '../src/mqtt/uplink.js';
import { startTestHub } from './api-fixture.js';
import { datagram, KEY, sign, startIngestFixture, until } from './telemetry-fixture.js';
import type { IngestFixture } from './telemetry-fixture.js';

async function client(t: TestContext, broker: MosquittoBroker): Promise<MqttClient> {
  const c = connect(broker.url, { reconnectPeriod: 100 });
  t.after(() => c.endAsync(true));
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

async function uplinkHub(t: TestContext, broker: MosquittoBroker, device: string): Promise<{ hub: IngestFixture; uplink: MqttUplink }> {
  const hub = await startIngestFixture({ devices: [{ id: device, telemetryKey: KEY }] });
  t.after(() => hub.close());
  const bridge = await client(t, broker);
  const uplink = startMqttUplink({ client: bridge, ingest: hub.ingest, log: (line) => hub.logs.push(line) });
  t.after(() => uplink.stop());
  // Subscribed once Mosquitto has acknowledged: a probe published after it comes back.
  await new Promise<void>((resolve) => bridge.subscribe('probe', () => bridge.publish('probe', 'x', () => resolve())));
  return { hub, uplink };
}

test('telemetry the agent publishes to MQTT is checked and stored by the hub like a UDP datagram, with no ack', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const { hub, uplink } = await uplinkHub(t, broker, 'test-pico');
  const board = await Board.start(t, 'cpython', {
    config: { telemetry: { interval_ms: 50, sensors: ['temp_c', 'adc0'], key: KEY, ack: true, mqtt: { broker: `127.0.0.1:${broker.port}` } } },
  });
  board.setAdc(0, 65535);
  await until(() => (hub.ingest.stats('test-pico')?.accepted ?? 0) >= 5, 'five datagrams accepted', 10_000);
  await hub.ingest.flush();
  const rows = await hub.store.queryTelemetry({ deviceId: 'test-pico', metric: 'adc0', from: 0, to: Date.now() + 60_000 });
  assert.ok(rows.some((row) => row.value === 3.3), `adc0 stored in volts: ${rows.map((r) => r.value).join(',')}`);
  const stats = hub.ingest.stats('test-pico');
  assert.deepEqual(stats?.rejected, {});
  assert.equal(uplink.stats().mismatched, 0);
  assert.ok(uplink.stats().received >= 5);
  assert.deepEqual(hub.logs, [], 'no ack attempted, nothing refused');
});

test('over MQTT a forged datagram is refused, one published under another device\'s topic is dropped, and an ack is never sent', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const { hub, uplink } = await uplinkHub(t, broker, 'pico-1');
  const board = await client(t, broker);
  const now = Date.now();
  const publish = (topic: string, text: string): Promise<void> => new Promise((resolve) => board.publish(topic, text, () => resolve()));
  await publish('picolink/pico-1/up/telemetry', encodeTelemetry(datagram('pico-1', 0, { time: now }), sign('another key entirely')));
  await publish('picolink/pico-2/up/telemetry', encodeTelemetry(datagram('pico-1', 1, { time: now }), sign(KEY)));
  await publish('picolink/pico-1/up/telemetry', encodeTelemetry(datagram('pico-1', 2, { time: now, ack: true }), sign(KEY)));
  await until(() => hub.ingest.stats('pico-1')?.accepted === 1, 'the signed datagram accepted');
  await hub.ingest.flush();
  assert.equal(hub.ingest.stats('pico-1')?.rejected[ErrorCode.TELEMETRY_BAD_MAC], 1);
  assert.deepEqual(uplink.stats(), { received: 3, mismatched: 1 });
  const rows = await hub.store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: now + 60_000 });
  assert.deepEqual(rows.map((row) => row.value), [22], 'only seq 2 (temp_c 22) stored');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok(!hub.logs.some((line) => line.includes('cannot send an ack')), hub.logs.join('\n'));
});

test('a hub with "mqtt" configured stores the telemetry an agent publishes to the broker, shown by its API', async (t) => {
  const broker = await startMosquitto();
  const hub = await startTestHub({ mqtt: { url: broker.url, prefix: 'plant' }, devices: [{ id: 'test-pico', telemetryKey: KEY }] });
  // The hub first, while its broker is still up.
  t.after(async () => {
    await hub.close();
    await broker.stop();
  });
  const board = await Board.start(t, 'cpython', {
    config: { telemetry: { interval_ms: 50, sensors: ['adc0'], key: KEY, mqtt: { broker: `127.0.0.1:${broker.port}`, prefix: 'plant' } } },
  });
  board.setAdc(0, 65535);
  let rows: Array<{ value: number }> = [];
  const deadline = Date.now() + 10_000;
  while (!rows.some((row) => row.value === 3.3) && Date.now() < deadline) {
    rows = (await hub.json<{ rows: Array<{ value: number }> }>('/api/devices/test-pico/telemetry?metric=adc0&from=-5m')).rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(rows.some((row) => row.value === 3.3), `adc0 rows: ${JSON.stringify(rows)}`);
  assert.equal(hub.hub.mqtt?.uplink?.stats().mismatched, 0);
});
