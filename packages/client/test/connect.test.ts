/**
 * connect() failures, each with a code and a sentence a person can act on.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { connect, generateCertificate } from '../src/index.js';
import { ScriptedPeer } from './fixtures/scripted-peer.js';

const FAST = { timeoutMs: 150, heartbeatMs: 0, connectTimeoutMs: 300 };

function hasCode(code: string, message?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof PicolinkError && err.code === code && (message === undefined || message.test(err.message));
}

/** A TCP server that accepts and then does what `onSocket` says (nothing, by default). */
async function withRawServer(onSocket: (socket: Socket) => void, run: (port: number) => Promise<void>): Promise<void> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run((server.address() as AddressInfo).port);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a refused connection says so and suggests what to check', async () => {
  const port = await freePort();
  await assert.rejects(
    connect(`tcp://127.0.0.1:${port}`, FAST),
    hasCode(ErrorCode.CONNECT_FAILED, new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: connection refused; is the device running and on this network\\?$`)),
  );
  await assert.rejects(connect(`tls://127.0.0.1:${port}`, { ...FAST, fingerprint: 'AA'.repeat(32) }), hasCode(ErrorCode.CONNECT_FAILED, /connection refused/));
});

test('a bad address is refused before connecting', async () => {
  await assert.rejects(connect('udp://127.0.0.1:1', FAST), hasCode(ErrorCode.BAD_URL, /supported schemes are tcp:\/\/, tls:\/\//));
});

test('a server that accepts but never answers the handshake', async () => {
  await withRawServer(
    () => undefined,
    async (port) => {
      await assert.rejects(connect(`127.0.0.1:${port}`, FAST), hasCode(ErrorCode.CONNECT_FAILED, /did not answer get_version within the timeout/));
    },
  );
});

test('a plain client at a TLS device is told to use tls://', async () => {
  const cert = generateCertificate({ commonName: 'pico' });
  const peer = await ScriptedPeer.start({ tls: { key: cert.keyPem, cert: cert.certPem } });
  try {
    await assert.rejects(connect(peer.url.replace('tls://', 'tcp://'), FAST), hasCode(ErrorCode.CONNECT_FAILED, /use tls:\/\//));
  } finally {
    await peer.close();
  }
});

test('a TLS client at a plain device gets PL_ERR_TLS_HANDSHAKE', async () => {
  await withRawServer(
    () => undefined,
    async (port) => {
      await assert.rejects(connect(`tls://127.0.0.1:${port}`, FAST), hasCode(ErrorCode.TLS_HANDSHAKE, /no TLS handshake from 127\.0\.0\.1:\d+ within 300 ms; is the device serving TLS/));
    },
  );
  await withRawServer(
    (socket) => socket.end('{"error":"not TLS"}\n'),
    async (port) => {
      await assert.rejects(connect(`tls://127.0.0.1:${port}`, FAST), hasCode(ErrorCode.TLS_HANDSHAKE, /answered without TLS, so it serves plain TCP on this port; connect without TLS \(tcp:\/\/\)$/));
    },
  );
});
