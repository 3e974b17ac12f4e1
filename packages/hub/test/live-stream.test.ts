/**
 * `GET /api/stream` over a real WebSocket: live telemetry (real UDP datagrams), events and
 * device status, per-device filters, refusals, and a client that stops reading being
 * dropped while another keeps receiving.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import type { Socket } from 'node:net';
import { ErrorCode } from '@picolink/protocol';
import { JsonSocket, refusedUpgrade, sendTelemetry, startTestHub, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { startDialHomeDevice } from './sim-devices.js';

const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

/** A WebSocket client that completes the handshake and then never reads again. */
async function stalledWebSocket(port: number, path: string): Promise<Socket> {
  const socket = connectTcp(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let head = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(head));
      else resolve();
    };
    socket.on('data', onData);
  });
  socket.pause();
  socket.on('error', () => {});
  return socket;
}

describe('live stream', () => {
  let t: TestHub;
  let streamUrl: string;

  before(async () => {
    t = await startTestHub({ devices: [{ id: 'pico-1' }, { id: 'sensor-1', telemetryKey: KEY }, { id: 'sensor-2' }] }, { apiLimits: { maxStreamBufferedBytes: 256 * 1024 } });
    streamUrl = `${t.hub.httpUrl.replace('http', 'ws')}/api/stream`;
  });
  after(() => t.close());

  test('telemetry, events and status arrive live; a device filter keeps other devices out', async () => {
    const all = await JsonSocket.open(`${streamUrl}?token=${t.hub.token}`);
    const onlyTwo = await JsonSocket.open(`${streamUrl}?device=sensor-2`, { authorization: `Bearer ${t.hub.token}` });
    assert.deepEqual(all.messages[0], { type: 'subscribed', devices: null, types: ['telemetry', 'event', 'status'] });
    assert.deepEqual(onlyTwo.messages[0]?.devices, ['sensor-2']);

    const now = Date.now();
    const { createHmac } = await import('node:crypto');
    const sign = (text: string): string => createHmac('sha256', Buffer.from(KEY, 'hex')).update(text).digest('hex');
    await sendTelemetry(t.hub.telemetryPort, [{ v: 1, device: 'sensor-1', boot: 1, seq: 0, t: 5, time: now, readings: { temp_c: 21.5 } }], sign);
    const telemetry = await until(() => all.find((m) => m.type === 'telemetry' && m.device === 'sensor-1'), 'telemetry on the stream');
    assert.deepEqual(telemetry.rows, [{ metric: 'temp_c', time: now, value: 21.5 }]);

    // A forged datagram is rejected, and the rejection is an event.
    await sendTelemetry(t.hub.telemetryPort, [{ v: 1, device: 'sensor-1', boot: 1, seq: 1, t: 6, time: now, readings: { temp_c: 99 } }], () => '0'.repeat(64));
    const event = await until(() => all.find((m) => m.type === 'event' && m.device === 'sensor-1'), 'event on the stream');
    assert.equal((event.event as { type: string }).type, 'telemetry_rejected');

    const pico = await startDialHomeDevice(t.hub, 'pico-1');
    await until(() => all.find((m) => m.type === 'status' && m.device === 'pico-1' && m.online === true), 'online status');
    await pico.stop();
    await until(() => all.find((m) => m.type === 'status' && m.device === 'pico-1' && m.online === false), 'offline status');

    await sendTelemetry(t.hub.telemetryPort, [{ v: 1, device: 'sensor-2', boot: 1, seq: 0, t: 5, time: now, readings: { lux: 300 } }]);
    await until(() => onlyTwo.find((m) => m.type === 'telemetry'), 'sensor-2 telemetry on the filtered stream');
    assert.ok(onlyTwo.messages.every((m) => m.type === 'subscribed' || m.device === 'sensor-2'), JSON.stringify(onlyTwo.messages));
    all.close();
    onlyTwo.close();
  });

  test('kinds can be chosen with ?types=', async () => {
    const statusOnly = await JsonSocket.open(`${streamUrl}?types=status&token=${t.hub.token}`);
    await sendTelemetry(t.hub.telemetryPort, [{ v: 1, device: 'sensor-2', boot: 1, seq: 1, t: 6, readings: { lux: 301 } }]);
    const pico = await startDialHomeDevice(t.hub, 'pico-1');
    await until(() => statusOnly.find((m) => m.type === 'status'), 'status');
    await pico.stop();
    assert.ok(statusOnly.messages.every((m) => m.type === 'subscribed' || m.type === 'status'));
    statusOnly.close();
  });

  test('upgrades are refused with a status and a coded body', async () => {
    const base = t.hub.httpUrl.replace('http', 'ws');
    const cases: Array<[string, Record<string, string>, number, string]> = [
      [`${base}/api/stream`, {}, 401, ErrorCode.UNAUTHORIZED],
      [`${base}/api/stream?token=wrong`, {}, 401, ErrorCode.UNAUTHORIZED],
      [`${base}/api/stream`, { authorization: 'Bearer wrong' }, 401, ErrorCode.UNAUTHORIZED],
      [`${base}/api/stream?types=gossip&token=${t.hub.token}`, {}, 400, ErrorCode.BAD_TYPE],
      [`${base}/api/stream?device=a%20b&token=${t.hub.token}`, {}, 400, ErrorCode.BAD_TYPE],
      [`${base}/api/elsewhere?token=${t.hub.token}`, {}, 404, ErrorCode.NOT_FOUND],
      // A page of another site must not reach the hub through the browser.
      [`${base}/api/stream?token=${t.hub.token}`, { origin: 'http://evil.example' }, 401, ErrorCode.UNAUTHORIZED],
    ];
    for (const [url, headers, status, code] of cases) {
      const refusal = await refusedUpgrade(url, headers);
      assert.equal(refusal.status, status, url);
      assert.equal(refusal.body.code, code, url);
    }
    const sameOrigin = await JsonSocket.open(`${streamUrl}?token=${t.hub.token}`, { origin: t.hub.httpUrl });
    sameOrigin.close();
    const plain = await t.api('/api/stream');
    assert.equal(plain.status, 426);
    assert.equal(((await plain.json()) as { code: string }).code, ErrorCode.NOT_SUPPORTED);
  });

  test('a client that stops reading is dropped; another keeps receiving', async () => {
    const healthy = await JsonSocket.open(`${streamUrl}?token=${t.hub.token}`);
    const stalled = await stalledWebSocket(t.hub.httpPort, `/api/stream?token=${t.hub.token}`);
    await until(() => t.hub.http.stream.stats.clients === 2, 'both clients subscribed');
    const droppedBefore = t.hub.http.stream.stats.dropped;
    const rows = Array.from({ length: 500 }, (_, i) => ({ deviceId: 'flood', metric: `m${i % 50}`, time: Date.now(), value: i }));
    // Enough to fill the kernel's socket buffers behind the stalled client, and then some; bounded.
    let sent = 0;
    for (; sent < 4000 && t.hub.http.stream.stats.dropped === droppedBefore; sent++) {
      t.hub.bus.emit('telemetry', rows);
      if (sent % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(t.hub.http.stream.stats.dropped, droppedBefore + 1, `dropped after ${sent} batches`);
    assert.equal(t.hub.http.stream.stats.clients, 1);
    t.hub.bus.emit('telemetry', [{ deviceId: 'marker', metric: 'm', time: 1, value: 1 }]);
    await until(() => healthy.find((m) => m.device === 'marker'), 'the healthy client still receives', 10_000);
    assert.equal(healthy.closeCode, undefined);
    // Reading again, the stalled client finds its connection ended by the hub.
    stalled.resume();
    await until(() => stalled.closed, 'the stalled socket is closed');
    healthy.close();
  });
});
