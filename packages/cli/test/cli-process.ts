/** Runs the real `picolink` executable in a child process, as a person would. */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI_MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after `timeoutMs`). */
export async function runPicolink(args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface BackgroundDevice {
  url: string;
  port: number;
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  /** Stops it with SIGTERM and resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `picolink device --sim --json ...` and waits for the line naming its address. */
export async function startDeviceProcess(extraArgs: readonly string[] = []): Promise<BackgroundDevice> {
  const child = spawn(process.execPath, [CLI_MAIN, 'device', '--sim', '--host', '127.0.0.1', '--port', '0', '--json', ...extraArgs]);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`device did not start: ${stderr}`)), 15_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`device exited with ${code}: ${stderr}`));
    });
  });
  const info = JSON.parse(first) as { url: string; port: number };
  return {
    url: info.url,
    port: info.port,
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

/** One line, no stack trace: what a person sees on an error. */
export function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0] ?? '', /^picolink: /);
  assert.match(stderr, pattern);
  assert.doesNotMatch(stderr, /\n\s+at /);
}
