// `picolink device --sim --hub HOST:PORT`: the device process dials a hub (here a scripted
// stand-in listening on port 0), says hello with its id and token, and serves the hub.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { runPicolink, startDeviceProcess } from './cli-process.js';

type Message = Record<string, unknown>;

/** Accepts one connection and yields its frames one by one. */
async function standInHub(): Promise<{ port: number; connection: Promise<{ socket: Socket; frames: AsyncIterator<string> }>; close(): Promise<void> }> {
  const server = createServer();
  const sockets = new Set<Socket>();
  const connection = new Promise<{ socket: Socket; frames: AsyncIterator<string> }>((resolve) => {
    server.once('connection', (socket: Socket) => {
      sockets.add(socket);
      resolve({ socket, frames: createInterface({ input: socket })[Symbol.asyncIterator]() });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connection,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function nextFrame(frames: AsyncIterator<string>): Promise<Message> {
  const { value, done } = await frames.next();
  assert.ok(!done, 'the connection ended');
  return JSON.parse(value as string) as Message;
}

test('device --hub dials home with its id and token, then answers the hub on that connection', async (t) => {
  const hub = await standInHub();
  t.after(() => hub.close());
  const device = await startDeviceProcess(['--hub', `127.0.0.1:${hub.port}`, '--token', 's3cret', '--id', 'pico-cli']);
  t.after(() => device.stop());
  const { socket, frames } = await hub.connection;
  const hello = await nextFrame(frames);
  assert.deepEqual([hello.action, hello.device, hello.token, hello.protocol], ['hello', 'pico-cli', 's3cret', 1]);
  const { token: _token, ...echo } = hello;
  socket.write(JSON.stringify({ ...echo, ok: true, time_received: 0, server_time: Date.now(), heartbeat_ms: 15000, config: {} }) + '\n');
  socket.write(JSON.stringify({ id: 1, action: 'get_info' }) + '\n');
  const info = await nextFrame(frames);
  assert.equal(info.id, 1);
  assert.equal((info.info as Message).device_id, 'pico-cli');
});

test('device hub options without --hub, and a malformed --hub, are usage errors', async () => {
  const lonely = await runPicolink(['device', '--sim', '--token', 't']);
  assert.equal(lonely.code, 2);
  assert.match(lonely.stderr, /need --hub/);
  const malformed = await runPicolink(['device', '--sim', '--hub', 'host:port']);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /--hub must be HOST or HOST:PORT/);
});
