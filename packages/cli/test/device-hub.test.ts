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

test('device --hub with a list dials the hubs in order: a dead first address, then the live second one serves it', async (t) => {
  const deadPorts: number[] = [];
  for (let i = 0; i < 2; i++) {
    const gone = await standInHub();
    deadPorts.push(gone.port);
    await gone.close();
  }
  const [dead, alsoDead] = deadPorts as [number, number];
  const hub = await standInHub();
  t.after(() => hub.close());
  // A comma list and a repeated --hub make one list, in order.
  const device = await startDeviceProcess(['--hub', `127.0.0.1:${dead}, 127.0.0.1:${alsoDead}`, '--hub', `127.0.0.1:${hub.port}`, '--id', 'pico-list']);
  t.after(() => device.stop());
  const { socket, frames } = await hub.connection;
  const hello = await nextFrame(frames);
  assert.deepEqual([hello.action, hello.device], ['hello', 'pico-list']);
  const { token: _token, ...echo } = hello;
  socket.write(JSON.stringify({ ...echo, ok: true, time_received: 0, server_time: Date.now(), heartbeat_ms: 15000, config: {} }) + '\n');
  socket.write(JSON.stringify({ id: 1, action: 'ping' }) + '\n');
  assert.equal((await nextFrame(frames)).ok, true);
  for (const port of deadPorts) assert.match(device.stderr(), new RegExp(`hub 127\\.0\\.0\\.1:${port}: `));
});

test('device hub options without --hub, and a malformed --hub, are usage errors', async () => {
  const lonely = await runPicolink(['device', '--sim', '--token', 't']);
  assert.equal(lonely.code, 2);
  assert.match(lonely.stderr, /need --hub/);
  const malformed = await runPicolink(['device', '--sim', '--hub', 'host:port']);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /--hub must be HOST or HOST:PORT/);
  const badInList = await runPicolink(['device', '--sim', '--hub', 'hub-a:12400,,hub-b']);
  assert.equal(badInList.code, 2);
  assert.match(badInList.stderr, /--hub must be HOST or HOST:PORT .*got ""/);
});
