/**
 * A `picolink` process left running in the background (serve, term listen): its output
 * is collected as it comes, the test waits for lines, writes to its stdin, and stops it
 * with SIGTERM.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { CLI_MAIN } from './cli-process.js';

export interface BackgroundPicolink {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Waits until stdout (or stderr) matches; returns the match. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Where the process runs; `executable`: an installed `picolink` instead of this checkout's. */
export interface StartOptions {
  executable?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function startPicolink(args: readonly string[], options: StartOptions = {}): BackgroundPicolink {
  const { executable, cwd, env } = options;
  const child = executable ? spawn(executable, args, { cwd, env }) : spawn(process.execPath, [CLI_MAIN, ...args], { cwd, env });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out.stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (out.stderr += text));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exited.then(() => clearTimeout(killer));
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    async waitFor(pattern, stream = 'stdout', timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(out[stream]);
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`picolink ${args.join(' ')} exited with ${child.exitCode} before printing ${pattern}; stderr: ${out.stderr}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} on ${stream} within ${timeoutMs} ms; stdout: ${out.stdout} stderr: ${out.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}
