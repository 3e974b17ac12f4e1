import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { generateCertificate, writeCertificateFiles } from './certs.js';

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-certs-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const generated = generateCertificate({ commonName: 'pico-kitchen', hosts: ['pico-kitchen.local', '127.0.0.1', '::1', '192.168.1.50'] });

test('Node reads the certificate: self-signed, P-256, subject, SAN, validity, fingerprint', () => {
  const cert = new X509Certificate(generated.certDer);
  assert.equal(cert.subject, 'CN=pico-kitchen');
  assert.equal(cert.issuer, 'CN=pico-kitchen');
  assert.equal(cert.ca, false);
  assert.equal(cert.verify(cert.publicKey), true);
  assert.equal(cert.verify(createPublicKey(createPrivateKey(generated.keyPem))), true);
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(cert.subjectAltName, 'DNS:pico-kitchen.local, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:192.168.1.50');
  assert.equal(cert.checkHost('pico-kitchen.local'), 'pico-kitchen.local');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(cert.fingerprint256, generated.fingerprint);
  const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
  assert.ok(days >= 3650 && days < 3651, `valid for ${days} days`);
  assert.ok(Date.parse(cert.validFrom) <= Date.now());
  // A random positive serial of 16 bytes.
  assert.match(cert.serialNumber, /^[0-7][0-9A-F]{31}$/);
  assert.equal(generated.certPem, cert.toString());
});

test('the keys are a matching pair, SEC1 DER for MicroPython and PKCS#8 PEM', () => {
  const fromDer = createPrivateKey({ key: generated.keyDer, format: 'der', type: 'sec1' });
  const fromPem = createPrivateKey(generated.keyPem);
  assert.match(generated.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.deepEqual(fromDer.export({ format: 'jwk' }), fromPem.export({ format: 'jwk' }));
  const signature = sign('sha256', Buffer.from('hello'), fromDer);
  assert.equal(verify('sha256', Buffer.from('hello'), new X509Certificate(generated.certDer).publicKey, signature), true);
});

test('openssl reads the certificate and verifies it against itself', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'cert.pem');
    await writeFile(path, generated.certPem);
    const text = execFileSync('openssl', ['x509', '-in', path, '-noout', '-text']).toString();
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /Issuer: CN ?= ?pico-kitchen/);
    assert.match(text, /Subject: CN ?= ?pico-kitchen/);
    assert.match(text, /NIST CURVE: P-256/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
    assert.match(text, /X509v3 Extended Key Usage: ?\s+TLS Web Server Authentication/);
    assert.match(text, /DNS:pico-kitchen\.local, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1, IP Address:192\.168\.1\.50/);
    const verified = execFileSync('openssl', ['verify', '-CAfile', path, path]).toString();
    assert.equal(verified.trim(), `${path}: OK`);
    const fingerprint = execFileSync('openssl', ['x509', '-in', path, '-noout', '-fingerprint', '-sha256']).toString();
    assert.match(fingerprint, new RegExp(generated.fingerprint));
    const keyText = execFileSync('openssl', ['ec', '-inform', 'DER', '-noout', '-text'], { input: generated.keyDer, stdio: ['pipe', 'pipe', 'ignore'] }).toString();
    assert.match(keyText, /NIST CURVE: P-256/);
  });
});

test('a TLS server serves the certificate and a client trusting it as CA connects', async () => {
  const server = createServer({ key: generated.keyPem, cert: generated.certPem }, (socket) => socket.end('hi\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: generated.certPem }, () => {
        assert.equal(socket.authorized, true);
        assert.equal(socket.getPeerX509Certificate()?.fingerprint256, generated.fingerprint);
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.equal(received, 'hi\n');
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('certificates: dates past 2049 use GeneralizedTime; bad options are refused', () => {
  const far = generateCertificate({ commonName: 'far', days: 40 * 365, notBefore: new Date(Date.UTC(2030, 0, 1)) });
  assert.equal(new Date(new X509Certificate(far.certDer).validTo).getUTCFullYear(), 2069);
  for (const options of [{ commonName: ' ' }, { commonName: 'x', days: 0 }, { commonName: 'x', hosts: ['bad host'] }]) {
    assert.throws(
      () => generateCertificate(options),
      (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.USAGE,
    );
  }
  assert.notEqual(generateCertificate({ commonName: 'a' }).fingerprint, generateCertificate({ commonName: 'a' }).fingerprint);
});

test('writeCertificateFiles writes PEM and DER files, keys private, and refuses to overwrite', async () => {
  await withTempDir(async (root) => {
    const dir = join(root, 'certs');
    const written = await writeCertificateFiles(dir, { commonName: 'pico', hosts: ['10.0.0.5'] });
    const files = { ...written.paths, fingerprint: written.fingerprint };
    assert.deepEqual(
      [files.keyPem, files.certPem, files.keyDer, files.certDer],
      ['device-key.pem', 'device-cert.pem', 'device-key.der', 'device-cert.der'].map((name) => join(dir, name)),
    );
    assert.equal((await stat(files.keyPem)).mode & 0o777, 0o600);
    assert.equal((await stat(files.keyDer)).mode & 0o777, 0o600);
    const certDer = await readFile(files.certDer);
    assert.equal(new X509Certificate(certDer).fingerprint256, files.fingerprint);
    assert.equal(new X509Certificate(await readFile(files.certPem)).fingerprint256, files.fingerprint);
    createPrivateKey({ key: await readFile(files.keyDer), format: 'der', type: 'sec1' });

    await assert.rejects(writeCertificateFiles(dir, { commonName: 'pico' }), (err: unknown) => {
      return err instanceof PicolinkError && err.code === ErrorCode.USAGE && err.message.includes('device-key.pem already exists');
    });
    assert.deepEqual(await readFile(files.certDer), certDer);

    const replaced = await writeCertificateFiles(dir, { commonName: 'pico', force: true });
    assert.notEqual(replaced.fingerprint, files.fingerprint);
    assert.equal(new X509Certificate(await readFile(replaced.paths.certDer)).fingerprint256, replaced.fingerprint);
  });
});
