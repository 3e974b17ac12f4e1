/** What the `picolink agent bundle` tests share: temporary directories, its --json shape, a config for loopback. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `picolink agent bundle --json`. */
export interface BundleResult {
  dir: string;
  files: string[];
  compiled: string[];
  mpy_cross?: string;
  device_id: string;
  port: number;
  token: string;
  fingerprint?: string;
  telemetry_key?: string;
  copy: string;
}

/** A new empty directory, removed when the test ends. */
export async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-bundle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Rewrites a bundle's config.json for this machine, which is not a Pico W on WiFi: listen on
 * loopback at `port`, no status LED, plus `extra`.
 */
export async function useLoopback(dir: string, port: number, extra: Record<string, unknown> = {}): Promise<void> {
  const path = join(dir, 'config.json');
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  await writeFile(path, JSON.stringify({ ...config, host: '127.0.0.1', port, status_led: false, ...extra }));
}
