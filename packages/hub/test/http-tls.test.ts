/**
 * HTTPS (docs/hub.md#https): with `http.tls` naming a certificate and key made by the
 * same code as `picolink certs`, the API, sign-in and the WebSockets are served over TLS
 * only, the session cookie is Secure, and the hub's URLs say https.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { writeCertificateFiles } from '@picolink/client';
import { ErrorCode } from '@picolink/protocol';
import { WebSocket } from 'ws';
import { parseConfig } from '../src/config.js';
import { startHub } from '../src/hub.js';
import { startTestHub, tempDir, testConfig, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function fetchTls(url: string, ca: Buffer | undefined, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: init.method ?? 'GET', headers: init.headers, ...(ca === undefined ? {} : { ca }) }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('HTTPS', () => {
  let t: TestHub;
  let ca: Buffer;
  const certs = tempDir('picolink-certs-');

  before(async () => {
    const files = await writeCertificateFiles(certs.path, { commonName: 'picolink-hub', hosts: ['127.0.0.1', 'localhost'] });
    ca = readFileSync(files.paths.certPem);
    t = await startTestHub({ http: { tls: { cert: files.paths.certPem, key: files.paths.keyPem } } });
  });
  after(async () => {
    await t.close();
    certs.remove();
  });

  test('the API answers over TLS to a client that trusts the certificate, and the hub says https', async () => {
    assert.match(t.hub.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(t.hub.signInLink, `${t.hub.httpUrl}/#token=${encodeURIComponent(t.hub.token ?? '')}`);
    const health = await fetchTls(`${t.hub.httpUrl}/api/health`, ca);
    assert.equal(health.status, 200);
    const devices = await fetchTls(`${t.hub.httpUrl}/api/devices`, ca, { headers: { authorization: `Bearer ${t.hub.token}` } });
    assert.equal(devices.status, 200, devices.text);
  });

  test('a client that does not trust the certificate, or speaks plain HTTP, gets no answer', async () => {
    await assert.rejects(fetchTls(`${t.hub.httpUrl}/api/health`, undefined), /self[- ]signed|unable to verify|certificate/i);
    const plain = new Promise<number>((resolve, reject) => {
      const req = httpRequest(`http://127.0.0.1:${t.hub.httpPort}/api/health`, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end();
    });
    // Node's TLS server answers plain HTTP with "400 Bad Request" and no API body, or drops it.
    await plain.then(
      (status) => assert.notEqual(status, 200),
      (err: Error) => assert.ok(err instanceof Error),
    );
  });

  test('the session cookie is Secure over HTTPS, and wss:// accepts it', async () => {
    const signIn = await fetchTls(`${t.hub.httpUrl}/api/session`, ca, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: t.hub.token }) });
    assert.equal(signIn.status, 200, signIn.text);
    const setCookie = [signIn.headers['set-cookie'] ?? []].flat()[0] ?? '';
    assert.match(setCookie, /; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
    const cookie = setCookie.split(';')[0] ?? '';
    const ws = new WebSocket(`${t.hub.httpUrl.replace(/^https/, 'wss')}/api/stream`, { ca, headers: { cookie } });
    const messages: string[] = [];
    ws.on('message', (data) => messages.push(String(data)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await until(() => messages.length > 0, 'subscribed over wss');
    assert.equal((JSON.parse(messages[0] ?? '{}') as { type: string }).type, 'subscribed');
    ws.close();
  });

  test('http.tls must name both files: anything else is PL_ERR_CONFIG naming the key', () => {
    for (const tls of ['cert.pem', { cert: 'cert.pem' }, { key: 'key.pem' }, { cert: 'c.pem', key: 'k.pem', ca: 'x.pem' }, { cert: '', key: 'k.pem' }]) {
      assert.throws(() => parseConfig({ http: { tls } }), (err: Error & { code?: string }) => err.code === ErrorCode.CONFIG && /http\.tls/.test(err.message), JSON.stringify(tls));
    }
    assert.deepEqual(parseConfig({ http: { tls: { cert: 'c.pem', key: 'k.pem' } } }).http.tls, { cert: 'c.pem', key: 'k.pem' });
  });

  test('a certificate file that cannot be read stops the start with PL_ERR_CONFIG naming the key', async () => {
    const dir = tempDir();
    try {
      const config = testConfig(dir.path, { http: { tls: { cert: join(dir.path, 'missing.pem'), key: join(dir.path, 'missing-key.pem') } } });
      await assert.rejects(startHub({ config }), (err: Error & { code?: string }) => {
        assert.equal(err.code, ErrorCode.CONFIG);
        assert.match(err.message, /http\.tls\.cert/);
        return true;
      });
    } finally {
      dir.remove();
    }
  });
});
