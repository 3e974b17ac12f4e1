/**
 * TLS trust (docs/protocol.md#tls): pinned fingerprints, trust on first use with the
 * known-devices file, and CA verification, against a real TLS server.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { connect, generateCertificate } from '../src/index.js';
import { ScriptedPeer } from './fixtures/scripted-peer.js';

const FAST = { timeoutMs: 1000, heartbeatMs: 0, connectTimeoutMs: 2000 };
const first = generateCertificate({ commonName: 'pico-1', hosts: ['127.0.0.1'] });
const second = generateCertificate({ commonName: 'pico-1', hosts: ['127.0.0.1'] });

async function withTlsPeer(run: (peer: ScriptedPeer) => Promise<void>): Promise<void> {
  const peer = await ScriptedPeer.start({ tls: { key: first.keyPem, cert: first.certPem } });
  try {
    await run(peer);
  } finally {
    await peer.close();
  }
}

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-tls-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function hasCode(code: string, message?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof PicolinkError && err.code === code && (message === undefined || message.test(err.message));
}

/**
 * Once the refused TCP connection #index has closed: only the `accepted` earlier
 * connections ever sent a frame (a handshake), so nothing reached the untrusted device.
 */
async function assertNothingSent(peer: ScriptedPeer, index: number, accepted: number): Promise<void> {
  await peer.socketsClosed[index];
  assert.equal(peer.socketsClosed.length, index + 1);
  const handshakes = peer.connections.filter((c) => c.bytesReceived > 0);
  assert.equal(handshakes.length, accepted, 'no request may reach an untrusted device');
}

test('a pinned fingerprint (any accepted spelling) connects', async () => {
  await withTlsPeer(async (peer) => {
    const spelled = 'sha256:' + first.fingerprint.replace(/:/g, '').toLowerCase();
    const device = await connect(peer.url, { ...FAST, fingerprint: spelled });
    assert.equal(device.url, peer.url);
    assert.equal(device.protocol, 1);
    assert.equal((await device.request('ping')).ok, true);
    await device.close();
  });
});

test('a wrong fingerprint is refused with PL_ERR_TLS_FINGERPRINT_MISMATCH before anything is sent', async () => {
  await withTlsPeer(async (peer) => {
    await assert.rejects(
      connect(peer.url, { ...FAST, fingerprint: second.fingerprint }),
      hasCode(ErrorCode.TLS_FINGERPRINT_MISMATCH, new RegExp(`has fingerprint ${first.fingerprint}, but ${second.fingerprint} was expected`)),
    );
    await assertNothingSent(peer, 0, 0);
  });
});

test('a malformed fingerprint option is a usage error, before connecting', async () => {
  await assert.rejects(connect('tls://127.0.0.1:1', { ...FAST, fingerprint: 'AB:CD' }), hasCode(ErrorCode.USAGE, /64 hex digits/));
});

test('trust on first use records the device, then refuses a changed certificate like ssh', async () => {
  await withTempDir(async (dir) => {
    await withTlsPeer(async (peer) => {
      const knownDevicesFile = join(dir, 'known_devices');
      const trusted: Array<[string, string]> = [];
      const onNewFingerprint = (hostPort: string, fingerprint: string): void => void trusted.push([hostPort, fingerprint]);
      const hostPort = `127.0.0.1:${peer.port}`;

      const device = await connect(peer.url, { ...FAST, knownDevicesFile, onNewFingerprint });
      await device.close();
      assert.deepEqual(trusted, [[hostPort, first.fingerprint]]);
      assert.equal(await readFile(knownDevicesFile, 'utf8'), `${hostPort} ${first.fingerprint}\n`);

      const again = await connect(peer.url, { ...FAST, knownDevicesFile, onNewFingerprint });
      await again.close();
      assert.equal(trusted.length, 1, 'a known device is not announced again');

      peer.setCertificate(second.keyPem, second.certPem);
      await assert.rejects(connect(peer.url, { ...FAST, knownDevicesFile, onNewFingerprint }), (err: unknown) => {
        assert.ok(err instanceof PicolinkError);
        assert.equal(err.code, ErrorCode.TLS_FINGERPRINT_MISMATCH);
        assert.match(err.message, new RegExp(`certificate of ${hostPort} has changed`));
        assert.ok(err.message.includes(`recorded ${first.fingerprint}, now ${second.fingerprint}`));
        assert.ok(err.message.includes(`remove line 1 of ${knownDevicesFile}`));
        return true;
      });
      await assertNothingSent(peer, 2, 2);
      assert.equal(await readFile(knownDevicesFile, 'utf8'), `${hostPort} ${first.fingerprint}\n`);
      assert.equal(trusted.length, 1);
    });
  });
});

test('without a path option, the known-devices file comes from PICOLINK_KNOWN_DEVICES', async () => {
  await withTempDir(async (dir) => {
    await withTlsPeer(async (peer) => {
      const path = join(dir, 'from-env');
      const saved = process.env.PICOLINK_KNOWN_DEVICES;
      process.env.PICOLINK_KNOWN_DEVICES = path;
      try {
        const device = await connect(`127.0.0.1:${peer.port}`, { ...FAST, tls: true });
        await device.close();
      } finally {
        if (saved === undefined) delete process.env.PICOLINK_KNOWN_DEVICES;
        else process.env.PICOLINK_KNOWN_DEVICES = saved;
      }
      assert.equal(await readFile(path, 'utf8'), `127.0.0.1:${peer.port} ${first.fingerprint}\n`);
    });
  });
});

test('CA mode: the certificate verified against the given CA and host name', async () => {
  await withTlsPeer(async (peer) => {
    const device = await connect(peer.url, { ...FAST, ca: first.certPem });
    assert.equal((await device.request('ping')).ok, true);
    await device.close();

    await assert.rejects(connect(peer.url, { ...FAST, ca: second.certPem }), hasCode(ErrorCode.TLS_HANDSHAKE, /not trusted by the given CA/));
    const other = generateCertificate({ commonName: 'elsewhere', hosts: ['10.9.9.9'] });
    peer.setCertificate(other.keyPem, other.certPem);
    await assert.rejects(connect(peer.url, { ...FAST, ca: other.certPem }), hasCode(ErrorCode.TLS_HANDSHAKE, /not trusted by the given CA/));
  });
});
