import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every example program: the compiled files beside the tests that start with `if (isMain(`. */
const examplesDist = join(dirname(fileURLToPath(import.meta.url)), '..');
const programs = readdirSync(examplesDist, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'support')
  .flatMap((dir) => readdirSync(join(examplesDist, dir.name)).map((name) => join(examplesDist, dir.name, name)))
  .filter((file) => file.endsWith('.js') && !file.endsWith('.test.js') && readFileSync(file, 'utf8').includes('if (isMain(import.meta.url))'));

function run(file: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('every example program answers --help with its options and exit 0', () => {
  assert.ok(programs.length >= 8, `found only ${programs.length} example programs`);
  for (const file of programs) {
    const { status, stdout, stderr } = run(file, ['--help']);
    assert.equal(status, 0, `${file} --help: exit ${status}, stderr ${stderr}`);
    assert.match(stdout, /^usage: node \S+\.js .*--port VALUE/m, file);
    assert.equal(stderr, '', file);
  }
});

test('an unknown option or a bad number is one line naming the program, exit 2, no stack trace', () => {
  for (const file of programs) {
    const unknown = run(file, ['--colour', 'red']);
    assert.equal(unknown.status, 2, `${file}: exit ${unknown.status}`);
    assert.match(unknown.stderr, /^\S+\.js: Unknown option '--colour'.*\(--help lists the options\)\n$/, file);
    const badNumber = run(file, ['--host', '127.0.0.1', '--port', 'many']);
    assert.equal(badNumber.status, 2, `${file}: exit ${badNumber.status}`);
    assert.equal(badNumber.stderr, `${file.split('/').pop()}: expected a whole number, got "many"\n`, file);
  }
});
