// Runs every compiled test file (packages/*/dist/**/*.test.js and examples/dist/**/*.test.js)
// with Node's test runner.
// Usage: node scripts/run-tests.mjs [substring ...] — only files whose path contains one of the substrings.
import { readdirSync, statSync } from 'node:fs';
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

const filters = process.argv.slice(2);
const files = [...readdirSync('packages').map((pkg) => join('packages', pkg, 'dist')), join('examples', 'dist'), join('agent', 'dist')]
  .filter((dist) => { try { return statSync(dist).isDirectory(); } catch { return false; } })
  .flatMap((dist) => findTests(dist, []))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

if (files.length === 0) {
  console.error('no test files found; run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
