/**
 * Tutorial E with picolink replacing the Processing GUI on the computer: `term listen tcp`
 * for the board as client, `term tcp` for the board as server, and `serve echo` as a
 * server that echoes.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { runPicolink, startPicolink, startServe } from '../support/picolink-cli.js';
import { runFreenoveClient } from './device-tcp-client.js';
import { startFreenoveServer } from './device-tcp-server.js';

test('board as TCP client: it greets picolink term listen and echoes each typed line', async (t) => {
  const term = startPicolink(['term', 'listen', 'tcp', '0', '--host', '127.0.0.1']);
  t.after(() => term.stop());
  const [, port] = await term.waitFor(/listening on tcp 127\.0\.0\.1:(\d+)/, 'stderr');
  const lines: string[] = [];
  const stop = new AbortController();
  const board = runFreenoveClient({ host: '127.0.0.1', port: Number(port), log: (line) => lines.push(line), signal: stop.signal });
  await term.waitFor(/^Hello, I am the Pico W$/m);
  term.child.stdin.write('red LED on\n');
  await term.waitFor(/^red LED on$/m);
  assert.ok(lines.includes('received: red LED on\n'), lines.join(' | '));
  stop.abort();
  assert.equal(await board, 1);
  await term.waitFor(/127\.0\.0\.1:\d+ disconnected/, 'stderr');
});

test('board as TCP client to a computer server that echoes: the greeting comes back', async (t) => {
  const { server, port } = await startServe(['echo', '--tcp', '0']);
  t.after(() => server.stop());
  const lines: string[] = [];
  // The board echoes too, so the greeting goes round; it stops after three rounds.
  const echoed = await runFreenoveClient({ host: '127.0.0.1', port, greeting: 'ping', maxMessages: 3, log: (line) => lines.push(line) });
  assert.equal(echoed, 3);
  assert.deepEqual(lines.filter((l) => l.startsWith('received')), ['received: ping', 'received: ping', 'received: ping']);
  await server.waitFor(/disconnected after [34] messages/);
});

test('board as TCP server: picolink term sends a line and prints the echo', async (t) => {
  const lines: string[] = [];
  const board = await startFreenoveServer({ port: 0, host: '127.0.0.1', log: (line) => lines.push(line) });
  t.after(() => board.close());
  assert.equal(lines[0], `server address: 127.0.0.1, port: ${board.port}`);
  const result = await runPicolink(['term', 'tcp', '127.0.0.1', String(board.port), '--send', 'hello pico', '--wait', '300']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'hello pico\n');
  assert.ok(lines.includes('received: hello pico\n'));
});
