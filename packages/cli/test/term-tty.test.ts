/**
 * `picolink term` at a real terminal (a tmux pane): the prompt, replies printed above it,
 * what is being typed kept intact, hex and timestamps, Ctrl-D / Ctrl-C to quit.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { connect } from 'node:net';
import { CLI_MAIN } from './cli-process.js';
import { startPicolink } from './background-process.js';
import { TmuxPane } from './tmux-pane.js';

type Hook = { after(fn: () => unknown): void };

async function hello(t: Hook): Promise<string> {
  const server = startPicolink(['serve', 'hello', '--port', '0', '--host', '127.0.0.1']);
  t.after(() => server.stop());
  const [, port] = await server.waitFor(/listening on udp 127\.0\.0\.1:(\d+)/);
  return port ?? '';
}

async function termPane(t: Hook, ...args: string[]): Promise<TmuxPane> {
  const pane = await TmuxPane.start([process.execPath, CLI_MAIN, 'term', ...args]);
  t.after(() => pane.close());
  return pane;
}

test('term tcp at a terminal: a typed line is sent, the reply shows above the prompt; Ctrl-D quits', async (t) => {
  const port = await hello(t);
  const pane = await termPane(t, 'tcp', '127.0.0.1', port, '--timestamps');
  await pane.waitFor(/\* type a line and press Enter; each line is sent, followed by LF\. Ctrl-D or Ctrl-C quits\.\n> $/);
  await pane.type('test');
  await pane.press('Enter');
  await pane.waitFor(/^> test\n\d\d:\d\d:\d\d\.\d{3} hello, test\n> $/m);
  await pane.type('again');
  await pane.press('Enter');
  await pane.waitFor(/\d\d:\d\d:\d\d\.\d{3} hello, again\n> $/);
  await pane.press('C-d');
  await pane.waitFor(/\[exit 0\]/);
});

test('term udp at a terminal with --hex: replies as a hex dump; Ctrl-C quits', async (t) => {
  const port = await hello(t);
  const pane = await termPane(t, 'udp', '127.0.0.1', port, '--hex');
  await pane.waitFor(/each line is one datagram\. Ctrl-D or Ctrl-C quits\.\n> $/);
  await pane.type('test');
  await pane.press('Enter');
  await pane.waitFor(/^0000 {2}68 65 6c 6c 6f 2c 20 74 {2}65 73 74 +\|hello, test\|\n> $/m);
  await pane.press('C-c');
  await pane.waitFor(/\[exit 0\]/);
});

test('term listen tcp at a terminal: what a board sends appears while a half-typed line stays put', async (t) => {
  const pane = await termPane(t, 'listen', 'tcp', '0', '--host', '127.0.0.1');
  const [, port] = await pane.waitFor(/listening on tcp 127\.0\.0\.1:(\d+)/);
  const board = connect({ host: '127.0.0.1', port: Number(port) });
  t.after(() => board.destroy());
  await once(board, 'connect');
  let received = '';
  board.setEncoding('utf8').on('data', (text: string) => (received += text));
  await pane.waitFor(/127\.0\.0\.1:\d+ connected\n> $/);

  await pane.type('half');
  await pane.waitFor(/> half$/);
  board.write('Button pressed\0');
  await pane.waitFor(/^Button pressed\n> half$/m);
  await pane.type(' typed');
  await pane.press('Enter');
  const deadline = Date.now() + 5000;
  while (!received.includes('\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(received, 'half typed\n');

  board.end();
  await pane.waitFor(/127\.0\.0\.1:\d+ disconnected\n> $/);
  await pane.press('C-d');
  await pane.waitFor(/\[exit 0\]/);
});

test('term at a terminal when nothing listens: one error line and exit 3', async (t) => {
  const server = startPicolink(['serve', 'echo', '--tcp', '0', '--host', '127.0.0.1']);
  const [, port] = await server.waitFor(/listening on tcp 127\.0\.0\.1:(\d+)/);
  await server.stop();
  const pane = await termPane(t, 'tcp', '127.0.0.1', port ?? '');
  await pane.waitFor(/^picolink: cannot connect to 127\.0\.0\.1:\d+: connection refused; is the server running and listening on that port\?\n\[exit 3\]$/m);
});
