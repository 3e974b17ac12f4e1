/**
 * The dashboard's static files: served outside /api/ without the token, index.html for
 * client-side routes, hashed assets with a long cache, the security headers, a 503 that
 * says what to do when the page is not built, and the API untouched (its token check,
 * its 404s, its route list).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { registerDashboardAssets } from '../src/http/dashboard-assets.js';
import { apiOnNotFound } from '../src/http/errors.js';
import { startTestHub, tempDir } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';

async function serve(dir: string): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false });
  registerDashboardAssets(app, apiOnNotFound, dir);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

describe('dashboard assets', () => {
  const dir = tempDir('picolink-web-');
  let built: { app: FastifyInstance; url: string };
  let missing: { app: FastifyInstance; url: string };
  before(async () => {
    mkdirSync(join(dir.path, 'web', 'assets'), { recursive: true });
    writeFileSync(join(dir.path, 'web', 'index.html'), '<!doctype html><title>picolink</title>');
    writeFileSync(join(dir.path, 'web', 'assets', 'index-Ab12.js'), 'console.log(1)');
    built = await serve(join(dir.path, 'web') + '/');
    missing = await serve(join(dir.path, 'absent') + '/');
  });
  after(async () => {
    await built.app.close();
    await missing.app.close();
    dir.remove();
  });

  test('/ and client-side routes answer index.html with the security headers', async () => {
    for (const path of ['/', '/devices/pico-1', '/manage']) {
      const response = await fetch(built.url + path);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(await response.text(), '<!doctype html><title>picolink</title>');
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'.*connect-src 'self'/);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(response.headers.get('cache-control'), 'no-cache');
    }
  });

  test('assets have their type and a long cache; unknown or odd names are 404', async () => {
    const asset = await fetch(built.url + '/assets/index-Ab12.js');
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    for (const path of ['/assets/nothing.js', '/assets/..%2Findex.html', '/assets/a/b.js']) {
      assert.equal((await fetch(built.url + path)).status, 404, path);
    }
  });

  test('without a build, / answers 503 saying to run npm run build', async () => {
    const response = await fetch(missing.url + '/');
    assert.equal(response.status, 503);
    assert.match(await response.text(), /npm run build/);
  });

  test('paths under /api/ and other methods keep the API answer', async () => {
    const response = await fetch(built.url + '/api/nothing');
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { code: string }).code, 'PL_ERR_NOT_FOUND');
    assert.equal((await fetch(built.url + '/', { method: 'POST' })).status, 404);
  });
});

describe('dashboard assets in a running hub', () => {
  let t: TestHub;
  before(async () => {
    t = await startTestHub();
  });
  after(async () => {
    await t.close();
  });

  test('the page needs no token, the API still does, and the route list is the API only', async () => {
    const page = await t.api('/devices/pico-1', { token: null });
    assert.ok(page.status === 200 || page.status === 503, `status ${page.status}`);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal((await t.api('/api/devices', { token: null })).status, 401);
    assert.equal((await t.api('/api/nothing', { token: null })).status, 401);
    assert.ok(t.hub.http.routes.every((r) => r.url.startsWith('/api/')), JSON.stringify(t.hub.http.routes));
  });
});
