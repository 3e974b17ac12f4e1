/** `picolink term` in scripts (stdin is a pipe): what is sent, what is printed, exit codes. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { runPicolink } from './cli-process.js';
import { startPicolink } from './background-process.js';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function startServe(t: { after(fn: () => unknown): void }, ...args: string[]): Promise<string> {
  const server = startPicolink(['serve', ...args, '--host', '127.0.0.1']);
  t.after(() => server.stop());
  const [, port] = await server.waitFor(/listening on (?:tcp|udp) 127\.0\.0\.1:(\d+)/);
  return port ?? '';
}

test('term tcp reads lines from stdin, ends them as --eol says, prints what comes back', async (t) => {
  const port = await startServe(t, 'echo', '--tcp', '0', '--delimiter', 'nul');
  const term = startPicolink(['term', 'tcp', '127.0.0.1', port, '--eol', 'nul', '--wait', '200']);
  term.child.stdin.end('go\nButton pressed\n');
  const [code] = (await once(term.child, 'exit')) as [number];
  assert.equal(code, 0, term.stderr());
  assert.equal(term.stdout(), 'go\nButton pressed\n', 'NUL-terminated messages are shown one per line');
  assert.match(term.stderr(), /^\* connected to tcp 127\.0\.0\.1:\d+\n/);
});

test('--hex and --timestamps', async (t) => {
  const port = await startServe(t, 'hello', '--udp', '0');
  const result = await runPicolink(['term', 'udp', '127.0.0.1', port, '--send', 'test', '--hex', '--timestamps', '--wait', '300']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\d\d:\d\d:\d\d\.\d{3} 0000 {2}68 65 6c 6c 6f 2c 20 74 {2}65 73 74 +\|hello, test\|\n$/);
});

test('term exits 0 when the server closes the connection', async (t) => {
  const port = await startServe(t, 'echo', '--tcp', '0', '--idle-timeout', '200');
  const term = startPicolink(['term', 'tcp', '127.0.0.1', port]);
  const [code] = (await once(term.child, 'exit')) as [number];
  assert.equal(code, 0);
  assert.match(term.stderr(), /\* connection closed by 127\.0\.0\.1:\d+/);
});

test('nothing listening: term tcp and term udp exit 3 with one line', async () => {
  const port = String(await freePort());
  const tcp = await runPicolink(['term', 'tcp', '127.0.0.1', port, '--send', 'x']);
  assert.equal(tcp.code, 3);
  assert.equal(tcp.stderr, `picolink: cannot connect to 127.0.0.1:${port}: connection refused; is the server running and listening on that port?\n`);
  const udp = await runPicolink(['term', 'udp', '127.0.0.1', port, '--send', 'x', '--wait', '300']);
  assert.equal(udp.code, 3);
  assert.match(udp.stderr, new RegExp(`picolink: nothing listens on udp 127\\.0\\.0\\.1:${port} \\(port unreachable\\)`));
});

test('term listen tcp: shows what a client sends and sends it stdin lines', async (t) => {
  const term = startPicolink(['term', 'listen', 'tcp', '0', '--host', '127.0.0.1']);
  t.after(() => term.stop());
  const [, port] = await term.waitFor(/listening on tcp 127\.0\.0\.1:(\d+)/, 'stderr');
  const board = connect({ host: '127.0.0.1', port: Number(port) });
  t.after(() => board.destroy());
  await once(board, 'connect');
  await term.waitFor(/127\.0\.0\.1:\d+ connected/, 'stderr');
  board.write('Button released\0');
  await term.waitFor(/^Button released$/m);
  let received = '';
  board.setEncoding('utf8').on('data', (text: string) => (received += text));
  term.child.stdin.write('go\n');
  const deadline = Date.now() + 5000;
  while (!received.includes('go\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(received, 'go\n');
  assert.equal(await term.stop(), 0);
});

test('term listen udp: shows datagrams with their sender and answers the last sender', async (t) => {
  const term = startPicolink(['term', 'listen', 'udp', '0', '--host', '127.0.0.1']);
  t.after(() => term.stop());
  const [, port] = await term.waitFor(/listening on udp 127\.0\.0\.1:(\d+)/, 'stderr');
  const board = createSocket('udp4');
  t.after(() => board.close());
  await new Promise<void>((resolve) => board.bind(0, '127.0.0.1', resolve));
  board.send('temp=21.5', Number(port), '127.0.0.1');
  await term.waitFor(/^temp=21\.5$/m);
  assert.match(term.stderr(), new RegExp(`\\* from 127\\.0\\.0\\.1:${board.address().port}`));
  term.child.stdin.write('ack\n');
  const [reply] = (await once(board, 'message')) as [Buffer];
  assert.equal(reply.toString(), 'ack', 'UDP lines go out without a line ending by default');
});
