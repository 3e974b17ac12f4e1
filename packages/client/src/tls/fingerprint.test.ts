import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHash, X509Certificate } from 'node:crypto';
import { generateCertificate } from './certs.js';
import { fingerprintOf } from './fingerprint.js';

test('fingerprintOf matches Node X509Certificate.fingerprint256', () => {
  const { certDer } = generateCertificate({ commonName: 'fp' });
  assert.equal(fingerprintOf(certDer), new X509Certificate(certDer).fingerprint256);
  assert.equal(fingerprintOf(certDer).replace(/:/g, '').toLowerCase(), createHash('sha256').update(certDer).digest('hex'));
});
