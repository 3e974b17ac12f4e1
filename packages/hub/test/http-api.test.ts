/**
 * The hub's HTTP API over real HTTP on 127.0.0.1 (fetch), with the SQLite store in a temp
 * directory and telemetry arriving as real UDP datagrams.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DEVICE_FIRMWARE_VERSION } from '@picolink/device';
import { ErrorCode } from '@picolink/protocol';
import type { TelemetryDatagram } from '@picolink/protocol';
import { API_TOKEN_FILE } from '../src/api-token.js';
import { startHub } from '../src/hub.js';
import { CSV_PAGE_ROWS } from '../src/http/csv.js';
import { openApiDocument } from '../src/http/openapi.js';
import { sendTelemetry, startTestHub, tempDir, testConfig, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { serverDeviceOnline, startDialHomeDevice, startServerDevice } from './sim-devices.js';
import type { SimDevice } from './sim-devices.js';

function datagram(device: string, seq: number, time: number, readings: Record<string, number>): TelemetryDatagram {
  return { v: 1, device, boot: 42, seq, t: seq * 1000, time, readings };
}

async function errorOf(response: Response): Promise<{ status: number; code: unknown; error: unknown }> {
  const body = (await response.json()) as { code?: unknown; error?: unknown };
  return { status: response.status, code: body.code, error: body.error };
}

describe('HTTP API', () => {
  let t: TestHub;
  let pico: SimDevice;
  let dialer: SimDevice;

  before(async () => {
    pico = await startServerDevice('pico-1');
    const devices = [{ id: 'pico-1', address: pico.device.url }, { id: 'pico-off', address: 'tcp://127.0.0.1:9' }, { id: 'sensor-1' }, { id: 'dialer', token: 'dialer-secret' }];
    t = await startTestHub({ devices }, { serverLinkBackoff: { baseMs: 50, maxMs: 200 } });
    await serverDeviceOnline(t.hub, 'pico-1');
    dialer = await startDialHomeDevice(t.hub, 'dialer', 'dialer-secret');
  });
  after(async () => {
    await dialer.stop();
    await t.close();
    await pico.stop();
  });

  describe('auth', () => {
    test('every route but health and sign-in refuses a missing or wrong token with 401 PL_ERR_UNAUTHORIZED', async () => {
      const routes = t.hub.http.routes.filter((r) => r.url !== '/api/health' && !(r.method === 'POST' && r.url === '/api/session'));
      assert.ok(routes.length >= 10, `routes: ${JSON.stringify(routes)}`);
      for (const route of routes) {
        const path = route.url.replace(':id', 'pico-1');
        for (const token of [null, 'wrong-token']) {
          const response = await t.api(path, { method: route.method, token });
          const error = await errorOf(response);
          assert.equal(error.status, 401, `${route.method} ${path} with ${String(token)}`);
          assert.equal(error.code, ErrorCode.UNAUTHORIZED);
          assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
        }
      }
      const malformed = await t.api('/api/devices', { token: null, headers: { authorization: 'Basic abc' } });
      assert.equal((await errorOf(malformed)).code, ErrorCode.UNAUTHORIZED);
    });

    test('the health route needs no token', async () => {
      const response = await t.api('/api/health', { token: null });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { ok: boolean; version: string };
      assert.equal(body.ok, true);
      assert.match(body.version, /^\d+\.\d+\.\d+/);
    });

    test('the token is kept in the data directory, owner-only, and reused on the next start', async () => {
      const path = join(t.dir, API_TOKEN_FILE);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(t.hub.tokenPath, path);
      assert.ok((t.hub.token ?? '').length >= 32);
      const again = await startHub({ config: testConfig(t.dir), store: t.hub.store });
      try {
        assert.equal(again.token, t.hub.token);
        assert.equal(again.tokenCreated, false);
      } finally {
        await again.close();
      }
    });
  });

  describe('devices', () => {
    test('GET /api/devices lists connected and configured devices with their state', async () => {
      const { devices } = await t.json<{ devices: Array<Record<string, unknown>> }>('/api/devices');
      const byId = new Map(devices.map((d) => [d.id, d]));
      const online = byId.get('pico-1');
      assert.ok(online);
      assert.equal(online.online, true);
      assert.equal(online.mode, 'server');
      assert.equal(online.address, `127.0.0.1:${pico.device.port}`);
      assert.equal(online.firmware, DEVICE_FIRMWARE_VERSION);
      assert.equal(online.protocol, 1);
      assert.ok(Array.isArray(online.capabilities) && online.capabilities.includes('pipeline'));
      assert.equal(typeof online.rssi, 'number');
      assert.equal(typeof (online.memory as { free: number }).free, 'number');
      assert.equal(typeof online.lastSeen, 'number');
      const offline = byId.get('pico-off');
      assert.ok(offline);
      assert.equal(offline.online, false);
      assert.equal(offline.mode, 'server');
      assert.equal(offline.lastSeen, null);
      assert.equal(offline.configured, true);
      const dialed = byId.get('dialer');
      assert.equal(dialed?.online, true);
      assert.equal(dialed?.mode, 'dial-home');
      assert.equal(typeof dialed?.connectedAt, 'number');
    });

    test('GET /api/devices/:id gives one device, 404 PL_ERR_UNKNOWN_DEVICE for others', async () => {
      const body = await t.json<{ device: { id: string; online: boolean }; metrics: string[]; sessions: unknown[] }>('/api/devices/pico-1');
      assert.equal(body.device.id, 'pico-1');
      assert.equal(body.device.online, true);
      assert.ok(Array.isArray(body.metrics));
      assert.ok(Array.isArray(body.sessions));
      for (const id of ['nobody', 'bad%20id']) {
        const error = await errorOf(await t.api(`/api/devices/${id}`));
        assert.equal(error.status, 404);
        assert.equal(error.code, ErrorCode.UNKNOWN_DEVICE);
      }
    });
  });

  describe('commands', () => {
    test('one request is answered with the device response; its id is the caller id', async () => {
      const response = await t.post('/api/devices/pico-1/commands', { id: 'mine', action: 'get_version' });
      assert.equal(response.status, 200);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.ok, true);
      assert.equal(body.id, 'mine');
      assert.equal(body.protocol, 1);
    });

    test('a list is sent pipelined and answered in order, device errors included', async () => {
      const response = await t.post('/api/devices/pico-1/commands', [
        { action: 'setup_pin', pin: 2, mode: 'output', value: 0 },
        { action: 'write_pin', pin: 2, value: 1, timeout: 5 },
        { action: 'read_pin', pin: 2 },
        { action: 'read_pin', pin: 7 },
      ]);
      assert.equal(response.status, 200);
      const body = (await response.json()) as Array<Record<string, unknown>>;
      assert.deepEqual(
        body.map((r) => [r.action, r.ok]),
        [
          ['setup_pin', true],
          ['write_pin', true],
          ['read_pin', true],
          ['read_pin', false],
        ],
      );
      assert.equal(body[1]?.reverts_to, 0);
      assert.equal(body[2]?.value, 1);
      assert.equal(body[3]?.code, ErrorCode.PIN_NOT_SETUP);
      assert.ok(body.every((r) => r.id === undefined), 'no hub-assigned ids leak out');
      assert.equal(pico.device.backend.pinState(2).driven, 1);
    });

    test('a device that dialled home is driven the same way', async () => {
      const response = await t.post('/api/devices/dialer/commands', [
        { action: 'setup_pin', pin: 'LED', mode: 'output', value: 1 },
        { action: 'read_pin', pin: 'LED' },
      ]);
      const body = (await response.json()) as Array<Record<string, unknown>>;
      assert.deepEqual(
        body.map((r) => [r.ok, r.value]),
        [
          [true, 1],
          [true, 1],
        ],
      );
      assert.equal(dialer.device.backend.pinState('LED').driven, 1);
    });

    test('bad bodies get 400 with the protocol code and nothing is sent', async () => {
      pico.device.backend.clearHistory();
      const cases: Array<[unknown, string, RegExp]> = [
        [{ action: 'write_pin', pin: 2 }, ErrorCode.MISSING_FIELD, /missing fields: value/],
        [{ action: 'blink' }, ErrorCode.UNKNOWN_ACTION, /unknown action "blink"/],
        [{ action: 'write_pin', pin: 2, value: 1, colour: 'red' }, ErrorCode.UNKNOWN_FIELD, /colour/],
        [[{ action: 'write_pin', pin: 2, value: 0 }, 'ping'], ErrorCode.NOT_OBJECT, /command 1 must be a JSON object/],
        [[{ action: 'write_pin', pin: 2, value: 0 }, { action: 'read_pin', pin: 99 }], ErrorCode.OUT_OF_RANGE, /command 1: /],
        [[], ErrorCode.MISSING_FIELD, /empty/],
        [Array.from({ length: 101 }, () => ({ action: 'ping' })), ErrorCode.OUT_OF_RANGE, /more than the 100 allowed/],
      ];
      for (const [body, code, message] of cases) {
        const error = await errorOf(await t.post('/api/devices/pico-1/commands', body));
        assert.equal(error.status, 400, JSON.stringify(body).slice(0, 80));
        assert.equal(error.code, code);
        assert.match(String(error.error), message);
      }
      const notJson = await t.api('/api/devices/pico-1/commands', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":' });
      assert.deepEqual([(await errorOf(notJson)).status, (await t.post('/api/devices/pico-1/commands', 'x').then(errorOf)).status], [400, 400]);
      const plainText = await errorOf(await t.api('/api/devices/pico-1/commands', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'ping' }));
      assert.equal(plainText.code, ErrorCode.BAD_JSON);
      assert.deepEqual(pico.device.backend.history, [], 'no command reached the device');
    });

    test('an unknown device is 404 and a known one that is offline 503', async () => {
      const unknown = await errorOf(await t.post('/api/devices/ghost/commands', { action: 'ping' }));
      assert.deepEqual([unknown.status, unknown.code], [404, ErrorCode.UNKNOWN_DEVICE]);
      const offline = await errorOf(await t.post('/api/devices/pico-off/commands', { action: 'ping' }));
      assert.deepEqual([offline.status, offline.code], [503, ErrorCode.DEVICE_OFFLINE]);
      assert.match(String(offline.error), /pico-off/);
      const offlineList = await errorOf(await t.post('/api/devices/pico-off/commands', [{ action: 'ping' }, { action: 'get_info' }]));
      assert.deepEqual([offlineList.status, offlineList.code], [503, ErrorCode.DEVICE_OFFLINE]);
    });
  });

  describe('telemetry', () => {
    const T0 = Date.now() - 60_000;

    before(async () => {
      const datagrams = Array.from({ length: 30 }, (_, i) => datagram('sensor-1', i, T0 + i * 1000, { temp_c: 20 + i / 10, humidity: 40 + (i % 3) }));
      await sendTelemetry(t.hub.telemetryPort, datagrams);
      await until(async () => {
        const body = await t.json<{ rows: unknown[] }>(`/api/devices/sensor-1/telemetry?from=${T0}`);
        return body.rows.length === 60;
      }, 'telemetry stored and queryable');
    });

    test('a command to a device that only sends telemetry is 409 PL_ERR_DEVICE_NO_COMMANDS, saying why and what to do', async () => {
      assert.equal((await t.json<{ device: { mode: string } }>('/api/devices/sensor-1')).device.mode, 'telemetry');
      for (const body of [{ action: 'ping' }, [{ action: 'ping' }, { action: 'get_info' }]]) {
        const error = await errorOf(await t.post('/api/devices/sensor-1/commands', body));
        assert.deepEqual([error.status, error.code], [409, ErrorCode.DEVICE_NO_COMMANDS]);
        assert.match(String(error.error), /"sensor-1" only sends telemetry/);
        assert.match(String(error.error), /no server-mode address .* never dialed home/);
        assert.match(String(error.error), /"address" in the hub configuration.*dial home with a token/);
        assert.doesNotMatch(String(error.error), /powered/);
      }
      const { audit } = await t.json<{ audit: unknown[] }>('/api/audit?device=sensor-1');
      assert.deepEqual(audit, [], 'nothing was sent, so nothing is in the audit log');
    });

    test('raw rows in a time range, one metric or all', async () => {
      const all = await t.json<{ rows: Array<{ metric: string; time: number; value: number }>; truncated: boolean }>(`/api/devices/sensor-1/telemetry?from=${T0}`);
      assert.equal(all.rows.length, 60);
      assert.equal(all.truncated, false);
      const temps = await t.json<{ metric: string; rows: Array<{ metric: string; time: number; value: number }> }>(
        `/api/devices/sensor-1/telemetry?metric=temp_c&from=${T0 + 10_000}&to=${T0 + 20_000}`,
      );
      assert.equal(temps.metric, 'temp_c');
      assert.equal(temps.rows.length, 10);
      assert.deepEqual(temps.rows[0], { metric: 'temp_c', time: T0 + 10_000, value: 21 });
      const limited = await t.json<{ rows: unknown[]; truncated: boolean }>(`/api/devices/sensor-1/telemetry?from=${T0}&limit=7`);
      assert.deepEqual([limited.rows.length, limited.truncated], [7, true]);
      const relative = await t.json<{ rows: unknown[] }>('/api/devices/sensor-1/telemetry?from=-1h&metric=humidity');
      assert.equal(relative.rows.length, 30);
    });

    test('bucketed min/max/avg for plots', async () => {
      const start = T0 - (T0 % 10_000);
      const body = await t.json<{ bucketMs: number; buckets: Array<{ metric: string; time: number; count: number; min: number; max: number; avg: number }> }>(
        `/api/devices/sensor-1/telemetry?metric=temp_c&from=${start}&to=${start + 60_000}&bucket=10s`,
      );
      assert.equal(body.bucketMs, 10_000);
      assert.ok(body.buckets.length >= 3);
      assert.equal(body.buckets.reduce((sum, b) => sum + b.count, 0), 30);
      for (const bucket of body.buckets) {
        assert.equal(bucket.time % 10_000, 0);
        assert.ok(bucket.min <= bucket.avg && bucket.avg <= bucket.max);
      }
    });

    test('bad query parameters get 400 with a coded error naming them', async () => {
      const cases: Array<[string, string, RegExp]> = [
        ['from=yesterday', ErrorCode.BAD_TYPE, /"from"/],
        ['from=2000&to=1000', ErrorCode.OUT_OF_RANGE, /before "to"/],
        ['bucket=1ms&from=0', ErrorCode.OUT_OF_RANGE, /more than 10000/],
        ['bucket=fast', ErrorCode.BAD_TYPE, /"bucket"/],
        ['limit=0', ErrorCode.OUT_OF_RANGE, /"limit"/],
        ['metric=a%20b', ErrorCode.BAD_TYPE, /"metric"/],
        ['from=1&from=2', ErrorCode.BAD_TYPE, /more than once/],
      ];
      for (const [query, code, message] of cases) {
        const error = await errorOf(await t.api(`/api/devices/sensor-1/telemetry?${query}`));
        assert.equal(error.status, 400, query);
        assert.equal(error.code, code, query);
        assert.match(String(error.error), message, query);
      }
      assert.equal((await errorOf(await t.api('/api/devices/ghost/telemetry'))).code, ErrorCode.UNKNOWN_DEVICE);
    });

    test('CSV export: header, one line per reading, streamed as text/csv', async () => {
      const response = await t.api(`/api/devices/sensor-1/telemetry.csv?metric=temp_c`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/csv/);
      assert.match(response.headers.get('content-disposition') ?? '', /attachment; filename="sensor-1-temp_c\.csv"/);
      const lines = (await response.text()).split('\r\n');
      assert.equal(lines[0], 'time,iso_time,device,metric,value');
      assert.equal(lines.at(-1), '', 'ends with CRLF');
      assert.equal(lines.length, 32);
      assert.equal(lines[1], `${T0},${new Date(T0).toISOString()},sensor-1,temp_c,20`);
      const bucketed = await (await t.api(`/api/devices/sensor-1/telemetry.csv?metric=humidity&bucket=1h`)).text();
      assert.match(bucketed, /^time,iso_time,device,metric,count,min,max,avg\r\n/);
      assert.match(bucketed, /,sensor-1,humidity,\d+,40,42,/);
    });

    test('CSV export pages through many rows without losing or repeating rows that share a millisecond', async () => {
      const base = Date.UTC(2020, 0, 1);
      const rows = [];
      // A page boundary falls inside a run of rows with one timestamp, and one millisecond holds more than a page.
      for (let i = 0; i < CSV_PAGE_ROWS - 10; i++) rows.push({ deviceId: 'bulk', metric: 'm', time: base + i, value: i });
      for (let i = 0; i < CSV_PAGE_ROWS + 20; i++) rows.push({ deviceId: 'bulk', metric: `m${i}`, time: base + CSV_PAGE_ROWS, value: i });
      for (let i = 0; i < 30; i++) rows.push({ deviceId: 'bulk', metric: 'm', time: base + CSV_PAGE_ROWS + 1 + i, value: i });
      await t.hub.store.upsertDevice({ id: 'bulk', mode: 'telemetry', seenAt: base });
      await t.hub.store.insertTelemetry(rows);
      const text = await (await t.api(`/api/devices/bulk/telemetry.csv?from=${base}&to=${base + 100_000}`)).text();
      const lines = text.split('\r\n').slice(1, -1);
      assert.equal(lines.length, rows.length);
      assert.equal(new Set(lines).size, rows.length, 'no line repeated');
    });
  });

  describe('events and audit', () => {
    test('events of one device and of all, newest first, filtered by type', async () => {
      await t.post('/api/devices/dialer/commands', [
        { action: 'setup_pin', pin: 14, mode: 'input', pull: 'up' },
        { action: 'watch_pin', pin: 14, debounce_ms: 0 },
      ]);
      dialer.device.backend.setInputLevel(14, 0);
      const changes = await until(async () => {
        const body = await t.json<{ events: Array<{ type: string; deviceTime: number | null; data: { pin: number; value: number; cause: string } }> }>('/api/devices/dialer/events?type=pin_change');
        return body.events.length > 0 ? body.events : undefined;
      }, 'pin_change recorded');
      assert.deepEqual(changes[0]?.data.pin, 14);
      assert.equal(changes[0]?.data.value, 0);
      assert.equal(changes[0]?.data.cause, 'input');
      assert.equal(typeof changes[0]?.deviceTime, 'number');
      const all = await t.json<{ device: string; events: Array<{ type: string; time: number }> }>('/api/devices/dialer/events?from=-1m');
      assert.equal(all.device, 'dialer');
      assert.deepEqual(all.events.at(-1)?.type, 'online', 'the first event is the device coming online');
      assert.ok(all.events.every((e, i) => i === 0 || (all.events[i - 1] as { time: number }).time >= e.time), 'newest first');
      const fleet = await t.json<{ events: Array<{ deviceId: string; type: string }> }>('/api/events?type=online');
      assert.deepEqual(
        new Set(fleet.events.map((e) => e.deviceId)),
        new Set(['pico-1', 'dialer']),
      );
      const one = await t.json<{ events: unknown[] }>('/api/events?device=dialer&limit=1');
      assert.equal(one.events.length, 1);
      assert.equal((await errorOf(await t.api('/api/devices/ghost/events'))).status, 404);
      assert.equal((await errorOf(await t.api('/api/events?type=Bad-Type'))).code, ErrorCode.BAD_TYPE);
    });

    test('GET /api/audit lists every command: who, what, which device, the result', async () => {
      await t.post('/api/devices/pico-1/commands', { action: 'read_pin', pin: 9 });
      await t.post('/api/devices/pico-off/commands', { action: 'ping' });
      const audit = await t.json<{ audit: Array<{ actor: string; deviceId: string; action: string; result: string; request: Record<string, unknown> }> }>('/api/audit?device=pico-1');
      assert.ok(audit.audit.every((r) => r.deviceId === 'pico-1'));
      const latest = audit.audit[0];
      assert.deepEqual([latest?.action, latest?.result, latest?.request.pin], ['read_pin', ErrorCode.PIN_NOT_SETUP, 9]);
      assert.match(latest?.actor ?? '', /^api:/);
      assert.ok(audit.audit.some((r) => r.action === 'write_pin' && r.result === 'ok'));
      const offline = await t.json<{ audit: Array<{ action: string; result: string }> }>('/api/audit?device=pico-off&limit=1');
      assert.deepEqual(offline.audit.map((r) => [r.action, r.result]), [['ping', ErrorCode.DEVICE_OFFLINE]]);
      const newest = await t.json<{ audit: Array<{ deviceId: string }> }>('/api/audit?limit=1');
      assert.equal(newest.audit[0]?.deviceId, 'pico-off');
    });
  });

  describe('errors and the OpenAPI document', () => {
    test('unknown routes get 404 with a code', async () => {
      const error = await errorOf(await t.api('/api/nothing-here'));
      assert.equal(error.status, 404);
      assert.equal(error.code, ErrorCode.NOT_FOUND);
      assert.match(String(error.error), /openapi\.json/);
    });

    test('the OpenAPI document describes every registered route', async () => {
      const document = await t.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>('/api/openapi.json');
      assert.equal(document.openapi, '3.1.0');
      const registered = t.hub.http.routes.map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`).sort();
      const documented = Object.entries(document.paths)
        .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
        .sort();
      assert.deepEqual(documented, registered);
      assert.deepEqual(openApiDocument('1.0.0').paths, document.paths);
    });
  });
});

describe('configuration', () => {
  test('aborting the signal closes the hub', async () => {
    const dir = tempDir();
    try {
      const stop = new AbortController();
      const hub = await startHub({ config: testConfig(dir.path), signal: stop.signal });
      assert.equal((await fetch(`${hub.httpUrl}/api/health`)).status, 200);
      stop.abort();
      await until(async () => fetch(`${hub.httpUrl}/api/health`).then(() => false, () => true), 'the API stops answering');
      await hub.close();
    } finally {
      dir.remove();
    }
  });

  test('startHub uses listeners that are already bound, and leaves the HTTP and UDP ones open', async () => {
    const dir = tempDir();
    const http = createHttpServer();
    const gateway = createTcpServer();
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    try {
      const hub = await startHub({ config: testConfig(dir.path), listeners: { http, gateway, telemetry: udp } });
      assert.equal(hub.httpPort, (http.address() as AddressInfo).port);
      assert.equal(hub.gatewayPort, (gateway.address() as AddressInfo).port);
      assert.equal(hub.telemetryPort, udp.address().port);
      const health = await fetch(`${hub.httpUrl}/api/health`);
      assert.equal(health.status, 200);
      await hub.close();
      assert.equal(http.listening, true, 'the given HTTP server is the caller\'s to close');
      assert.equal(gateway.listening, false, 'the gateway closes its listener');
      assert.equal(udp.address().port > 0, true, 'the given UDP socket is still bound');
    } finally {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      udp.close();
      dir.remove();
    }
  });

  test('auth off is refused unless HTTP is bound to loopback', async () => {
    const dir = tempDir();
    try {
      await assert.rejects(
        startHub({ config: testConfig(dir.path, { http: { host: '0.0.0.0', auth: false } }) }),
        (err: Error & { code?: string }) => err.code === ErrorCode.CONFIG && /loopback/.test(err.message),
      );
      const hub = await startHub({ config: testConfig(dir.path, { http: { auth: false } }) });
      try {
        assert.equal(hub.token, null);
        const response = await fetch(`${hub.httpUrl}/api/devices`);
        assert.equal(response.status, 200);
      } finally {
        await hub.close();
      }
    } finally {
      dir.remove();
    }
  });
});
