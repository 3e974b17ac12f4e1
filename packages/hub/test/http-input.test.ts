/**
 * Whatever a client sends the HTTP API — paths and queries that are not valid
 * percent-encoding, NUL bytes, overlong request lines, bodies nested past the protocol's
 * limits, prototype keys, wrong types, huge numbers — is answered with a coded 4xx, and
 * the hub goes on serving. Real HTTP on 127.0.0.1, written byte for byte where fetch
 * would clean the request up.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_JSON_VALUES, ErrorCode, isErrorCode } from '@picolink/protocol';
import { WebSocket } from 'ws';
import { openApiDocument } from '../src/http/openapi.js';
import { startTestHub } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { rawExchange, rawRequest, upgradeHeaders } from './http-raw.js';
import type { RawAnswer } from './http-raw.js';
import { serverDeviceOnline, startServerDevice } from './sim-devices.js';
import type { SimDevice } from './sim-devices.js';

/** Asserts a coded client error: 4xx with a known PL_ERR code (and the code given, if any). */
function assertCoded(answer: RawAnswer, what: string, status?: number, code?: string): void {
  assert.ok(answer.status >= 400 && answer.status < 500, `${what}: status ${answer.status}: ${answer.text.slice(0, 300)}`);
  assert.ok(isErrorCode(answer.body?.code), `${what}: a PL_ERR code in the body: ${answer.text.slice(0, 300)}`);
  if (status !== undefined) assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 300)}`);
  if (code !== undefined) assert.equal(answer.body?.code, code, `${what}: ${answer.text.slice(0, 300)}`);
}

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('HTTP input', () => {
  let t: TestHub;
  let pico: SimDevice;
  let port: number;
  let auth: Record<string, string>;
  /** A network tools session and a saved message for the routes that name one. */
  let netSession: string;

  before(async () => {
    pico = await startServerDevice('pico-1');
    t = await startTestHub({ devices: [{ id: 'pico-1', address: pico.device.url }], nettools: { bindHost: '127.0.0.1' } }, { serverLinkBackoff: { baseMs: 50, maxMs: 200 } });
    await serverDeviceOnline(t.hub, 'pico-1');
    netSession = (await t.hub.nettools.open({ kind: 'udp', name: 'udp', framing: 'lf', host: '127.0.0.1', port: 9, localPort: 0 })).id;
    await t.hub.store.addSavedMessage({ id: 'saved-1', name: 'saved', data: 'd', encoding: 'text', ending: 'none', createdAt: 1 });
    port = t.hub.httpPort;
    auth = { authorization: `Bearer ${t.hub.token}` };
  });
  after(async () => {
    await t.close();
    await pico.stop();
  });

  async function assertServing(what: string): Promise<void> {
    const health = await rawRequest(port, '/api/health', {});
    assert.equal(health.status, 200, `after ${what}, the hub still answers: ${health.text.slice(0, 200)}`);
    const devices = await rawRequest(port, '/api/devices/pico-1', auth);
    assert.equal(devices.status, 200, `after ${what}: ${devices.text.slice(0, 200)}`);
  }

  describe('URL decoding', () => {
    test('a WebSocket upgrade with a path that is not percent-encoding gets 400 PL_ERR_BAD_URL, with or without a token, and the hub lives on', async () => {
      for (const path of ['/api/devices/%/link', '/api/devices/%E0%A4%A/link', '/api/devices/%ZZ/link', '/api/devices/%C0%AF/link']) {
        for (const headers of [upgradeHeaders(), { ...upgradeHeaders(), ...auth }]) {
          const answer = await rawRequest(port, path, headers);
          assertCoded(answer, path, 400, ErrorCode.BAD_URL);
          assert.match(String(answer.body?.error), /%25/, 'the message says how to encode "%"');
          assert.match(answer.text, /Connection: close/i);
        }
      }
      await assertServing('malformed upgrade paths');
    });

    test('upgrades check the Host and the origin before reading the path', async () => {
      const foreignOrigin = await rawRequest(port, '/api/devices/%/link', { ...upgradeHeaders(), origin: 'http://evil.example' });
      assertCoded(foreignOrigin, 'foreign origin', 401, ErrorCode.UNAUTHORIZED);
      const foreignHost = await rawRequest(port, '/api/devices/%/link', { ...upgradeHeaders(), host: 'rebind.example' });
      assertCoded(foreignHost, 'foreign host', 403, ErrorCode.HOST_NOT_ALLOWED);
    });

    test('HTTP routes: bad percent-encoding, NUL bytes, overlong paths and raw control bytes get coded 4xx', async () => {
      const cases: Array<[string, number, string]> = [
        ['/api/devices/%', 400, ErrorCode.BAD_URL],
        ['/api/devices/%E0%A4%A', 400, ErrorCode.BAD_URL],
        ['/api/devices/%E0%A4%A/telemetry', 400, ErrorCode.BAD_URL],
        ['/api/%/events', 400, ErrorCode.BAD_URL],
        ['/api/devices/%00', 404, ErrorCode.UNKNOWN_DEVICE],
        ['/api/devices/pico-1%00/events', 404, ErrorCode.UNKNOWN_DEVICE],
        [`/api/devices/${'a'.repeat(300)}`, 400, ErrorCode.BAD_URL],
        ['/api/events?device=%00', 400, ErrorCode.BAD_TYPE],
        ['/api/events?device=%', 400, ErrorCode.BAD_TYPE],
        ['/api/events?limit=%E0%A4%A', 400, ErrorCode.BAD_TYPE],
        ['/api/events?type=%FF%FE', 400, ErrorCode.BAD_TYPE],
      ];
      for (const [path, status, code] of cases) assertCoded(await rawRequest(port, path, auth), path, status, code);
      // A request line Node cannot parse, and one past the 16 KiB header limit.
      assertCoded(await rawExchange(port, `GET /api/devices/a\0b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`), 'raw NUL', 400);
      assertCoded(await rawRequest(port, `/api/devices/${'a'.repeat(20_000)}`, auth), 'overlong path', 431, ErrorCode.FRAME_TOO_LARGE);
      // Absolute-form targets that are no URL, on a plain request and on an upgrade.
      assertCoded(await rawRequest(port, 'http://[/api/health', {}), 'absolute-form HTTP', 400);
      assertCoded(await rawRequest(port, 'http://[/api/stream', { ...upgradeHeaders(), ...auth }), 'absolute-form upgrade', 400);
      await assertServing('malformed paths');
    });
  });

  describe('bodies', () => {
    const post = (body: string | Buffer, contentType = 'application/json'): Promise<RawAnswer> =>
      rawRequest(port, '/api/devices/pico-1/commands', { ...auth, 'content-type': contentType }, 'POST', body);

    test('a body nested or as wide as past the protocol limits is 400 PL_ERR_JSON_TOO_COMPLEX, not 500', async () => {
      const deep = await post(`{"action":"ping","time_sent":${nested(5000)}}`);
      assertCoded(deep, 'deep time_sent', 400, ErrorCode.JSON_TOO_COMPLEX);
      assertCoded(await post(nested(DEFAULT_MAX_JSON_DEPTH + 1)), 'just past the depth', 400, ErrorCode.JSON_TOO_COMPLEX);
      const wide = `{"action":"ping","time_sent":[${Array.from({ length: DEFAULT_MAX_JSON_VALUES }, () => '0').join(',')}]}`;
      assertCoded(await post(wide), 'too many values', 400, ErrorCode.JSON_TOO_COMPLEX);
      // Just inside the limits the request reaches the device.
      const inside = await post(`{"action":"ping","time_sent":${nested(DEFAULT_MAX_JSON_DEPTH - 1)}}`);
      assert.equal(inside.status, 200, inside.text);
      await assertServing('deep bodies');
    });

    test('bad JSON, bytes that are not UTF-8 and other content types get coded 400s', async () => {
      assertCoded(await post('{"action":'), 'truncated', 400, ErrorCode.BAD_JSON);
      assertCoded(await post(''), 'empty', 400, ErrorCode.BAD_JSON);
      assertCoded(await post('{"action":"ping"}{}'), 'two values', 400, ErrorCode.BAD_JSON);
      assertCoded(await post(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])), 'not UTF-8', 400, ErrorCode.BAD_UTF8);
      assertCoded(await post('{"action":"ping"}', 'text/plain'), 'text/plain', 400, ErrorCode.BAD_JSON);
      assertCoded(await post('action=ping', 'application/x-www-form-urlencoded'), 'a form', 400, ErrorCode.BAD_JSON);
    });

    test('__proto__, constructor and prototype keys pollute nothing: refused as unknown fields, carried as data, or ignored in queries', async () => {
      const before = Object.getOwnPropertyNames(Object.prototype).sort();
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const top = await post(`{"action":"ping","${key}":{"polluted":1,"prototype":{"polluted":1}}}`);
        assertCoded(top, `top-level ${key}`, 400, ErrorCode.UNKNOWN_FIELD);
        const inList = await post(`[{"action":"ping","${key}":{"polluted":1}}]`);
        assertCoded(inList, `${key} in a list`, 400, ErrorCode.UNKNOWN_FIELD);
        const asData = await post(`{"action":"ping","id":7,"time_sent":{"${key}":{"polluted":1}}}`);
        assert.equal(asData.status, 200, asData.text);
        assert.deepEqual((asData.body as Record<string, unknown>).time_sent, JSON.parse(`{"${key}":{"polluted":1}}`), 'echoed as plain data');
        const only = await post(`{"${key}":{"action":"ping"}}`);
        assertCoded(only, `only ${key}`, 400, ErrorCode.MISSING_FIELD);
      }
      for (const query of ['__proto__[polluted]=1', 'constructor[prototype][polluted]=1', '__proto__=1&__proto__=2', 'prototype.polluted=1']) {
        const answer = await rawRequest(port, `/api/events?${query}`, auth);
        assert.equal(answer.status, 200, `query ${query}: ${answer.text.slice(0, 200)}`);
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
      assert.equal(Object.getPrototypeOf({}), Object.prototype);
      await assertServing('prototype keys');
    });
  });

  describe('every route', () => {
    const BAD_IDS = ['%', '%E0%A4%A', '%00', 'a%2Fb', '..', 'x'.repeat(65), 'x'.repeat(200), '%F0%9F%92%A9'];
    // Every query parameter the API reads takes none of these.
    const BAD_QUERY_VALUES = ['%', '%E0%A4%A', '%00', '1'.repeat(400), '%FF', 'x'.repeat(300)];
    const BAD_BODIES: Array<[string, string]> = [
      ['{', ErrorCode.BAD_JSON],
      ['null', ErrorCode.NOT_OBJECT],
      ['"ping"', ErrorCode.NOT_OBJECT],
      ['1e400', ErrorCode.NOT_OBJECT],
      ['[]', ErrorCode.MISSING_FIELD],
      [JSON.stringify(Array.from({ length: 101 }, () => ({ action: 'ping' }))), ErrorCode.OUT_OF_RANGE],
      ['{"action":5}', ErrorCode.UNKNOWN_ACTION],
      ['{"action":"fly"}', ErrorCode.UNKNOWN_ACTION],
      ['{"action":"write_pin","pin":1e400,"value":1}', ErrorCode.BAD_TYPE],
      ['{"action":"write_pin","pin":2,"value":99999999999999999999999}', ErrorCode.BAD_TYPE],
      ['{"action":"write_pin","pin":"x","value":[]}', ErrorCode.BAD_TYPE],
      ['{"action":"read_adc","channel":-1e308}', ErrorCode.OUT_OF_RANGE],
      ['{"action":"ping","id":{"a":1}}', ErrorCode.BAD_TYPE],
      ['{"action":"setup_pin","pin":2,"mode":{"$gt":""}}', ErrorCode.BAD_TYPE],
      [`{"action":"ping","time_sent":${nested(100)}}`, ErrorCode.JSON_TOO_COMPLEX],
    ];
    /** A request that must succeed for each route, after the bad ones (in the order routes are registered). */
    const GOOD: Record<string, { path: string; body?: string | (() => string); status?: number }> = {
      'GET /api/health': { path: '/api/health' },
      'POST /api/session': { path: '/api/session', body: () => JSON.stringify({ token: t.hub.token }) },
      // A bearer client has no session to read back.
      'GET /api/session': { path: '/api/session', status: 401 },
      'DELETE /api/session': { path: '/api/session' },
      'POST /api/devices': { path: '/api/devices', body: '{"id":"pico-added"}' },
      'POST /api/devices/:id/token': { path: '/api/devices/pico-added/token', body: '{}' },
      'DELETE /api/devices/:id': { path: '/api/devices/pico-added' },
      'GET /api/devices': { path: '/api/devices' },
      'GET /api/devices/:id': { path: '/api/devices/pico-1' },
      'POST /api/devices/:id/commands': { path: '/api/devices/pico-1/commands', body: '{"action":"ping"}' },
      'GET /api/devices/:id/telemetry': { path: '/api/devices/pico-1/telemetry?from=-1h' },
      'GET /api/devices/:id/telemetry.csv': { path: '/api/devices/pico-1/telemetry.csv' },
      'GET /api/devices/:id/events': { path: '/api/devices/pico-1/events?limit=5' },
      'GET /api/events': { path: '/api/events?device=pico-1' },
      'GET /api/audit': { path: '/api/audit' },
      'GET /api/openapi.json': { path: '/api/openapi.json' },
      'GET /api/stream': { path: '/api/stream?types=status' },
      'GET /api/devices/:id/link': { path: '/api/devices/pico-1/link' },
      'GET /api/nettools/addresses': { path: '/api/nettools/addresses' },
      'GET /api/nettools/sessions': { path: '/api/nettools/sessions' },
      'POST /api/nettools/sessions': { path: '/api/nettools/sessions', body: '{"kind":"udp","localPort":0}' },
      'POST /api/nettools/sessions/:id/send': { get path() { return `/api/nettools/sessions/${netSession}/send`; }, body: '{"data":"ping"}' },
      // No repeat runs: the good answer is a coded 404.
      'DELETE /api/nettools/sessions/:id/repeat/:repeatId': { get path() { return `/api/nettools/sessions/${netSession}/repeat/none`; }, status: 404 },
      'GET /api/nettools/sessions/:id/log': { get path() { return `/api/nettools/sessions/${netSession}/log?after=0`; } },
      'DELETE /api/nettools/sessions/:id/log': { get path() { return `/api/nettools/sessions/${netSession}/log`; } },
      'POST /api/nettools/sessions/:id/stop': { get path() { return `/api/nettools/sessions/${netSession}/stop`; }, body: '{}' },
      'POST /api/nettools/sessions/:id/start': { get path() { return `/api/nettools/sessions/${netSession}/start`; }, body: '{}' },
      'DELETE /api/nettools/sessions/:id': { get path() { return `/api/nettools/sessions/${netSession}`; } },
      'GET /api/nettools/messages': { path: '/api/nettools/messages' },
      'POST /api/nettools/messages': { path: '/api/nettools/messages', body: '{"name":"n","data":"d"}' },
      'DELETE /api/nettools/messages/:id': { path: '/api/nettools/messages/saved-1' },
      'GET /api/nettools/stream': { path: '/api/nettools/stream' },
    };
    const WEBSOCKET_ROUTES = new Set(['GET /api/stream', 'GET /api/devices/:id/link', 'GET /api/nettools/stream']);

    test('the table covers every registered route', () => {
      assert.deepEqual(t.hub.http.routes.map((r) => `${r.method} ${r.url}`).sort(), Object.keys(GOOD).sort());
    });

    test('bad ids, bad query values and bad bodies get a coded 4xx on every route; a good request works after them', async () => {
      const documented = openApiDocument('test').paths as Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
      for (const route of t.hub.http.routes) {
        const key = `${route.method} ${route.url}`;
        const webSocket = WEBSOCKET_ROUTES.has(key);
        const headers = (): Record<string, string> => ({ ...auth, ...(webSocket ? upgradeHeaders() : {}), ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}) });
        const send = (path: string, body?: string): Promise<RawAnswer> => rawRequest(port, path, headers(), route.method, body ?? (route.method === 'POST' ? '{"action":"ping"}' : undefined));
        const good = GOOD[key] as { path: string; body?: string | (() => string); status?: number };
        const goodBody = typeof good.body === 'function' ? good.body() : good.body;
        // The codes of BAD_BODIES are the commands route's; other routes read other shapes.
        const commands = key === 'POST /api/devices/:id/commands';

        if (route.url.includes(':id')) {
          for (const id of BAD_IDS) assertCoded(await send(route.url.replace(':id', id)), `${key} with id ${id.slice(0, 20)}`);
        }
        const parameters = documented[route.url.replace(':id', '{id}')]?.[route.method.toLowerCase()]?.parameters ?? [];
        for (const { name } of parameters.filter((p) => p.in === 'query' && p.name !== 'token')) {
          for (const value of BAD_QUERY_VALUES) {
            assertCoded(await send(`${good.path.split('?')[0]}?${name}=${value}`), `${key} with ${name}=${value.slice(0, 20)}`, 400);
          }
        }
        if (route.method === 'POST') {
          for (const [body, code] of BAD_BODIES) assertCoded(await send(good.path, body), `${key} with body ${body.slice(0, 40)}`, undefined, commands ? code : undefined);
          assertCoded(await send(good.path, `[${'0,'.repeat(600_000)}0]`), `${key} with a body over 1 MiB`, 413, ErrorCode.FRAME_TOO_LARGE);
        }

        if (webSocket) {
          const ws = new WebSocket(`ws://127.0.0.1:${port}${good.path}`, { headers: auth });
          await new Promise<void>((resolve, reject) => {
            ws.once('open', () => resolve());
            ws.once('error', reject);
          });
          ws.close();
        } else {
          const answer = await send(good.path, goodBody);
          if (good.status !== undefined) assert.equal(answer.status, good.status, `${key}: ${answer.text.slice(0, 300)}`);
          else assert.ok(answer.status >= 200 && answer.status < 300, `${key} works after the bad requests: ${answer.status} ${answer.text.slice(0, 300)}`);
        }
      }
      await assertServing('the table');
    });
  });
});
