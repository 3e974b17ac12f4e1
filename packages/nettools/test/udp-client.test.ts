/** The non-blocking UDP client of tutorial A: poll() never waits, lost replies cost nothing. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import type { RemoteInfo } from 'node:dgram';
import { UdpClient } from '../src/udp/udp-client.js';
import type { Datagram } from '../src/udp/udp-client.js';
import { until } from './raw-peers.js';

async function udpServer(t: { after(fn: () => unknown): void }, answer: (text: string) => string | undefined): Promise<number> {
  const socket = createSocket('udp4');
  socket.on('message', (data: Buffer, from: RemoteInfo) => {
    const reply = answer(data.toString('utf8'));
    if (reply !== undefined) socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

test('poll() returns nothing until a reply is there, then the reply', async (t) => {
  const port = await udpServer(t, (text) => `hello, ${text}`);
  const client = await UdpClient.open('127.0.0.1', port);
  t.after(() => client.close());
  assert.equal(client.poll(), undefined, 'nothing waiting: returns at once');
  client.send('test');
  let reply: Datagram | undefined;
  await until(() => (reply = client.poll()) !== undefined, 'a reply from poll()');
  assert.equal(reply?.text, 'hello, test');
  assert.equal(client.poll(), undefined);
});

test('replies the server never sends do not hold the client up', async (t) => {
  let n = 0;
  const port = await udpServer(t, (text) => (n++ % 2 === 0 ? text : undefined));
  const client = await UdpClient.open('localhost', port);
  t.after(() => client.close());
  const started = Date.now();
  let answered = 0;
  for (let i = 0; i < 6; i++) {
    client.send(`reading ${i}`);
    if ((await client.receive(50)) !== undefined) answered += 1;
  }
  assert.equal(answered, 3, 'every other reply was lost');
  assert.ok(Date.now() - started < 2000, 'bounded by the receive timeouts');
});

test('unread replies are bounded: the oldest are dropped and counted', async (t) => {
  const port = await udpServer(t, (text) => text);
  const client = await UdpClient.open('127.0.0.1', port, { maxQueued: 4 });
  t.after(() => client.close());
  for (let i = 0; i < 10; i++) client.send(String(i));
  await until(() => client.dropped === 6, 'six replies dropped');
  assert.deepEqual([client.poll()?.text, client.poll()?.text, client.poll()?.text, client.poll()?.text, client.poll()], ['6', '7', '8', '9', undefined]);
});

test('a port where nothing listens is reported as unreachable', async (t) => {
  const closed = createSocket('udp4');
  await new Promise<void>((resolve) => closed.bind(0, '127.0.0.1', resolve));
  const deadPort = closed.address().port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const client = await UdpClient.open('127.0.0.1', deadPort);
  t.after(() => client.close());
  client.send('anyone?');
  await until(() => client.unreachable !== undefined, 'the ICMP port unreachable');
  assert.equal(client.unreachable?.code, 'PL_ERR_CONNECT_FAILED');
  assert.match(client.unreachable?.message ?? '', /nothing listens on udp 127\.0\.0\.1:\d+ \(port unreachable\)/);
});
