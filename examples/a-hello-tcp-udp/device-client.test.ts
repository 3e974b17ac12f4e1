/**
 * Tutorial A with picolink on the computer side: `picolink serve hello` answers the
 * device's TCP start-up message and its UDP datagrams on one port number.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startServe } from '../support/picolink-cli.js';
import { runHelloDevice } from './device-client.js';

test('the device gets "hello, test" over TCP, then a reply to every UDP datagram', async (t) => {
  const { server, port } = await startServe(['hello', '--port', '0']);
  t.after(() => server.stop());
  const lines: string[] = [];
  const report = await runHelloDevice({ host: '127.0.0.1', port, intervalMs: 40, count: 5, log: (line) => lines.push(line) });
  assert.equal(report.tcpReply, 'hello, test');
  assert.equal(report.sent, 5);
  assert.deepEqual(report.replies, Array(5).fill('hello, test'));
  assert.deepEqual(lines, ['tcp: hello, test', ...Array(5).fill('udp: hello, test')]);
  const udpLines = (): number => server.stdout().match(/udp 127\.0\.0\.1:\d+ "test" -> "hello, test"/g)?.length ?? 0;
  const deadline = Date.now() + 5000;
  while (udpLines() < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(udpLines(), 5, 'one log line per datagram');
  await server.waitFor(/tcp 127\.0\.0\.1:\d+ disconnected after 1 message/);
  assert.match(server.stdout(), /tcp 127\.0\.0\.1:\d+ connected \(1 client\)\n.*tcp 127\.0\.0\.1:\d+ "test" -> "hello, test"\n/);
});

test('UDP replies that never come do not hold the device up', async (t) => {
  const { server, port } = await startServe(['hello', '--tcp', '0']);
  t.after(() => server.stop());
  // A UDP receiver on the same port number that answers nothing: every reply is "lost".
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(port, '127.0.0.1', resolve));
  t.after(() => silent.close());
  let received = 0;
  silent.on('message', () => (received += 1));
  const started = Date.now();
  const report = await runHelloDevice({ host: '127.0.0.1', port, intervalMs: 30, count: 5, log: () => {} });
  assert.equal(report.tcpReply, 'hello, test');
  assert.deepEqual(report.replies, []);
  assert.ok(Date.now() - started < 2000, 'five sends take five intervals, not five timeouts');
  assert.equal(received, 5, 'the datagrams were sent all the same');
});

test('a start-up exchange that fails is retried, not a crash', async () => {
  const lines: string[] = [];
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const report = await runHelloDevice({ host: '127.0.0.1', port, intervalMs: 20, startupAttempts: 2, log: (line) => lines.push(line) });
  assert.equal(report.tcpReply, undefined);
  assert.equal(report.sent, 0);
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? '', /^tcp: cannot connect to 127\.0\.0\.1:\d+: connection refused/);
});
