/** Tutorial D: TCP echo for many clients at once, UDP reverse, and read timeouts. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { startServe } from '../support/picolink-cli.js';
import { sendOverTcp } from './echo-client.js';
import { sendOverUdp } from './reverse-client.js';

test('picolink serve echo answers many clients at once, each with its own message', async (t) => {
  const { server, port } = await startServe(['echo', '--tcp', '0']);
  t.after(() => server.stop());
  const messages = Array.from({ length: 25 }, (_, i) => `message from client ${i}`);
  const results = await Promise.all(messages.map((m) => sendOverTcp('127.0.0.1', port, m)));
  assert.deepEqual(results.map((r) => r.reply), messages);
  const deadline = Date.now() + 5000;
  const disconnects = (): number => server.stdout().match(/disconnected after 1 message/g)?.length ?? 0;
  while (disconnects() < 25 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(disconnects(), 25, 'the log has a line for each client leaving');
});

test('picolink serve reverse answers a datagram with its bytes reversed', async (t) => {
  const { server, port } = await startServe(['reverse', '--udp', '0']);
  t.after(() => server.stop());
  assert.deepEqual(await sendOverUdp('127.0.0.1', port, 'hello world'), { reply: 'dlrow olleh' });
});

test('read timeouts: a silent TCP server and a UDP port with nobody behind it give errors, not hangs', async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const { port } = silent.address() as AddressInfo;
  const tcp = await sendOverTcp('127.0.0.1', port, 'anyone?', 200);
  assert.deepEqual(tcp, { error: `no reply from 127.0.0.1:${port} within 200 ms` });
  const udp = await sendOverUdp('127.0.0.1', port, 'anyone?', 200);
  assert.match(udp.error ?? '', new RegExp(`nothing listens on udp 127\\.0\\.0\\.1:${port} \\(port unreachable\\)|no reply from udp`));
});
