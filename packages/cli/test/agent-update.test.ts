// `picolink update` and `picolink sim input` against the real MicroPython agent files (run
// under CPython by the test kit's Board, which restarts like a Pico W after machine.reset()):
// a new version reported after the restart, a rollback of code that fails to start, and
// the simulator-only action refused as a real agent refuses it.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Board } from '@picolink/test-kit/board';
import { runPicolink } from './cli-process.js';

function sourceDir(t: { after(fn: () => unknown): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'picolink-agent-update-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

test('update of the agent: the restarted agent reports its new version', async (t) => {
  const board = await Board.start(t, 'cpython');
  const actions = (await board.file('picolink/actions.py')) ?? assert.fail('no actions.py');
  assert.match(actions, /^VERSION = '0\.1\.0'$/m);
  const dir = sourceDir(t, { 'picolink/actions.py': actions.replace(/^VERSION = '0\.1\.0'$/m, "VERSION = '0.1.1'") });

  const result = await runPicolink(['update', board.url, dir], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'update ok: picolink/actions.py running; version 0.1.1 (was 0.1.0)\n');
  assert.deepEqual(board.exits, [3], 'the agent restarted through machine.reset()');
});

test('update of the agent with code that fails to start: the rollback is reported, exit 1', async (t) => {
  const board = await Board.start(t, 'cpython');
  const original = await board.file('picolink/app.py');
  const dir = sourceDir(t, { 'picolink/app.py': 'raise RuntimeError("this update does not start")\n' });

  const result = await runPicolink(['update', board.url, dir], { timeoutMs: 30_000 });
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stdout, 'update rolled back: the new files (picolink/app.py) failed to start; the device put the old ones back and runs version 0.1.0\n');
  assert.equal(await board.file('picolink/app.py'), original);
});

test('sim input to a real agent: it has no simulated pins, exit 1', async (t) => {
  const board = await Board.start(t, 'cpython');
  const result = await runPicolink(['sim', 'input', board.url, '15', '0']);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `picolink: ${board.url} has no simulated pins: sim input drives only a simulated device (picolink device --sim) (PL_ERR_UNKNOWN_ACTION)\n`);
});

test('an update larger than the agent can read in one frame: one line saying what to do, nothing replaced', async (t) => {
  const board = await Board.start(t, 'cpython');
  const dir = sourceDir(t, { 'picolink/big.py': 'x = 1\n'.repeat(3000) });
  const result = await runPicolink(['update', board.url, dir, '--json']);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, 'picolink: the device refused the update as larger than its frame limit (18.0 kB in 1 file); update fewer files at a time, or add --compress\n');
  assert.equal(await board.file('picolink/big.py'), undefined);
});
