/**
 * Bad input to the servers, one case per test. In every case another client, connected
 * before the bad input arrives, keeps being served: a bad peer only ever hurts itself.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startTextServer } from '../src/serve/text-server.js';
import type { TextServerOptions } from '../src/serve/text-server.js';
import type { ServeEvent } from '../src/serve/serve-events.js';
import { RawTcpClient, RawUdpPeer, until } from './raw-peers.js';

async function serve(t: { after(fn: () => unknown): void }, options: Partial<TextServerOptions>): Promise<{ events: ServeEvent[]; tcpPort: number; udpPort: number }> {
  const events: ServeEvent[] = [];
  const server = await startTextServer({ mode: 'hello', host: '127.0.0.1', delimiter: 'lf', ...options, onEvent: (e) => events.push(e) });
  t.after(() => server.close());
  return { events, tcpPort: server.tcpPort ?? -1, udpPort: server.udpPort ?? -1 };
}

let round = 0;
async function stillServed(client: RawTcpClient): Promise<void> {
  round += 1;
  client.write(`still here ${round}\n`);
  await client.waitFor(`hello, still here ${round}\n`);
}

function disconnects(events: ServeEvent[]): Extract<ServeEvent, { event: 'disconnect' }>[] {
  return events.filter((e): e is Extract<ServeEvent, { event: 'disconnect' }> => e.event === 'disconnect');
}

test('a message without delimiter past the limit closes that client only, with a clear log line', async (t) => {
  const { events, tcpPort } = await serve(t, { tcpPort: 0, maxMessageBytes: 1024 });
  const good = await RawTcpClient.connect(tcpPort);
  t.after(() => good.close());
  await stillServed(good);
  const bad = await RawTcpClient.connect(tcpPort);
  bad.write('x'.repeat(600));
  bad.write('y'.repeat(600));
  await bad.waitClosed();
  await until(() => disconnects(events).length === 1, 'the server to report the close');
  const closed = disconnects(events).find((e) => e.by === 'server');
  assert.equal(closed?.code, 'PL_ERR_MESSAGE_TOO_LARGE');
  assert.match(closed?.error ?? '', /larger than 1024 bytes without a newline/);
  await stillServed(good);
});

test('a client vanishing mid-message: logged with the dropped bytes, others unaffected', async (t) => {
  const { events, tcpPort } = await serve(t, { tcpPort: 0 });
  const good = await RawTcpClient.connect(tcpPort);
  t.after(() => good.close());
  await stillServed(good);
  const bad = await RawTcpClient.connect(tcpPort);
  bad.write('complete\nhalf a mess');
  await bad.waitFor('hello, complete\n');
  bad.socket.resetAndDestroy();
  await until(() => disconnects(events).length === 1, 'the disconnect event');
  const gone = disconnects(events)[0];
  assert.equal(gone?.by, 'peer');
  assert.equal(gone?.messages, 1);
  assert.equal(gone?.droppedBytes, 11, 'the unfinished "half a mess" is reported, not answered');
  await stillServed(good);
});

test('a flood of datagrams (bounded) costs a few log lines, and another UDP client is still answered', async (t) => {
  const { events, udpPort } = await serve(t, { udpPort: 0, eventsPerSecond: 50 });
  const flooder = await RawUdpPeer.open();
  const good = await RawUdpPeer.open();
  t.after(() => {
    flooder.close();
    good.close();
  });
  for (let i = 0; i < 3000; i++) flooder.send(udpPort, `flood ${i}`);
  await good.exchange(udpPort, 'still here', 'hello, still here', 5000);
  await until(() => events.some((e) => e.event === 'suppressed'), 'the suppressed count', 3000);
  const messageLines = events.filter((e) => e.event === 'message').length;
  assert.ok(messageLines <= 150, `at most a few windows of message lines, got ${messageLines}`);
  const suppressed = events.filter((e): e is Extract<ServeEvent, { event: 'suppressed' }> => e.event === 'suppressed');
  assert.ok(suppressed.every((e) => e.kind === 'message' && e.count > 0));
  assert.ok(flooder.replies.length > 0, 'the flooder is answered too, as far as its socket keeps up');
});

test('more clients than --max-clients: the extra one is refused, the others stay', async (t) => {
  const { events, tcpPort } = await serve(t, { tcpPort: 0, maxClients: 2 });
  const first = await RawTcpClient.connect(tcpPort);
  const second = await RawTcpClient.connect(tcpPort);
  t.after(() => {
    first.close();
    second.close();
  });
  await stillServed(first);
  await stillServed(second);
  const third = await RawTcpClient.connect(tcpPort);
  await third.waitClosed();
  const refused = events.find((e) => e.event === 'refused');
  assert.equal(refused?.event === 'refused' && refused.code, 'PL_ERR_TOO_MANY_CLIENTS');
  await stillServed(first);
  await stillServed(second);
});

test('--idle-timeout closes a silent client and keeps a talking one', async (t) => {
  const { events, tcpPort } = await serve(t, { tcpPort: 0, idleTimeoutMs: 300 });
  const silent = await RawTcpClient.connect(tcpPort);
  const talker = await RawTcpClient.connect(tcpPort);
  t.after(() => talker.close());
  for (let i = 0; i < 5; i++) {
    await stillServed(talker);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await silent.waitClosed();
  await until(() => disconnects(events).length === 1, 'the server to report the close');
  assert.equal(disconnects(events).find((e) => e.by === 'server')?.code, 'PL_ERR_IDLE_TIMEOUT');
  assert.equal(talker.closed, false);
});

test('a client that floods without reading is slowed, loses nothing, and does not hold up others', async (t) => {
  const { tcpPort } = await serve(t, { tcpPort: 0, mode: 'echo', delimiter: 'none' });
  const good = await RawTcpClient.connect(tcpPort);
  t.after(() => good.close());
  const flooder = await RawTcpClient.connect(tcpPort);
  t.after(() => flooder.close());
  flooder.socket.pause();
  const block = Buffer.alloc(64 * 1024, 0x61);
  const total = 64 * block.length;
  for (let i = 0; i < 64; i++) flooder.write(block);
  good.write('hi');
  await good.waitFor('hi');
  flooder.socket.resume();
  await until(() => flooder.received.length === total, `all ${total} bytes echoed`, 10_000);
  assert.equal(flooder.closed, false);
});
