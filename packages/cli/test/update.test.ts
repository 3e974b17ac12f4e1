// `picolink update` against a real `picolink device --sim --files-dir DIR` process: the
// files on "flash" are real files, the restart and the start-up check are the simulator's
// (a file containing "picolink-sim: fail-start" is code that fails to start).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPicolink } from './background-process.js';
import { runPicolink, startDeviceProcess } from './cli-process.js';
import { exitCode, startTestDemo } from './sim-fixtures.js';

interface Flash {
  /** The device's files (--files-dir). */
  files: string;
  /** A directory to update from. */
  source: string;
}

function tempDirs(t: { after(fn: () => unknown): void }): Flash {
  const root = mkdtempSync(join(tmpdir(), 'picolink-update-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dirs = { files: join(root, 'flash'), source: join(root, 'new') };
  mkdirSync(join(dirs.source, 'lib'), { recursive: true });
  return dirs;
}

test('update sends a directory, shows the steps on stderr and reports the files running after the restart', async (t) => {
  const dirs = tempDirs(t);
  const device = await startDeviceProcess(['--files-dir', dirs.files]);
  t.after(() => device.stop());
  writeFileSync(join(dirs.source, 'main.py'), 'print("v2")\n');
  writeFileSync(join(dirs.source, 'lib', 'util.py'), 'X = 2\n');
  writeFileSync(join(dirs.source, '.gitignore'), '*.bak\n');

  const result = await runPicolink(['update', device.url, dirs.source]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'update ok: lib/util.py, main.py running; version 0.1.0 (unchanged)\n');
  const steps = result.stderr.trimEnd().split('\n');
  assert.deepEqual(
    steps.map((line) => line.slice(0, 28)),
    ['[#######.............]  33% ', '[#############.......]  67% ', '[####################] 100% '],
  );
  assert.match(steps[0] ?? '', /2 files \(18 B\) read, SHA-256 computed$/);
  assert.match(steps[1] ?? '', /the device verified and installed 2 files; it restarts in \d+ ms$/);
  assert.match(steps[2] ?? '', /the device answered again after \d+\.\d s$/);
  assert.equal(readFileSync(join(dirs.files, 'main.py'), 'utf8'), 'print("v2")\n');
  assert.equal(readFileSync(join(dirs.files, 'lib', 'util.py'), 'utf8'), 'X = 2\n');
  assert.deepEqual(readdirSync(dirs.files).sort(), ['lib', 'main.py'], 'hidden files are not sent; no marker is left');
});

test('new code that fails to start is rolled back: exit 1, the old files are back', async (t) => {
  const dirs = tempDirs(t);
  const device = await startDeviceProcess(['--files-dir', dirs.files]);
  t.after(() => device.stop());
  writeFileSync(join(dirs.source, 'main.py'), 'print("v1")\n');
  assert.equal((await runPicolink(['update', device.url, dirs.source])).code, 0);
  writeFileSync(join(dirs.source, 'main.py'), '# picolink-sim: fail-start\n');

  const result = await runPicolink(['update', device.url, dirs.source, '--json']);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr, '', '--json: no progress bar');
  const outcome = JSON.parse(result.stdout) as Record<string, unknown>;
  assert.equal(outcome.status, 'rolled_back');
  assert.equal(outcome.version, '0.1.0');
  assert.deepEqual(outcome.files, [{ name: 'main.py', bytes: 27, sha256: createHash('sha256').update('# picolink-sim: fail-start\n').digest('hex') }]);
  assert.equal(readFileSync(join(dirs.files, 'main.py'), 'utf8'), 'print("v1")\n', 'the device runs the old file again');
});

test('a file that does not match --checksums stops the update before anything is sent', async (t) => {
  const dirs = tempDirs(t);
  const device = await startDeviceProcess(['--files-dir', dirs.files]);
  t.after(() => device.stop());
  writeFileSync(join(dirs.source, 'main.py'), 'print("tampered")\n');
  const sums = join(dirs.source, '..', 'SHA256SUMS');
  writeFileSync(sums, `${'ab'.repeat(32)}  main.py\n`);

  const result = await runPicolink(['update', device.url, dirs.source, '--checksums', sums]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^picolink: main\.py has SHA-256 [0-9a-f]{64}, .*SHA256SUMS says (ab){32}; nothing was sent\n$/);
  assert.equal(existsSync(dirs.files), false, 'the device wrote nothing');

  const missing = await runPicolink(['update', device.url, join(dirs.source, 'nope')]);
  assert.deepEqual([missing.code, missing.stderr], [2, `picolink: ${join(dirs.source, 'nope')} is not a directory; give the directory holding the files to install\n`]);
});

test('a device that does not come back after the update: exit 3 after --wait, naming the command to check it', async (t) => {
  const dirs = tempDirs(t);
  const device = await startDeviceProcess(['--files-dir', dirs.files]);
  t.after(() => device.stop());
  writeFileSync(join(dirs.source, 'main.py'), 'print("v2")\n');
  const update = startPicolink(['update', device.url, dirs.source, '--wait', '1500']);
  t.after(() => update.stop());
  await update.waitFor(/verified and installed 1 file/, 'stderr');
  await device.stop(); // the power goes during the restart
  await update.waitFor(/did not come back/, 'stderr', 15_000);
  assert.equal(await exitCode(update.child), 3);
  assert.match(update.stderr(), new RegExp(`picolink: the device did not come back within 1500 ms of its restart \\(last: .*\\); check it with picolink send ${device.url} -c action=get_info\n$`));
  assert.equal(update.stdout(), '');
});

test('update through the hub (hub://, token from PICOLINK_TOKEN) of a device that dials home', async (t) => {
  const demo = await startTestDemo(t);
  const dirs = tempDirs(t);
  writeFileSync(join(dirs.source, 'main.py'), 'print("v2")\n');
  const result = await runPicolink(['update', demo.hubUrl('pico-garage'), dirs.source], { env: { PICOLINK_TOKEN: demo.token ?? '' }, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'update ok: main.py running; version 0.1.0 (unchanged)\n');
  assert.match(result.stderr, /the device answered again after/);
});
