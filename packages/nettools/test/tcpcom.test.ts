/** The tcpcom-style API over loopback: the states a program sees, in order, and the bytes on the wire. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { PicolinkError } from '@picolink/protocol';
import { TcpServer } from '../src/tcpcom/tcp-server.js';
import type { TcpServerOptions } from '../src/tcpcom/tcp-server.js';
import { TcpClient } from '../src/tcpcom/tcp-client.js';
import type { TcpClientOptions } from '../src/tcpcom/tcp-client.js';
import { RawTcpClient, until } from './raw-peers.js';

type Hook = { after(fn: () => unknown): void };

interface Recorded {
  states: string[];
  errors: (PicolinkError | undefined)[];
}

/** A server answering `go` with a button state, recording "STATE msg" lines. */
async function buttonServer(t: Hook, options: TcpServerOptions = {}): Promise<{ server: TcpServer; port: number; log: string[] }> {
  const log: string[] = [];
  const server = new TcpServer(
    0,
    (state, msg, client) => {
      log.push(`${state} ${msg}`);
      if (state === 'MESSAGE' && msg === 'go') client?.sendMessage('Button released');
    },
    { host: '127.0.0.1', ...options },
  );
  const port = await server.whenListening();
  t.after(() => server.terminate());
  return { server, port, log };
}

function recordingClient(port: number, options: TcpClientOptions = {}): { client: TcpClient; seen: Recorded } {
  const seen: Recorded = { states: [], errors: [] };
  const client = new TcpClient('127.0.0.1', port, (state, msg, error) => {
    seen.states.push(`${state} ${msg}`);
    seen.errors.push(error);
  }, { occupiedCheckMs: 50, ...options });
  return { client, seen };
}

test('server and client: the tcpcom states in order, NUL-terminated messages', async (t) => {
  const { port, log } = await buttonServer(t);
  assert.deepEqual(log, [`LISTENING ${port}`]);
  const { client, seen } = recordingClient(port);
  assert.equal(await client.connect(), true);
  assert.equal(client.isConnected(), true);
  assert.equal(await client.sendAndWait('go', 2000), 'Button released');
  client.disconnect();
  await until(() => seen.states.includes('DISCONNECTED '), 'DISCONNECTED');
  await until(() => log.length === 4, 'the server to see the disconnect');
  assert.deepEqual(seen.states, [`CONNECTING 127.0.0.1:${port}`, `CONNECTED 127.0.0.1:${port}`, 'MESSAGE Button released', 'DISCONNECTED ']);
  assert.equal(seen.errors.at(-1), undefined, 'an orderly close carries no error');
  assert.deepEqual(log.slice(1), ['CONNECTED 127.0.0.1', 'MESSAGE go', 'DISCONNECTED 127.0.0.1']);
});

test('on the wire: messages end with NUL; several in one read are separate MESSAGEs', async (t) => {
  const { port, log } = await buttonServer(t);
  const raw = await RawTcpClient.connect(port);
  t.after(() => raw.close());
  raw.write('go\0go\0');
  await raw.waitFor('Button released\0Button released\0');
  assert.equal(log.filter((l) => l === 'MESSAGE go').length, 2);
});

test('lf delimiter talks to line-based tools', async (t) => {
  const { port } = await buttonServer(t, { delimiter: 'lf' });
  const raw = await RawTcpClient.connect(port);
  t.after(() => raw.close());
  raw.write('go\r\n');
  await raw.waitFor('Button released\n');
});

test('one client at a time: a second client gets SERVER_OCCUPIED, and gets in once the first leaves', async (t) => {
  const { port, log } = await buttonServer(t, { oneClientAtATime: true });
  const first = recordingClient(port);
  assert.equal(await first.client.connect(), true);
  const second = recordingClient(port);
  assert.equal(await second.client.connect(), false);
  assert.deepEqual(second.seen.states, [`CONNECTING 127.0.0.1:${port}`, `SERVER_OCCUPIED 127.0.0.1:${port}`]);
  assert.equal(await first.client.sendAndWait('go', 2000), 'Button released', 'the first client is still served');

  first.client.disconnect();
  await until(() => log.filter((l) => l.startsWith('LISTENING')).length === 2, 'LISTENING again after the client left');
  assert.equal(await second.client.connect(), true);
  assert.equal(await second.client.sendAndWait('go', 2000), 'Button released');
  second.client.disconnect();
});

test('PORT_IN_USE when another program holds the port', async (t) => {
  const { port } = await buttonServer(t);
  const states: string[] = [];
  const clash = new TcpServer(port, (state, msg) => states.push(`${state} ${msg}`), { host: '127.0.0.1' });
  await assert.rejects(clash.whenListening(), /PL_ERR_LISTEN_FAILED|already in use/);
  assert.deepEqual(states, [`PORT_IN_USE ${port}`]);
  assert.equal(clash.isTerminated(), true);
});

test('CONNECTION_FAILED when nothing listens, with the reason', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const { client, seen } = recordingClient(port);
  assert.equal(await client.connect(), false);
  assert.deepEqual(seen.states, [`CONNECTING 127.0.0.1:${port}`, `CONNECTION_FAILED 127.0.0.1:${port}`]);
  assert.equal(seen.errors[1]?.code, 'PL_ERR_CONNECT_FAILED');
  assert.match(seen.errors[1]?.message ?? '', /connection refused/);
});

test('idle timeout on the server disconnects a silent client', async (t) => {
  const { port, log } = await buttonServer(t, { idleTimeoutMs: 150 });
  const { client, seen } = recordingClient(port);
  assert.equal(await client.connect(), true);
  await until(() => seen.states.includes('DISCONNECTED '), 'the silent client to be dropped');
  await until(() => log.includes('DISCONNECTED 127.0.0.1'), 'the server to report it');
});

test('idle timeout on the client: DISCONNECTED with PL_ERR_IDLE_TIMEOUT when the server goes quiet', async (t) => {
  const { port } = await buttonServer(t);
  const { client, seen } = recordingClient(port, { idleTimeoutMs: 150 });
  assert.equal(await client.connect(), true);
  await until(() => seen.states.includes('DISCONNECTED '), 'the idle timeout');
  assert.equal(seen.errors.at(-1)?.code, 'PL_ERR_IDLE_TIMEOUT');
});

test('sendAndWait gives undefined when no reply comes in time', async (t) => {
  const { port } = await buttonServer(t);
  const { client } = recordingClient(port);
  await client.connect();
  t.after(() => client.disconnect());
  assert.equal(await client.sendAndWait('not go', 100), undefined);
  assert.equal(client.sendMessage('go'), true);
});

test('a server message past the client limit disconnects with PL_ERR_MESSAGE_TOO_LARGE', async (t) => {
  const server = new TcpServer(0, (state, _msg, peer) => {
    if (state === 'MESSAGE') peer?.sendMessage('x'.repeat(300));
  }, { host: '127.0.0.1' });
  const port = await server.whenListening();
  t.after(() => server.terminate());
  const { client, seen } = recordingClient(port, { maxMessageBytes: 100 });
  await client.connect();
  client.sendMessage('go');
  await until(() => seen.states.includes('DISCONNECTED '), 'the disconnect');
  assert.equal(seen.errors.at(-1)?.code, 'PL_ERR_MESSAGE_TOO_LARGE');
});

test('terminate: clients see DISCONNECTED, the server reports TERMINATED and frees the port', async () => {
  const log: string[] = [];
  const server = new TcpServer(0, (state, msg) => log.push(`${state} ${msg}`), { host: '127.0.0.1' });
  const port = await server.whenListening();
  const { client, seen } = recordingClient(port);
  await client.connect();
  await until(() => log.length === 2, 'CONNECTED on the server');
  await server.terminate();
  assert.deepEqual(log.slice(-2), ['DISCONNECTED 127.0.0.1', 'TERMINATED ']);
  await until(() => seen.states.includes('DISCONNECTED '), 'the client to see the end');
  const again = new TcpServer(port, () => {}, { host: '127.0.0.1' });
  assert.equal(await again.whenListening(), port);
  await again.terminate();
});

test('a callback that throws is reported and the server goes on', async (t) => {
  const errors: string[] = [];
  t.mock.method(console, 'error', (text: string) => errors.push(text));
  const server = new TcpServer(0, (state, msg, peer) => {
    if (state === 'MESSAGE' && msg === 'boom') throw new Error('handler bug');
    if (state === 'MESSAGE') peer?.sendMessage(`got ${msg}`);
  }, { host: '127.0.0.1' });
  const port = await server.whenListening();
  t.after(() => server.terminate());
  const raw = await RawTcpClient.connect(port);
  t.after(() => raw.close());
  raw.write('boom\0fine\0');
  await raw.waitFor('got fine\0');
  assert.match(errors[0] ?? '', /TcpServer: the state callback threw while handling MESSAGE: Error: handler bug/);
});
