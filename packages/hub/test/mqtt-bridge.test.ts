/**
 * The MQTT bridge against a real Mosquitto (Debian's, started on a free loopback port):
 * what a subscriber sees for status, telemetry, events and pin levels; set commands that
 * move a simulated device's pin through the commands service (SDK, audit log); refusals
 * answered on the result topic; a broker restart mid-stream; passwords and TLS.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { connect } from '@picolink/client';
import { ErrorCode } from '@picolink/protocol';
import { loopbackCertificate, startMosquitto } from '@picolink/test-kit/mosquitto';
import type { MosquittoBroker } from '@picolink/test-kit/mosquitto';
import { readDocBlocks, where } from '@picolink/test-kit/doc-blocks';
import { LineClient } from '@picolink/test-kit/line-client';
import type { HealthMqtt } from '../src/api-types.js';
import { MQTT_ACTOR } from '../src/mqtt/bridge.js';
import { parseConfig } from '../src/config.js';
import { sendTelemetry, startTestHub, tempDir, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { serverDeviceOnline, startServerDevice } from './sim-devices.js';
import type { SimDevice } from './sim-devices.js';

const BACKOFF = { baseMs: 50, maxMs: 300 };
const DOC = fileURLToPath(new URL('../../../../docs/mqtt.md', import.meta.url));

interface Received {
  topic: string;
  text: string;
  retain: boolean;
}

/** A subscriber that keeps everything it receives. */
class Watcher {
  readonly messages: Received[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => this.messages.push({ topic, text: payload.toString('utf8'), retain: packet.retain }));
  }

  static async open(url: string, filter: string, options: IClientOptions = {}): Promise<Watcher> {
    const client = await connectAsync(url, { reconnectPeriod: 100, ...options });
    const watcher = new Watcher(client);
    await client.subscribeAsync(filter, { qos: 1 });
    return watcher;
  }

  /** The latest message on `topic` (that `accept` takes), waiting for it. */
  async next(topic: string, accept: (message: Received) => boolean = () => true, ms = 5000): Promise<Received> {
    return until(() => [...this.messages].reverse().find((message) => message.topic === topic && accept(message)), `a message on ${topic}`, ms);
  }

  /** Publishes and waits for the answer on `topic + "/result"`, parsed. */
  async set(topic: string, payload: string): Promise<Record<string, unknown>> {
    const before = this.messages.length;
    await this.client.publishAsync(topic, payload, { qos: 1 });
    const answer = await until(() => this.messages.slice(before).find((message) => message.topic === `${topic}/result`), `an answer on ${topic}/result`);
    return JSON.parse(answer.text) as Record<string, unknown>;
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

/**
 * What the broker keeps on `topic` for a subscriber arriving now (a subscriber already there
 * gets retained messages as they are published, without the retain flag).
 */
async function retained(url: string, topic: string, accept: (text: string) => boolean = () => true): Promise<string> {
  return until(async () => {
    const late = await Watcher.open(url, topic);
    try {
      const message = await late.next(topic, () => true, 1000).catch(() => undefined);
      return message?.retain && accept(message.text) ? message.text : undefined;
    } finally {
      await late.close();
    }
  }, `a retained message on ${topic}`);
}

async function health(t: TestHub): Promise<HealthMqtt> {
  const body = await t.json<{ mqtt: HealthMqtt | null }>('/api/health');
  assert.ok(body.mqtt, 'the health route has the bridge counters');
  return body.mqtt;
}

describe('MQTT bridge', () => {
  let broker: MosquittoBroker;
  let pico: SimDevice;
  let t: TestHub;
  let watcher: Watcher;

  before(async () => {
    broker = await startMosquitto();
    pico = await startServerDevice('pico-1');
    t = await startTestHub({ hubId: 'hub-m', devices: [{ id: 'pico-1', address: pico.device.url }, { id: 'pico-off' }], mqtt: { url: broker.url, prefix: 'pl' } }, { mqttBackoff: BACKOFF });
    await serverDeviceOnline(t.hub, 'pico-1');
    watcher = await Watcher.open(broker.url, 'pl/#');
    const sdk = await connect(`hub://127.0.0.1:${t.hub.httpPort}/devices/pico-1`, { token: t.hub.token ?? '' });
    await sdk.pin(5).setup('output', { value: 0 });
    await sdk.pin(6).setup('output', { value: 0 });
    await sdk.close();
  });
  after(async () => {
    await watcher?.close();
    await t?.close();
    await pico?.stop();
    await broker?.stop();
  });

  test('device and hub status are retained: a subscriber arriving later sees online for both', async () => {
    const late = await Watcher.open(broker.url, 'pl/+/status');
    const hubStatus = await Watcher.open(broker.url, 'pl/hub/hub-m/status');
    try {
      const device = await late.next('pl/pico-1/status', (message) => message.text === 'online');
      assert.equal(device.retain, true);
      const hub = await hubStatus.next('pl/hub/hub-m/status');
      assert.deepEqual([hub.text, hub.retain], ['online', true]);
    } finally {
      await late.close();
      await hubStatus.close();
    }
    const body = await t.json<{ mqtt: HealthMqtt | null }>('/api/health');
    assert.equal(body.mqtt?.connected, true);
  });

  test('each telemetry reading arrives on its own topic as a number, not retained', async () => {
    await sendTelemetry(t.hub.telemetryPort, [{ v: 1, device: 'pico-1', boot: 1, seq: 1, t: 5, readings: { temp_c: 21.5, rssi: -61 } }]);
    const temp = await watcher.next('pl/pico-1/telemetry/temp_c');
    assert.deepEqual([temp.text, temp.retain], ['21.5', false]);
    assert.equal((await watcher.next('pl/pico-1/telemetry/rssi')).text, '-61');
  });

  test('an input change is an event on its topic and a retained level on the pin state topic', async () => {
    const response = await t.post('/api/devices/pico-1/commands', [
      { action: 'setup_pin', pin: 7, mode: 'input', pull: 'down' },
      { action: 'watch_pin', pin: 7, edge: 'both', debounce_ms: 0 },
    ]);
    assert.equal(response.status, 200);
    pico.device.backend.setInputLevel(7, 1);
    const event = JSON.parse((await watcher.next('pl/pico-1/event/pin_change')).text) as { type: string; data: Record<string, unknown> };
    assert.equal(event.type, 'pin_change');
    assert.deepEqual([event.data.pin, event.data.value, event.data.cause], [7, 1, 'input']);
    assert.equal((await watcher.next('pl/pico-1/pin/7/state')).text, 'ON');
    assert.equal(await retained(broker.url, 'pl/pico-1/pin/7/state'), 'ON');
  });

  test('a set command drives the pin (seen through the SDK), is audited with the MQTT actor and updates the pin state', async () => {
    const result = await watcher.set('pl/pico-1/pin/5/set', 'ON');
    assert.deepEqual(result, { ok: true, pin: 5, value: 1, previous: 0 });
    const sdk = await connect(pico.device.url);
    try {
      assert.equal(await sdk.pin(5).read(), 1);
    } finally {
      await sdk.close();
    }
    await watcher.next('pl/pico-1/pin/5/state', (message) => message.text === 'ON');
    assert.equal(await retained(broker.url, 'pl/pico-1/pin/5/state'), 'ON');
    const audit = await t.hub.store.listAudit({ deviceId: 'pico-1' });
    const record = audit.find((entry) => entry.actor === MQTT_ACTOR && entry.action === 'write_pin');
    assert.ok(record, 'the set is in the audit log');
    assert.deepEqual([record.request.pin, record.request.value, record.result], [5, 1, 'ok']);
    assert.deepEqual(await watcher.set('pl/pico-1/pin/5/set', ' off '), { ok: true, pin: 5, value: 0, previous: 1 });
    assert.equal(pico.device.backend.pinState(5).driven, 0);
  });

  test('a leased set reverts on the device when it ends, and the state topic follows', async () => {
    const result = await watcher.set('pl/pico-1/pin/5/set', '{"value": 1, "timeout": 0.4}');
    assert.equal(result.ok, true);
    assert.deepEqual([result.value, result.reverts_to, result.lease_ms], [1, 0, 400]);
    assert.equal(pico.device.backend.pinState(5).driven, 1);
    await watcher.next('pl/pico-1/pin/5/state', (message) => message.text === 'ON');
    await until(() => pico.device.backend.pinState(5).driven === 0, 'the lease reverts on the device');
    await watcher.next('pl/pico-1/pin/5/state', (message) => message.text === 'OFF');
    assert.equal(await retained(broker.url, 'pl/pico-1/pin/5/state'), 'OFF');
  });

  test('docs/mqtt.md: its configurations load, its answers are what the bridge sends, its other blocks say why they are not run', async () => {
    const blocks = readDocBlocks(DOC);
    const configs = blocks.filter((block) => block.lang === 'json' && block.notRun === undefined && block.text.includes('"mqtt"'));
    const answers = blocks.filter((block) => block.lang === 'json' && block.notRun === undefined && block.text.includes('"ok"'));
    assert.equal(configs.length, 2);
    for (const block of configs) assert.doesNotThrow(() => parseConfig(JSON.parse(block.text)), where(block));
    const [okText, refusedText] = answers.map((block) => JSON.parse(block.text) as Record<string, unknown>);
    assert.ok(okText && refusedText, 'an answer and a refusal are documented');
    const ok = await watcher.set('pl/pico-1/pin/6/set', '{"value": 1, "timeout": 5}');
    assert.deepEqual(Object.keys(ok).sort(), Object.keys(okText).sort());
    assert.deepEqual({ ...ok, pin: okText.pin }, okText);
    const refused = await watcher.set('pl/pico-1/pin/9/set', 'ON');
    assert.deepEqual(refused, refusedText);
    const unaccounted = blocks.filter((block) => block.notRun === undefined && !configs.includes(block) && !answers.includes(block));
    assert.deepEqual(unaccounted.map(where), []);
  });

  test('bad payloads, unknown pins and devices, offline devices: coded answers on the result topic, and the bridge keeps working', async () => {
    const before = await health(t);
    const refusals: Array<[string, string, string]> = [
      ['pl/pico-1/pin/5/set', 'maybe', ErrorCode.BAD_TYPE],
      ['pl/pico-1/pin/5/set', '{"value": 1', ErrorCode.BAD_JSON],
      ['pl/pico-1/pin/5/set', '[1]', ErrorCode.BAD_TYPE],
      ['pl/pico-1/pin/5/set', '{"value": 1, "timeout": -1}', ErrorCode.OUT_OF_RANGE],
      ['pl/pico-1/pin/5/set', '{"value": 1, "colour": "red"}', ErrorCode.UNKNOWN_FIELD],
      ['pl/pico-1/pin/5/set', '{"timeout": 3}', ErrorCode.MISSING_FIELD],
      ['pl/pico-1/pin/5/set', 'x'.repeat(2000), ErrorCode.MESSAGE_TOO_LARGE],
      ['pl/pico-1/pin/99/set', 'ON', ErrorCode.OUT_OF_RANGE],
      ['pl/pico-1/pin/relay/set', 'ON', ErrorCode.BAD_TYPE],
      ['pl/ghost/pin/5/set', 'ON', ErrorCode.UNKNOWN_DEVICE],
      ['pl/pico-off/pin/5/set', 'ON', ErrorCode.DEVICE_OFFLINE],
    ];
    for (const [topic, payload, code] of refusals) {
      const answer = await watcher.set(topic, payload);
      assert.equal(answer.ok, false, `${topic} ${payload.slice(0, 20)}`);
      assert.equal(answer.code, code, `${topic} ${payload.slice(0, 20)}: ${String(answer.error)}`);
      assert.equal(typeof answer.error, 'string');
    }
    assert.deepEqual(await watcher.set('pl/pico-1/pin/5/set', 'true'), { ok: true, pin: 5, value: 1, previous: 0 });
    const after = await health(t);
    assert.equal(after.received - before.received, refusals.length + 1);
    assert.equal(after.errors - before.errors, refusals.length);
    assert.equal(after.connected, true);
  });

  test('a broker restart mid-stream: publishes while it is down are dropped and counted, the bridge reconnects and publishes its retained state again', async () => {
    await watcher.set('pl/pico-1/pin/5/set', '1');
    const before = await health(t);
    await broker.shutdown();
    await until(async () => (await health(t)).connected === false, 'the bridge sees the broker gone');
    let seq = 100;
    await sendTelemetry(t.hub.telemetryPort, [{ v: 1, device: 'pico-1', boot: 1, seq: seq++, t: 50, readings: { temp_c: 30 } }]);
    await until(async () => (await health(t)).dropped > before.dropped, 'the reading published while the broker is down is counted as dropped');
    assert.equal((await t.api('/api/devices/pico-1')).status, 200, 'the API answers while the broker is down');
    await broker.restart();
    await until(async () => (await health(t)).connected, 'the bridge reconnects', 10_000);
    assert.equal((await health(t)).reconnects, before.reconnects + 1);
    // Persistence is off: only what the bridge published again after the restart is retained.
    const fresh = await Watcher.open(broker.url, 'pl/#');
    try {
      assert.equal((await fresh.next('pl/hub/hub-m/status')).text, 'online');
      assert.equal((await fresh.next('pl/pico-1/status')).text, 'online');
      assert.equal((await fresh.next('pl/pico-1/pin/5/state')).text, 'ON');
      assert.equal((await fresh.next('pl/pico-off/status')).text, 'offline');
      await sendTelemetry(t.hub.telemetryPort, [{ v: 1, device: 'pico-1', boot: 1, seq: seq++, t: 60, readings: { temp_c: 31 } }]);
      assert.equal((await fresh.next('pl/pico-1/telemetry/temp_c')).text, '31');
    } finally {
      await fresh.close();
    }
  });
});

describe('MQTT bridge: limits', () => {
  test('set commands past maxCommandsInFlight are answered PL_ERR_BUSY at once and counted as dropped; the one waiting times out', async () => {
    const broker = await startMosquitto();
    const t = await startTestHub({ hubId: 'hub-l', devices: [{ id: 'mute' }], mqtt: { url: broker.url, maxCommandsInFlight: 1 } }, { mqttBackoff: BACKOFF, gatewayLimits: { requestTimeoutMs: 1500 } });
    // A device that says hello and then never answers a command.
    const mute = await LineClient.connect(t.hub.gatewayPort, { timeoutMs: 3000 });
    const watcher = await Watcher.open(broker.url, 'picolink/mute/#');
    try {
      mute.send({ id: 1, action: 'hello', protocol: 1, firmware: 'raw-1', capabilities: ['pipeline', 'events'], boot: 1, device: 'mute' });
      await mute.next((message) => message.id === 1 && message.ok === true);
      await until(() => t.hub.directory.isOnline('mute'), 'the mute device online');
      await until(async () => (await health(t)).connected, 'the bridge connected');
      const before = await health(t);
      const first = watcher.set('picolink/mute/pin/5/set', 'ON');
      await until(async () => (await health(t)).commands > before.commands, 'the first command sent');
      const started = Date.now();
      const busy = await watcher.set('picolink/mute/pin/6/set', 'ON');
      assert.deepEqual([busy.ok, busy.code, busy.pin], [false, ErrorCode.BUSY, 6]);
      assert.ok(Date.now() - started < 1000, 'the refusal does not wait for the device');
      assert.deepEqual([(await first).ok, (await first).code], [false, ErrorCode.TIMEOUT]);
      const after = await health(t);
      assert.equal(after.dropped - before.dropped, 1);
      assert.equal(after.commands - before.commands, 1);
      assert.equal(after.errors - before.errors, 2);
    } finally {
      mute.close();
      await watcher.close();
      await t.close();
      await broker.stop();
    }
  });
});

describe('MQTT bridge: broker accounts and TLS', () => {
  test('username and password: the bridge connects with them; with a wrong password it never does, and the hub still serves', async () => {
    const broker = await startMosquitto({ users: { hub: 'hub-secret', viewer: 'viewer-secret' } });
    const good = await startTestHub({ hubId: 'hub-u', mqtt: { url: broker.url, username: 'hub', password: 'hub-secret' } }, { mqttBackoff: BACKOFF });
    const bad = await startTestHub({ hubId: 'hub-w', mqtt: { url: broker.url, username: 'hub', password: 'wrong' } }, { mqttBackoff: BACKOFF });
    const viewer = await Watcher.open(broker.url, 'picolink/hub/+/status', { username: 'viewer', password: 'viewer-secret' });
    try {
      assert.equal((await viewer.next('picolink/hub/hub-u/status')).text, 'online');
      await until(async () => (await health(bad)).reconnects === 0 && (await health(good)).connected, 'both bridges have tried');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await health(bad)).connected, false);
      assert.equal(viewer.messages.some((message) => message.topic === 'picolink/hub/hub-w/status'), false, 'the refused hub published nothing');
    } finally {
      await viewer.close();
      await good.close();
      await bad.close();
      await broker.stop();
    }
  });

  test('TLS to the broker: trusted by a CA file or by the certificate fingerprint over mqtts://; an untrusted certificate is refused', async () => {
    const certificate = loopbackCertificate();
    const broker = await startMosquitto({ tls: certificate });
    const dir = tempDir();
    const ca = join(dir.path, 'broker-ca.pem');
    writeFileSync(ca, certificate.cert);
    const viewer = await Watcher.open(broker.url, 'picolink/hub/+/status', { ca: certificate.cert });
    const fingerprint = new X509Certificate(certificate.cert).fingerprint256;
    const wrong = new X509Certificate(loopbackCertificate().cert).fingerprint256;
    const hubs = [
      await startTestHub({ hubId: 'hub-ca', mqtt: { url: broker.url, tls: { ca } } }, { mqttBackoff: BACKOFF }),
      await startTestHub({ hubId: 'hub-pin', mqtt: { url: broker.url, tls: { fingerprint: fingerprint.replaceAll(':', '').toLowerCase() } } }, { mqttBackoff: BACKOFF }),
      await startTestHub({ hubId: 'hub-bad-pin', mqtt: { url: broker.url, tls: { fingerprint: wrong } } }, { mqttBackoff: BACKOFF }),
      // No CA and no fingerprint: the system's CAs, which do not know this certificate.
      await startTestHub({ hubId: 'hub-no-ca', mqtt: { url: broker.url } }, { mqttBackoff: BACKOFF }),
    ];
    try {
      assert.ok(broker.url.startsWith('mqtts://'));
      assert.equal((await viewer.next('picolink/hub/hub-ca/status')).text, 'online');
      assert.equal((await viewer.next('picolink/hub/hub-pin/status')).text, 'online');
      assert.equal((await health(hubs[0] as TestHub)).connected, true);
      assert.equal((await health(hubs[1] as TestHub)).connected, true);
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const refused of hubs.slice(2)) assert.equal((await health(refused)).connected, false);
      assert.deepEqual(
        viewer.messages.filter((message) => message.topic.includes('hub-bad-pin') || message.topic.includes('hub-no-ca')),
        [],
        'a broker whose certificate is not trusted is never sent the CONNECT',
      );
    } finally {
      await viewer.close();
      for (const hub of hubs) await hub.close();
      await broker.stop();
      dir.remove();
    }
  });
});
