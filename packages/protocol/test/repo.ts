/**
 * Locating the repository from a compiled test file, for tests that read files shared by
 * the whole repository (test-vectors/, docs/, every package's sources).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above `fromUrl` holding `packages/` and `docs/`. */
export function findRepoRoot(fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (existsSync(join(dir, 'packages')) && existsSync(join(dir, 'docs'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${fromUrl}`);
    dir = parent;
  }
}

/**
 * Every `.ts` file under each `packages/<name>/src`, skipping build output and dependencies,
 * and the test kit, whose `src` is test code (its fuzzer writes made-up codes on purpose).
 */
export function packageSourceFiles(root: string): string[] {
  const files: string[] = [];
  const packages = join(root, 'packages');
  for (const name of readdirSync(packages).sort()) {
    if (name === 'test-kit') continue;
    const src = join(packages, name, 'src');
    if (existsSync(src) && statSync(src).isDirectory()) collectTs(src, files);
  }
  return files;
}

function collectTs(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'dist' || name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collectTs(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
}
