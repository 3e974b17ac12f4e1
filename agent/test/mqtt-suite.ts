/**
 * Telemetry over MQTT (config.json "telemetry": {"mqtt": {...}}; picolink/mqttpub.py)
 * against a real Mosquitto broker (Debian's, started by the test kit on a free loopback
 * port) and a real `mosquitto_sub` subscriber, for one runtime: the same signed datagrams
 * UDP carries arrive on <prefix>/<device>/up/telemetry, none asks for an ack, the agent
 * comes back after the broker restarts, and a wrong password is refused and logged.
 * mqtt.test.ts runs it under CPython, mqtt.unixport.test.ts on MicroPython's unix ports.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseTelemetry } from '@picolink/protocol';
import type { TelemetryDatagram } from '@picolink/protocol';
import { Board } from '@picolink/test-kit/board';
import type { Runtime } from '@picolink/test-kit/board';
import { startMosquitto } from '@picolink/test-kit/mosquitto';
import type { MosquittoBroker } from '@picolink/test-kit/mosquitto';
import { delay } from './harness/line-client.js';

export const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const sign = (text: string): string => createHmac('sha256', Buffer.from(KEY, 'hex')).update(text, 'utf8').digest('hex');
const USERS = { pico: 'board-secret' };

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

export function mqttSuite(runtime: Runtime): void {
  test(`${runtime}: telemetry over MQTT arrives signed on <prefix>/<device>/up/telemetry and resumes after the broker restarts`, async (t) => {
    const broker = await startMosquitto({ users: USERS });
    t.after(() => broker.stop());
    let received = subscribe(t, broker, 'plant/+/up/telemetry');
    const board = await Board.start(t, runtime, { config: mqttConfig(broker) });
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

  test(`${runtime}: a wrong MQTT password is refused by the broker and logged; nothing is published`, async (t) => {
    const broker = await startMosquitto({ users: USERS });
    t.after(() => broker.stop());
    const received = subscribe(t, broker, '#');
    const board = await Board.start(t, runtime, { config: mqttConfig(broker, 'wrong') });
    await board.waitForOutput(new RegExp(`picolink: mqtt 127\\.0\\.0\\.1:${broker.port}: refused by the broker \\(CONNACK code 5\\); retrying in \\d+ ms`), 8000);
    await delay(300);
    assert.equal(received.length, 0);
    board.assertNoTraceback();
  });
}

