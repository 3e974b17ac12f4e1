import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { connect } from '../src/connect.js';
import { startTlsPeer } from './tls-peer.js';

/** A plain TCP server that accepts and says nothing; `done` closes it and every connection. */
async function silentServer(): Promise<{ port: number; done: () => Promise<void> }> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    done: async () => {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a refused connection is PL_ERR_CONNECT_FAILED in words, with the caller’s hint', async () => {
  const port = await freePort();
  await assert.rejects(connect({ host: '127.0.0.1', port }), {
    code: ErrorCode.CONNECT_FAILED,
    message: `cannot connect to 127.0.0.1:${port}: connection refused; is the server running and listening on that port?`,
  });
  await assert.rejects(connect({ host: '127.0.0.1', port, hint: 'is the device running and on this network?' }), {
    message: /connection refused; is the device running and on this network\?$/,
  });
});

test('a plain TCP connection opens with no delay; aborting gives up at once', async () => {
  const { port, done } = await silentServer();
  try {
    const socket = await connect({ host: '127.0.0.1', port });
    socket.destroy();
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(connect({ host: '127.0.0.1', port, signal: stop.signal }), { code: ErrorCode.CONNECTION_CLOSED, message: /was cancelled/ });
  } finally {
    await done();
  }
});

test('TLS to a plain TCP server that never answers the handshake times out with a TLS hint, or ends when aborted', async () => {
  const { port, done } = await silentServer();
  try {
    await assert.rejects(connect({ host: '127.0.0.1', port, tls: {}, timeoutMs: 200, peer: 'the device' }), {
      code: ErrorCode.TLS_HANDSHAKE,
      message: `no TLS handshake from 127.0.0.1:${port} within 200 ms; is the device serving TLS on this port?`,
    });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    await assert.rejects(connect({ host: '127.0.0.1', port, tls: {}, timeoutMs: 10_000, signal: stop.signal }), {
      code: ErrorCode.CONNECTION_CLOSED,
      message: `connecting to 127.0.0.1:${port} was cancelled`,
    });
  } finally {
    await done();
  }
});

test('TLS to a plain TCP server that answers in plain text says so in words, not in OpenSSL\'s', async () => {
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    accepted.push(socket);
    socket.end('{"error":"not TLS"}\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const failure = await connect({ host: '127.0.0.1', port, tls: {}, timeoutMs: 5000 }).then(
      () => assert.fail('a plain-text answer was taken for TLS'),
      (err: unknown) => err as PicolinkError,
    );
    assert.equal(failure.code, ErrorCode.TLS_HANDSHAKE);
    assert.equal(failure.message, `TLS handshake with 127.0.0.1:${port} failed: it answered without TLS, so it serves plain TCP on this port; connect without TLS (tcp://)`);
  } finally {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('TLS: a pinned fingerprint is accepted in any written form; another one is refused before anything is sent', async () => {
  const peer = await startTlsPeer();
  try {
    const socket = await connect({ host: '127.0.0.1', port: peer.port, tls: { fingerprint: peer.fingerprint.replace(/:/g, '').toLowerCase() } });
    const line = await new Promise<string>((resolve) => socket.once('data', (data: Buffer) => resolve(data.toString())));
    assert.equal(line, 'hi\n');
    socket.destroy();
    const other = 'AB:'.repeat(31) + 'AB';
    await assert.rejects(connect({ host: '127.0.0.1', port: peer.port, tls: { fingerprint: other }, peer: 'the hub' }), {
      code: ErrorCode.TLS_FINGERPRINT_MISMATCH,
      message: new RegExp(`has fingerprint ${peer.fingerprint}, but ${other} was expected; someone may be intercepting the connection, or the hub got a new certificate`),
    });
  } finally {
    await peer.close();
  }
});

test('TLS: a certificate the CAs do not vouch for is refused; the given CA is accepted; the caller’s own check decides', async () => {
  const peer = await startTlsPeer();
  const other = await startTlsPeer();
  try {
    await assert.rejects(connect({ host: '127.0.0.1', port: peer.port, tls: {} }), { code: ErrorCode.TLS_HANDSHAKE, message: /is not trusted: / });
    await assert.rejects(connect({ host: '127.0.0.1', port: peer.port, tls: { ca: other.certPem } }), { code: ErrorCode.TLS_HANDSHAKE, message: /is not trusted by the given CA/ });
    // The certificate names "localhost": with its own CA the host name must match too.
    (await connect({ host: 'localhost', port: peer.port, tls: { ca: peer.certPem } })).destroy();
    const seen: string[] = [];
    (await connect({ host: '127.0.0.1', port: peer.port, tls: { verifyPeer: (fp) => void seen.push(fp) } })).destroy();
    assert.deepEqual(seen, [peer.fingerprint]);
    const refusal = new PicolinkError(ErrorCode.TLS_FINGERPRINT_MISMATCH, 'changed since first use');
    await assert.rejects(connect({ host: '127.0.0.1', port: peer.port, tls: { verifyPeer: () => Promise.reject(refusal) } }), refusal);
  } finally {
    await peer.close();
    await other.close();
  }
});
