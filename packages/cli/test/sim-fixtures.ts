/** What the sim, watch and update tests share: an in-process demo hub, and waiting for a child to exit by itself. */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo } from '../src/commands/start-demo.js';
import type { RunningDemo } from '../src/commands/start-demo.js';

/** `picolink demo` in this process on free ports, with a temp data directory; stopped when the test ends. */
export async function startTestDemo(t: { after(fn: () => unknown): void }): Promise<RunningDemo & { hubUrl(deviceId: string): string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'picolink-sim-demo-'));
  const demo = await startDemo({ port: 0, dataDir });
  t.after(async () => {
    await demo.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return Object.assign(demo, { hubUrl: (deviceId: string) => `hub://${demo.url.slice('http://'.length)}/devices/${deviceId}` });
}

/** The exit code of a process that ends by itself. */
export async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}
