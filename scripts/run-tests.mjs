// Runs every compiled test file (packages/*/dist/**/*.test.js, examples/dist/**/*.test.js and
// agent/dist/**/*.test.js) with Node's test runner.
// Usage: node scripts/run-tests.mjs [--unixport] [substring ...]
// - Files named *.unixport.test.js need the real MicroPython interpreters (the unix port,
//   agent/README.md "Tests"): plain runs leave them out, so `npm test` needs nothing
//   installed; --unixport (`npm run test:micropython`) runs only them, and first checks that
//   PICOLINK_MICROPYTHON and PICOLINK_MICROPYTHON_32 name the interpreters.
// - substrings: only files whose path contains one of them.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const unixport = args.includes('--unixport');
const filters = args.filter((arg) => arg !== '--unixport');

if (unixport) {
  const problems = ['PICOLINK_MICROPYTHON', 'PICOLINK_MICROPYTHON_32'].flatMap((name) => {
    const path = process.env[name];
    if (!path) return [`${name} is not set`];
    return existsSync(path) ? [] : [`${name}=${path} does not exist`];
  });
  if (problems.length > 0) {
    console.error(`${problems.join('; ')}: point them at MicroPython unix-port interpreters (agent/README.md, "Tests")`);
    process.exit(1);
  }
}

const files = [...readdirSync('packages').map((pkg) => join('packages', pkg, 'dist')), join('examples', 'dist'), join('agent', 'dist')]
  .filter((dist) => { try { return statSync(dist).isDirectory(); } catch { return false; } })
  .flatMap((dist) => findTests(dist, []))
  .filter((file) => file.endsWith('.unixport.test.js') === unixport)
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

if (files.length === 0) {
  const hint = unixport ? '' : ' (files named *.unixport.test.js run with --unixport)';
  console.error(filters.length > 0 ? `no test files match ${filters.join(', ')}${hint}` : 'no test files found; run `npm run build` first');
  process.exit(1);
}
// On the real interpreters a test file that waits on a process that hangs ends after ten
// minutes, not never (Node applies the timeout to each file as a whole).
const timeout = unixport ? ['--test-timeout=600000'] : [];
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...timeout, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
