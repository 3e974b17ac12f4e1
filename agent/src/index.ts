/**
 * Where the agent's files are, for `picolink agent bundle` and the tests. The `.py` files
 * in this package are the single source of truth: nothing copies them at build time.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package directory: main.py, picolink/, config.json (compiled code is in dist/src). */
export const AGENT_DIR = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The files that go on the board, as paths relative to its root with `/` separators:
 * `main.py` and every `picolink/*.py`, sorted.
 */
export function agentFiles(): string[] {
  const modules = readdirSync(join(AGENT_DIR, 'picolink'))
    .filter((name) => name.endsWith('.py'))
    .sort()
    .map((name) => `picolink/${name}`);
  return ['main.py', ...modules];
}

/** Absolute path of one of {@link agentFiles}. */
export function agentFilePath(relative: string): string {
  return join(AGENT_DIR, ...relative.split('/'));
}

export { agentConfig, AGENT_TELEMETRY_INTERVAL_MS, AGENT_TELEMETRY_SENSORS } from './config.js';
export type { AgentConfig, AgentConfigOptions } from './config.js';
