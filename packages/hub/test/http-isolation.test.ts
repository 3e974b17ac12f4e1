/**
 * A failure stays inside the request or socket it belongs to: the malformed upgrade that
 * used to end the hub, against a real `picolink hub` process; a store that fails under a
 * route; a response that cannot be serialised on a hub:// link; WebSocket frames that are
 * not what the route reads; a live-stream message that cannot be built.
 */
import { describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '@picolink/protocol';
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import type { HubStore } from '../src/store/store.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { guardMessages } from '../src/http/websocket.js';
import { JsonSocket, startTestHub, tempDir, until } from './api-fixture.js';
import { rawRequest, upgradeHeaders } from './http-raw.js';
import { serverDeviceOnline, startServerDevice } from './sim-devices.js';

const CLI_MAIN = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

async function openWebSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

async function closeCode(ws: WebSocket): Promise<number> {
  const [code] = (await once(ws, 'close')) as [number];
  return code;
}

/** A store that fails where the test says, and is the real SQLite store otherwise. */
function faultyStore(store: HubStore, faults: { listMetrics?: boolean; queryTelemetry?: boolean; getDevice?: boolean; bigFirmware?: boolean }): HubStore {
  return new Proxy(store, {
    get(target, key) {
      if ((key === 'listMetrics' && faults.listMetrics) || (key === 'queryTelemetry' && faults.queryTelemetry) || (key === 'getDevice' && faults.getDevice)) {
        return () => {
          throw new TypeError(`${key} failed`);
        };
      }
      if (key === 'getDevice' && faults.bigFirmware) {
        // A value JSON cannot encode: whoever sends it to a client throws.
        return async (id: string) => ({ ...(await target.getDevice(id)), firmware: 10n });
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('failures stay inside one request or socket', () => {
  test('a real hub process answers GET /api/devices/%/link (WebSocket) with 400 and keeps serving', async () => {
    const dir = tempDir();
    const configFile = join(dir.path, 'hub.json');
    writeFileSync(
      configFile,
      JSON.stringify({ dataDir: dir.path, http: { host: '127.0.0.1', port: 0 }, gateway: { host: '127.0.0.1', port: 0 }, telemetry: { host: '127.0.0.1', port: 0 } }),
    );
    const child = spawn(process.execPath, [CLI_MAIN, 'hub', '--config', configFile, '--json']);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    try {
      const line = await until(() => stdout.split('\n').find((l) => l.startsWith('{')), `the hub prints its address (${stderr})`, 15_000);
      const { httpPort, token } = JSON.parse(line) as { httpPort: number; token: string };
      for (const path of ['/api/devices/%/link', '/api/devices/%E0%A4%A/link']) {
        const answer = await rawRequest(httpPort, path, upgradeHeaders());
        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.body?.code, ErrorCode.BAD_URL);
      }
      const health = await rawRequest(httpPort, '/api/devices', { authorization: `Bearer ${token}` });
      assert.equal(health.status, 200, health.text.slice(0, 200));
      assert.equal(child.exitCode, null, `the hub process is still running (${stderr})`);
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      dir.remove();
    }
  });

  test('a route whose store call throws answers 500 PL_ERR_INTERNAL without details (or, mid-export, cuts the CSV off and logs it); other routes go on', async () => {
    const dir = tempDir();
    const faults = { listMetrics: false, queryTelemetry: false };
    const store = await openSqliteStore({ path: join(dir.path, 'faulty.db') });
    const lines: string[] = [];
    const t = await startTestHub({ devices: [{ id: 'pico-1' }] }, { store: faultyStore(store, faults), log: (line) => lines.push(line) });
    try {
      // The CSV header is sent before the first page is read: the failure can only cut the transfer.
      faults.queryTelemetry = true;
      const csv = await rawRequest(t.hub.httpPort, '/api/devices/pico-1/telemetry.csv', { authorization: `Bearer ${t.hub.token}` });
      assert.equal(csv.status, 200);
      assert.ok(csv.text.includes('time,iso_time,device,metric,value'), csv.text);
      assert.ok(!csv.text.endsWith('0\r\n\r\n'), 'the chunked body has no end: the client sees it incomplete');
      assert.match(lines.join('\n'), /CSV export of "pico-1" failed midway \(PL_ERR_INTERNAL\): TypeError: queryTelemetry failed/);
      faults.queryTelemetry = false;

      faults.listMetrics = true;
      const failed = await t.api('/api/devices/pico-1');
      assert.equal(failed.status, 500);
      const body = (await failed.json()) as { code: string; error: string };
      assert.equal(body.code, ErrorCode.INTERNAL);
      assert.doesNotMatch(body.error, /listMetrics|TypeError/, 'the cause stays in the hub log');
      assert.equal((await t.api('/api/devices')).status, 200);
      faults.listMetrics = false;
      assert.equal((await t.api('/api/devices/pico-1')).status, 200);
    } finally {
      await t.close();
      await store.close();
      dir.remove();
    }
  });

  test('hub:// links: a response the hub cannot send closes that link (1011); binary, invalid UTF-8 and oversize frames close it with their codes', async () => {
    const dir = tempDir();
    const faults = { bigFirmware: false, getDevice: false };
    const store = await openSqliteStore({ path: join(dir.path, 'faulty.db') });
    const pico = await startServerDevice('pico-1');
    const t = await startTestHub({ devices: [{ id: 'pico-1', address: pico.device.url }] }, { store: faultyStore(store, faults), serverLinkBackoff: { baseMs: 50, maxMs: 200 } });
    const linkUrl = `ws://127.0.0.1:${t.hub.httpPort}/api/devices/pico-1/link?token=${t.hub.token}`;
    try {
      await serverDeviceOnline(t.hub, 'pico-1');
      const healthy = await openWebSocket(linkUrl);
      const answers: Array<Record<string, unknown>> = [];
      healthy.on('message', (data) => answers.push(JSON.parse(String(data)) as Record<string, unknown>));

      // A failure while accepting: 500 without its details, and the hub goes on.
      faults.getDevice = true;
      const refused = await rawRequest(t.hub.httpPort, `/api/devices/pico-1/link?token=${t.hub.token}`, upgradeHeaders());
      faults.getDevice = false;
      assert.equal(refused.status, 500, refused.text);
      assert.equal(refused.body?.code, ErrorCode.INTERNAL);
      assert.doesNotMatch(String(refused.body?.error), /getDevice|TypeError/);

      const failing = await openWebSocket(linkUrl);
      faults.bigFirmware = true;
      failing.send('{"id":1,"action":"get_version"}');
      assert.equal(await closeCode(failing), 1011, 'the link that met the failure is closed as an internal error');
      faults.bigFirmware = false;

      const cases: Array<[string, (ws: WebSocket) => void, number]> = [
        ['binary', (ws) => ws.send(Buffer.from('{"id":1,"action":"ping"}\n')), 1003],
        ['invalid UTF-8', (ws) => ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false }), 1007],
        ['oversize', (ws) => ws.send('x'.repeat(70_000)), 1009],
      ];
      for (const [what, sendBad, code] of cases) {
        const ws = await openWebSocket(linkUrl);
        sendBad(ws);
        assert.equal(await closeCode(ws), code, what);
      }
      healthy.send('{"id":9,"action":"ping"}');
      await until(() => answers.find((a) => a.id === 9), 'the other link is still answered');
      assert.equal(answers.find((a) => a.id === 9)?.ok, true);
      assert.equal((await t.api('/api/health')).status, 200);
      healthy.close();
    } finally {
      await t.close();
      await pico.stop();
      await store.close();
      dir.remove();
    }
  });

  test('live stream: a binary or oversize message closes that client; a message that cannot be built is logged, not thrown at the bus', async () => {
    const t = await startTestHub({ devices: [{ id: 'sensor-1' }] });
    const streamUrl = `ws://127.0.0.1:${t.hub.httpPort}/api/stream?token=${t.hub.token}`;
    try {
      for (const [what, payload, code] of [['binary', Buffer.from([1, 2, 3]), 1003], ['oversize', 'x'.repeat(5000), 1009]] as const) {
        const ws = await openWebSocket(streamUrl);
        ws.send(payload);
        assert.equal(await closeCode(ws), code, what);
      }
      const listener = await JsonSocket.open(streamUrl);
      listener.ws.send('text from a client is ignored');
      assert.doesNotThrow(() => t.hub.bus.emit('telemetry', [{ deviceId: 'sensor-1', metric: 'm', time: 1, value: 1n as unknown as number }]));
      t.hub.bus.emit('telemetry', [{ deviceId: 'sensor-1', metric: 'm', time: 2, value: 2 }]);
      await until(() => listener.find((m) => m.type === 'telemetry'), 'the next message arrives');
      assert.equal(listener.closeCode, undefined, 'the client stays connected');
      listener.close();
    } finally {
      await t.close();
    }
  });

  test('guardMessages: a handler that throws closes only its socket, with 1011, and logs PL_ERR_INTERNAL', async () => {
    const lines: string[] = [];
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    server.on('connection', (ws) =>
      guardMessages(ws, 'test socket', (line) => lines.push(line), (text) => {
        if (text === 'boom') throw new Error('handler bug');
        ws.send(`echo ${text}`);
      }),
    );
    try {
      const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const other = await openWebSocket(url);
      const victim = await openWebSocket(url);
      victim.send('boom');
      assert.equal(await closeCode(victim), 1011);
      assert.match(lines.join('\n'), /test socket closed after an internal error \(PL_ERR_INTERNAL\): Error: handler bug/);
      other.send('still here');
      const [reply] = (await once(other, 'message')) as [Buffer];
      assert.equal(String(reply), 'echo still here');
      other.close();
    } finally {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
