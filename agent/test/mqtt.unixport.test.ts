// Telemetry over MQTT (config.json "telemetry": {"mqtt": {...}}; picolink/mqttpub.py) on
// MicroPython's unix port, against a real Mosquitto broker (Debian's, started by the test
// kit on a free loopback port) and a real `mosquitto_sub` subscriber: the same signed
// datagrams UDP carries arrive on <prefix>/<device>/up/telemetry, a wrong password is
// refused and logged, the agent comes back after the broker restarts, and what MQTT
// telemetry costs the heap on `unix32`. `npm run test:micropython` runs this file.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseTelemetry } from '@picolink/protocol';
import type { TelemetryDatagram } from '@picolink/protocol';
import { Board } from '@picolink/test-kit/board';
import { startMosquitto } from '@picolink/test-kit/mosquitto';
import type { MosquittoBroker } from '@picolink/test-kit/mosquitto';
import { steadyStateHeap } from './harness/heap-scenario.js';
import { delay } from './harness/line-client.js';

const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const sign = (text: string): string => createHmac('sha256', Buffer.from(KEY, 'hex')).update(text, 'utf8').digest('hex');
const USERS = { pico: 'board-secret' };
/** The most MQTT telemetry may add to the agent's heap (the limit). */
const MQTT_HEAP_LIMIT_BYTES = 6 * 1024;

interface Received {
  topic: string;
  message: TelemetryDatagram;
}

/** mosquitto_sub on `filter`; each message parsed as a telemetry datagram signed with KEY. */
function subscribe(t: TestContext, broker: MosquittoBroker, filter: string): Received[] {
  const received: Received[] = [];
  const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(broker.port), '-u', 'pico', '-P', USERS.pico, '-t', filter, '-v']);
  t.after(() => sub.kill());
  createInterface({ input: sub.stdout }).on('line', (line) => {
    const space = line.indexOf(' ');
    const { message, authenticated } = parseTelemetry(line.slice(space + 1), (device, text) => (device === 'test-pico' ? sign(text) : undefined));
    assert.equal(authenticated, true);
    received.push({ topic: line.slice(0, space), message });
  });
  return received;
}

async function until(what: string, ok: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(what);
    await delay(20);
  }
}

function mqttConfig(broker: MosquittoBroker, password = USERS.pico): Record<string, unknown> {
  return {
    telemetry: {
      interval_ms: 100,
      sensors: ['temp_c', 'adc0'],
      key: KEY,
      ack: true, // asked for, but MQTT has no way back to the board: resending stays off
      mqtt: { broker: `127.0.0.1:${broker.port}`, username: 'pico', password, prefix: 'plant', keepalive_s: 5 },
    },
  };
}

for (const port of ['unix', 'unix32'] as const) {
  test(`${port}: telemetry over MQTT arrives signed on <prefix>/<device>/up/telemetry and resumes after the broker restarts`, async (t) => {
    const broker = await startMosquitto({ users: USERS });
    t.after(() => broker.stop());
    let received = subscribe(t, broker, 'plant/+/up/telemetry');
    const board = await Board.start(t, port, { config: mqttConfig(broker) });
    board.setAdc(0, 65535);
    await board.waitForOutput(`picolink: mqtt 127.0.0.1:${broker.port}: connected`, 8000);
    await until('five datagrams', () => received.length >= 5);
    const first = received[0]?.message ?? assert.fail('none');
    assert.ok(received.every((r) => r.topic === 'plant/test-pico/up/telemetry'));
    assert.ok(received.every((r) => r.message.device === 'test-pico' && r.message.boot === first.boot));
    assert.ok(received.every((r) => r.message.ack === undefined), 'no datagram asks for an ack');
    assert.ok(received.some((r) => r.message.readings.adc0 === 3.3), 'adc0 in volts');
    const seqs = received.map((r) => r.message.seq);
    assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'each datagram once, in order: nothing is resent');

    // The broker goes away: readings meanwhile are dropped, the agent retries with backoff
    // and publishes again once the broker is back on the same port.
    await broker.shutdown();
    await board.waitForOutput(new RegExp(`picolink: mqtt 127\\.0\\.0\\.1:${broker.port}: .*; retrying in \\d+ ms`), 8000);
    const lastBefore = received.at(-1)?.message.seq ?? assert.fail('none');
    await delay(300);
    await broker.restart();
    received = subscribe(t, broker, 'plant/+/up/telemetry');
    await until('datagrams after the restart', () => received.length >= 3, 15_000);
    const after = received[0]?.message ?? assert.fail('none');
    assert.equal(after.boot, first.boot, 'the same boot: the agent kept running');
    assert.ok(after.seq > lastBefore + 1, `readings taken while the broker was down were dropped (${lastBefore} then ${after.seq})`);
    board.assertNoTraceback();
  });

  test(`${port}: a wrong MQTT password is refused by the broker and logged; nothing is published`, async (t) => {
    const broker = await startMosquitto({ users: USERS });
    t.after(() => broker.stop());
    const received = subscribe(t, broker, '#');
    const board = await Board.start(t, port, { config: mqttConfig(broker, 'wrong') });
    await board.waitForOutput(new RegExp(`picolink: mqtt 127\\.0\\.0\\.1:${broker.port}: refused by the broker \\(CONNACK code 5\\); retrying in \\d+ ms`), 8000);
    await delay(300);
    assert.equal(received.length, 0);
    board.assertNoTraceback();
  });
}

test('unix32: MQTT telemetry costs the agent less than 6 KiB of heap beside the same telemetry over UDP', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const sensors = ['temp_c', 'adc0', 'pin2'];
  // The same scenario both ways, unacknowledged (MQTT has no acks), so the difference is the
  // publisher: its module, its connection and the names it interns.
  const udp = await steadyStateHeap(t, 'unix32', { target: '127.0.0.1:9', interval_ms: 50, sensors, key: KEY });
  await udp.board.stop();
  const mqtt = await steadyStateHeap(t, 'unix32', { interval_ms: 50, sensors, key: KEY, mqtt: { broker: `127.0.0.1:${broker.port}` } });
  assert.match(mqtt.board.log, /picolink: mqtt 127\.0\.0\.1:\d+: connected/);
  const cost = mqtt.report.agent - udp.report.agent;
  t.diagnostic(`agent heap with telemetry over UDP ${udp.report.agent} bytes, over MQTT ${mqtt.report.agent} bytes: MQTT costs ${cost} bytes`);
  assert.ok(cost < MQTT_HEAP_LIMIT_BYTES, `MQTT telemetry costs ${cost} bytes`);
  mqtt.board.assertNoTraceback();
});
