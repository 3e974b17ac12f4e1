/** The tutorials' servers over loopback: what a client sends, what it gets back, what is logged. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startTextServer } from '../src/serve/text-server.js';
import type { TextServerOptions } from '../src/serve/text-server.js';
import type { ServeEvent } from '../src/serve/serve-events.js';
import { formatServeEvent, serveEventJson } from '../src/serve/serve-events.js';
import { RawTcpClient, RawUdpPeer, until } from './raw-peers.js';

type Options = Omit<TextServerOptions, 'onEvent'>;

async function serve(t: { after(fn: () => unknown): void }, options: Options): Promise<{ events: ServeEvent[]; tcpPort: number; udpPort: number }> {
  const events: ServeEvent[] = [];
  const server = await startTextServer({ host: '127.0.0.1', ...options, onEvent: (e) => events.push(e) });
  t.after(() => server.close());
  return { events, tcpPort: server.tcpPort ?? -1, udpPort: server.udpPort ?? -1 };
}

test('hello answers over TCP and UDP on the same port number, as tutorial A needs', async (t) => {
  const { events, tcpPort, udpPort } = await serve(t, { mode: 'hello', tcpPort: 0, udpPort: 0 });
  assert.equal(tcpPort, udpPort, 'one port number for both');

  const tcp = await RawTcpClient.connect(tcpPort);
  tcp.write('test');
  await tcp.waitFor('hello, test');
  assert.equal(tcp.text, 'hello, test', 'per read, no delimiter added (delimiter none)');
  tcp.close();
  await until(() => events.some((e) => e.event === 'disconnect'), 'the disconnect event');

  const udp = await RawUdpPeer.open();
  t.after(() => udp.close());
  await udp.exchange(udpPort, 'test', 'hello, test');
  const kinds = events.map((e) => `${e.event}${'transport' in e ? ` ${e.transport}` : ''}`);
  assert.deepEqual(kinds, ['listening tcp', 'listening udp', 'connect tcp', 'message tcp', 'disconnect tcp', 'message udp']);
  const lines = events.map((e) => formatServeEvent(e, Date.UTC(2024, 0, 1)));
  assert.match(lines[0] ?? '', /^2024-01-01T00:00:00\.000Z listening on tcp 127\.0\.0\.1:\d+ \(hello; each read is one message\)$/);
  assert.match(lines[2] ?? '', /tcp 127\.0\.0\.1:\d+ connected \(1 client\)$/);
  assert.match(lines[3] ?? '', /tcp 127\.0\.0\.1:\d+ "test" -> "hello, test"$/);
  assert.match(lines[4] ?? '', /tcp 127\.0\.0\.1:\d+ disconnected after 1 message$/);
  assert.match(lines[5] ?? '', /udp 127\.0\.0\.1:\d+ "test" -> "hello, test"$/);
  const json = JSON.parse(serveEventJson(events[3] as ServeEvent, 0)) as Record<string, unknown>;
  assert.deepEqual({ ...json, peer: 'x' }, { time: '1970-01-01T00:00:00.000Z', event: 'message', transport: 'tcp', peer: 'x', message: 'test', bytes: 4, reply: 'hello, test' });
});

test('echo serves many clients at once, each getting its own lines back', async (t) => {
  const { events, tcpPort } = await serve(t, { mode: 'echo', tcpPort: 0, delimiter: 'lf' });
  const clients = await Promise.all(Array.from({ length: 20 }, () => RawTcpClient.connect(tcpPort)));
  clients.forEach((client, i) => client.write(`client ${i} line 1\nclient ${i} line 2\r\n`));
  await Promise.all(clients.map((client, i) => client.waitFor(`client ${i} line 2\n`)));
  clients.forEach((client, i) => assert.equal(client.text, `client ${i} line 1\nclient ${i} line 2\n`));
  assert.equal(events.filter((e) => e.event === 'message').length, 40);
  for (const client of clients) client.close();
});

test('reverse answers each UDP datagram with its bytes reversed', async (t) => {
  const { udpPort } = await serve(t, { mode: 'reverse', udpPort: 0 });
  const udp = await RawUdpPeer.open();
  t.after(() => udp.close());
  await udp.exchange(udpPort, 'hello world', 'dlrow olleh');
  udp.send(udpPort, Uint8Array.of(1, 2, 3));
  await until(() => udp.replies.some((r) => r.equals(Buffer.from([3, 2, 1]))), 'reversed bytes');
});

test('nul delimiter: tcpcom-style messages, several per read or split across reads', async (t) => {
  const { tcpPort, udpPort } = await serve(t, { mode: 'hello', tcpPort: 0, udpPort: 0, delimiter: 'nul' });
  const client = await RawTcpClient.connect(tcpPort);
  t.after(() => client.close());
  client.write('go\0again\0spl');
  await client.waitFor('hello, again\0');
  client.write('it\0');
  await client.waitFor('hello, split\0');
  assert.equal(client.text, 'hello, go\0hello, again\0hello, split\0');

  const udp = await RawUdpPeer.open();
  t.after(() => udp.close());
  await udp.exchange(udpPort, 'go\0', 'hello, go\0');
});

test('lf delimiter: a datagram ending in a newline gets a reply ending in one', async (t) => {
  const { udpPort } = await serve(t, { mode: 'echo', udpPort: 0, delimiter: 'lf' });
  const udp = await RawUdpPeer.open();
  t.after(() => udp.close());
  await udp.exchange(udpPort, 'ping\r\n', 'ping\n');
  await udp.exchange(udpPort, 'no newline', 'no newline');
});

test('a port taken by another program is a PL_ERR_LISTEN_FAILED error naming it', async (t) => {
  const { tcpPort } = await serve(t, { mode: 'echo', tcpPort: 0 });
  await assert.rejects(startTextServer({ mode: 'echo', host: '127.0.0.1', tcpPort }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'PL_ERR_LISTEN_FAILED');
    assert.match(err.message, new RegExp(`cannot listen on tcp 127\\.0\\.0\\.1:${tcpPort}: the port is already in use`));
    return true;
  });
});
