/**
 * The computer side of the examples' tests: the real `picolink` command (serve, term) in
 * child processes, exactly as the READMEs tell a person to run it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI_MAIN = join(dirname(fileURLToPath(import.meta.resolve('@picolink/cli'))), 'main.js');

export interface PicolinkProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Waits until the stream matches `pattern`; returns the match. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code when the process ends by itself. */
  exited(): Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export function startPicolink(args: readonly string[]): PicolinkProcess {
  const child = spawn(process.execPath, [CLI_MAIN, ...args]);
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out.stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (out.stderr += text));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exit.then(() => clearTimeout(killer));
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    async waitFor(pattern, stream = 'stdout', timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(out[stream]);
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`picolink ${args.join(' ')} exited (${child.exitCode}) before printing ${pattern}: ${out.stderr}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} on ${stream} within ${timeoutMs} ms; stdout: ${out.stdout}; stderr: ${out.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    exited: () => exit,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}

/** `picolink serve ...` on 127.0.0.1; resolves with the port it listens on once it does. */
export async function startServe(args: readonly string[]): Promise<{ server: PicolinkProcess; port: number }> {
  const server = startPicolink(['serve', ...args, '--host', '127.0.0.1']);
  const [, port] = await server.waitFor(/listening on (?:tcp|udp) 127\.0\.0\.1:(\d+)/);
  return { server, port: Number(port) };
}

/** Runs a `picolink` command to its end. */
export async function runPicolink(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startPicolink(args);
  const code = await run.exited();
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
