/**
 * What the session benchmarks (bench/sessions.ts, bench/cluster-sessions.ts) share: a
 * child process spoken to over IPC with its open-file limit raised to the hard limit
 * (`ulimit -n` in a bash wrapper), the hard limit itself, and how figures are printed.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How long a child may take to answer during setup, ms. */
export const SETUP_LIMIT_MS = 90_000;

export type Message = Record<string, unknown> & { type: string };

/** Heap (JS heap, external, array buffers) and RSS of a process, bytes. */
export interface Memory {
  heap: number;
  rss: number;
}

/** A child process spoken to over IPC, its open-file limit raised first. */
export class Child {
  private readonly inbox: Message[] = [];
  private waiters: Array<{ type: string; resolve: (m: Message) => void; reject: (e: Error) => void }> = [];
  private exited = false;
  readonly process: ChildProcess;

  /** `script` is resolved against this folder (bench/dist). */
  constructor(script: string, args: string[], nodeFlags: string[] = []) {
    const file = fileURLToPath(new URL(script, import.meta.url));
    this.process = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'bash', process.execPath, ...nodeFlags, file, ...args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process.on('message', (message: Message) => {
      const waiter = this.waiters.find((w) => w.type === message.type);
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      } else {
        this.inbox.push(message);
      }
    });
    this.process.once('exit', (code) => {
      this.exited = true;
      for (const waiter of this.waiters) waiter.reject(new Error(`${script} exited with ${code}`));
      this.waiters = [];
    });
  }

  next(type: string, timeoutMs = SETUP_LIMIT_MS): Promise<Message> {
    const index = this.inbox.findIndex((m) => m.type === type);
    if (index !== -1) return Promise.resolve(this.inbox.splice(index, 1)[0] as Message);
    if (this.exited) return Promise.reject(new Error('the process has exited'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  ask(message: Message, timeoutMs?: number): Promise<Message> {
    this.process.send(message);
    return this.next(message.type, timeoutMs);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.send({ type: 'stop' });
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** `ulimit -Hn`: how many sockets one process may hold at most. */
export function hardFileLimit(): number {
  try {
    const text = execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    return text === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(text);
  } catch {
    return 1024;
  }
}

/**
 * PICOLINK_BENCH_SESSIONS (default `fallback`), lowered to what `perProcess` sockets per
 * process allow under the hard open-file limit, saying so.
 */
export function sessionCount(fallback: number, perProcess: (sessions: number) => number = (n) => n): number {
  const sessions = Number(process.env.PICOLINK_BENCH_SESSIONS ?? fallback);
  const limit = hardFileLimit();
  if (limit >= perProcess(sessions) + 200) return sessions;
  let fewer = sessions;
  while (fewer > 100 && perProcess(fewer) + 200 > limit) fewer -= 100;
  console.log(`the open-file hard limit is ${limit}; running ${fewer} sessions instead of ${sessions} (raise it, e.g. in /etc/security/limits.conf, for the full count)`);
  return fewer;
}

/** Rows of cells printed as aligned columns. */
export function printTable(rows: readonly (readonly string[])[]): void {
  const columns = Math.max(...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0)));
  for (const row of rows) console.log(row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ').trimEnd());
}

export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(2)} KB`;
}

export function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** The middle of a list of numbers (the upper middle for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
