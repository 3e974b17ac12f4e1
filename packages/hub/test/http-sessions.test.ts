/**
 * Dashboard sign-in over real HTTP (docs/hub.md#sessions-and-sign-in): the token traded
 * for an HttpOnly, SameSite=Strict cookie that the API and both WebSockets accept; the
 * CSRF token required with the cookie on every state-changing route, and not with the
 * bearer token; sign-out; wrong tokens refused, slowed and then rate-limited; idle
 * expiry; the answer with auth off.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode } from '@picolink/protocol';
import { JsonSocket, refusedUpgrade, startTestHub } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface SignedIn {
  cookie: string;
  csrf: string;
  setCookie: string;
}

async function signIn(t: TestHub, token = t.hub.token): Promise<SignedIn> {
  const response = await t.api('/api/session', { method: 'POST', token: null, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  assert.equal(response.status, 200, await response.clone().text());
  const body = (await response.json()) as { csrf: string; auth: boolean };
  assert.equal(body.auth, true);
  const setCookie = response.headers.getSetCookie()[0] ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  assert.match(cookie, /^picolink_session=[A-Za-z0-9_-]{40,}$/);
  return { cookie, csrf: body.csrf, setCookie };
}

/** fetch with the session cookie (no bearer token) and, when given, the CSRF header. */
function withCookie(t: TestHub, session: SignedIn, path: string, init: RequestInit & { csrf?: string | null } = {}): Promise<Response> {
  const { csrf, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set('cookie', session.cookie);
  if (csrf !== undefined && csrf !== null) headers.set('x-csrf-token', csrf);
  return t.api(path, { ...rest, headers, token: null });
}

async function codeOf(response: Response): Promise<{ status: number; code: string }> {
  const body = (await response.json()) as { code: string };
  return { status: response.status, code: body.code };
}

describe('dashboard sessions', () => {
  let t: TestHub;

  before(async () => {
    t = await startTestHub(
      { devices: [{ id: 'pico-1', token: 'pico-1-token' }] },
      { apiLimits: { signInBurst: 3, signInRefillMs: 60_000, signInDelayMs: 200, sessionIdleMs: 60_000 } },
    );
  });
  after(() => t.close());

  test('signing in sets an HttpOnly, SameSite=Strict cookie (not Secure over plain HTTP) that GET routes and GET /api/session accept', async () => {
    const session = await signIn(t);
    assert.match(session.setCookie, /; HttpOnly/);
    assert.match(session.setCookie, /; SameSite=Strict/);
    assert.match(session.setCookie, /; Path=\//);
    assert.doesNotMatch(session.setCookie, /Secure/);
    const devices = await withCookie(t, session, '/api/devices');
    assert.equal(devices.status, 200);
    const again = await withCookie(t, session, '/api/session');
    assert.deepEqual(await again.json(), { csrf: session.csrf, auth: true }, 'a reloaded page gets its CSRF token back');
    assert.equal((await t.api('/api/devices', { token: null })).status, 401, 'without cookie or token');
    const forged = await t.api('/api/devices', { token: null, headers: { cookie: 'picolink_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    assert.equal((await codeOf(forged)).code, ErrorCode.UNAUTHORIZED);
  });

  test('both WebSockets accept the cookie (with the page\'s own Origin, or none), and refuse a foreign Origin', async () => {
    const session = await signIn(t);
    const host = new URL(t.hub.httpUrl).host;
    const stream = await JsonSocket.open(`${t.hub.httpUrl.replace(/^http/, 'ws')}/api/stream`, { cookie: session.cookie, origin: `http://${host}` });
    assert.equal(stream.messages[0]?.type, 'subscribed');
    stream.close();
    // The device link gets past auth to the device check: pico-1 is configured but not connected.
    const link = await refusedUpgrade(`${t.hub.httpUrl.replace(/^http/, 'ws')}/api/devices/pico-1/link`, { cookie: session.cookie });
    assert.equal(link.body.code, ErrorCode.DEVICE_OFFLINE);
    const noCookie = await refusedUpgrade(`${t.hub.httpUrl.replace(/^http/, 'ws')}/api/devices/pico-1/link`);
    assert.equal(noCookie.status, 401);
    const foreign = await refusedUpgrade(`${t.hub.httpUrl.replace(/^http/, 'ws')}/api/stream`, { cookie: session.cookie, origin: 'http://evil.example' });
    assert.equal(foreign.status, 401);
  });

  test('with the cookie, every state-changing route refuses a request without the CSRF token (or with another session\'s) with 403 PL_ERR_CSRF; bearer requests need none', async () => {
    const session = await signIn(t);
    const other = await signIn(t);
    const routes = t.hub.http.routes.filter((r) => STATE_CHANGING.has(r.method) && !(r.method === 'POST' && r.url === '/api/session'));
    assert.ok(routes.length >= 5, JSON.stringify(routes));
    for (const route of routes) {
      const path = route.url.replace(':id', 'pico-1');
      const headers: Record<string, string> = route.method === 'POST' ? { 'content-type': 'application/json' } : {};
      const init = { method: route.method, headers, body: route.method === 'POST' ? '{"action":"ping"}' : null };
      for (const csrf of [null, other.csrf, `${session.csrf}x`, '']) {
        const answer = await codeOf(await withCookie(t, session, path, { ...init, csrf }));
        assert.deepEqual(answer, { status: 403, code: ErrorCode.CSRF }, `${route.method} ${route.url} with CSRF ${String(csrf).slice(0, 8)}`);
      }
      const bearer = await t.api(path, init);
      assert.notEqual(bearer.status, 403, `${route.method} ${route.url} with the bearer token and no CSRF header: ${await bearer.text()}`);
      assert.notEqual(bearer.status, 401);
    }
    assert.equal((await withCookie(t, session, '/api/devices')).status, 200, 'the refusals did not end the session');
    // With the header, the cookie works on a state-changing route; the bearer token needs no header.
    const added = await withCookie(t, session, '/api/devices', { method: 'POST', csrf: session.csrf, headers: { 'content-type': 'application/json' }, body: '{"id":"pico-csrf"}' });
    assert.equal(added.status, 201, await added.clone().text());
    const removed = await t.api('/api/devices/pico-csrf', { method: 'DELETE' });
    assert.equal(removed.status, 204);
  });

  test('signing out ends the session: the cookie is cleared and refused by the API and the WebSockets', async () => {
    const session = await signIn(t);
    const refused = await withCookie(t, session, '/api/session', { method: 'DELETE' });
    assert.deepEqual(await codeOf(refused), { status: 403, code: ErrorCode.CSRF }, 'signing out needs the CSRF token too');
    const out = await withCookie(t, session, '/api/session', { method: 'DELETE', csrf: session.csrf });
    assert.equal(out.status, 204);
    assert.match(out.headers.getSetCookie()[0] ?? '', /^picolink_session=; Max-Age=0;/);
    assert.deepEqual(await codeOf(await withCookie(t, session, '/api/devices')), { status: 401, code: ErrorCode.UNAUTHORIZED });
    assert.equal((await withCookie(t, session, '/api/session')).status, 401);
    const ws = await refusedUpgrade(`${t.hub.httpUrl.replace(/^http/, 'ws')}/api/stream`, { cookie: session.cookie });
    assert.equal(ws.status, 401);
  });

  test('a bearer token beside a cookie decides alone: a wrong one is refused', async () => {
    const session = await signIn(t);
    const response = await t.api('/api/devices', { token: 'wrong-token-0123456789', headers: { cookie: session.cookie } });
    assert.equal(response.status, 401);
  });

  test('wrong tokens get 401 after a delay; after the burst the address gets 429 PL_ERR_RATE_LIMITED with Retry-After, the right token too', async () => {
    const limited = await startTestHub({}, { apiLimits: { signInBurst: 3, signInRefillMs: 60_000, signInDelayMs: 200 } });
    try {
      const attempt = (token: string): Promise<Response> =>
        limited.api('/api/session', { method: 'POST', token: null, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const answer = await attempt(`guess-${i}-0123456789abcdef`);
        assert.deepEqual(await codeOf(answer), { status: 401, code: ErrorCode.UNAUTHORIZED });
        assert.ok(Date.now() - started >= 180, `answered after ${Date.now() - started} ms`);
        assert.equal(answer.headers.getSetCookie().length, 0);
      }
      const blocked = await attempt('guess-4-0123456789abcdef');
      assert.deepEqual(await codeOf(blocked), { status: 429, code: ErrorCode.RATE_LIMITED });
      assert.ok(Number(blocked.headers.get('retry-after')) >= 1, `Retry-After ${blocked.headers.get('retry-after')}`);
      assert.equal((await attempt(limited.hub.token ?? '')).status, 429, 'while limited, no token is looked at');
      // Bearer clients are not affected by the sign-in limit.
      assert.equal((await limited.api('/api/devices')).status, 200);
    } finally {
      await limited.close();
    }
  });

  test('a session idle longer than its limit ends', async () => {
    const short = await startTestHub({}, { apiLimits: { sessionIdleMs: 300 } });
    try {
      const session = await signIn(short);
      assert.equal((await withCookie(short, session, '/api/devices')).status, 200);
      // Every request counts as use, so the session is left alone past its idle limit.
      await new Promise((resolve) => setTimeout(resolve, 450));
      assert.equal((await withCookie(short, session, '/api/session')).status, 401);
      assert.equal((await withCookie(short, session, '/api/devices')).status, 401);
    } finally {
      await short.close();
    }
  });

  test('with auth off, the session routes answer auth: false and set no cookie', async () => {
    const open = await startTestHub({ http: { auth: false } });
    try {
      const got = await open.api('/api/session', { token: null });
      const body = (await got.json()) as { csrf: string; auth: boolean };
      assert.equal(body.auth, false);
      assert.ok(body.csrf.length > 20);
      const posted = await open.api('/api/session', { method: 'POST', token: null, headers: { 'content-type': 'application/json' }, body: '{"token":"anything-at-all"}' });
      assert.equal(posted.status, 200);
      assert.equal(posted.headers.getSetCookie().length, 0);
      assert.equal((await open.api('/api/devices', { method: 'POST', token: null, headers: { 'content-type': 'application/json' }, body: '{"id":"pico-open"}' })).status, 201);
    } finally {
      await open.close();
    }
  });
});
