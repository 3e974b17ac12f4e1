import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { startTestDevice } from './fixtures.js';
import { makeTestCert } from './tls-cert.js';

test('with a certificate the device serves TLS, and the peer certificate is the one configured', async (t) => {
  const { cert, key } = await makeTestCert();
  const device = await startTestDevice(t, { tls: { cert, key } });
  assert.match(device.url, /^tls:\/\/127\.0\.0\.1:\d+$/);
  const client = await device.connect({ tls: true });
  const peer = (client.socket as TLSSocket).getPeerX509Certificate();
  assert.ok(peer);
  assert.equal(peer.fingerprint256, new X509Certificate(cert).fingerprint256);
  const version = await client.request({ id: 1, action: 'get_version' });
  assert.ok((version.capabilities as string[]).includes('tls'), 'an encrypted connection is told so');
  assert.equal((await client.request({ action: 'setup_pin', pin: 2, mode: 'output', value: 1 })).ok, true);
  assert.equal(device.backend.pinState(2).driven, 1);
});

test('a plain TCP client cannot talk to a TLS device, and does not disturb TLS clients', async (t) => {
  const { cert, key } = await makeTestCert();
  const device = await startTestDevice(t, { tls: { cert, key } });
  const good = await device.connect({ tls: true });
  const plain = await device.connect();
  plain.send({ action: 'ping' });
  assert.equal(await plain.closesWithin(2000), true);
  assert.deepEqual(plain.inbox, []);
  assert.equal((await good.request({ action: 'ping' })).ok, true);
  assert.ok(device.logs.some((line) => line.startsWith('TLS handshake')), 'the failed handshake is logged');
});
