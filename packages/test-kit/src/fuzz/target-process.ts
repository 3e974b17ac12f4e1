/**
 * A fuzz target in its own child process, so that an input that kills it is seen as a
 * death (exit code or signal, and the last of its stderr: the stack trace) rather than
 * taking the fuzzer down with it. The child reports its ports over IPC once it is ready.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

const STDERR_KEPT = 8192;
/** Lines of stderr that report an internal error (a bug reached by input, even when contained). */
const INTERNAL_ERROR = /internal error|PL_ERR_INTERNAL/i;
const INTERNAL_ERRORS_KEPT = 20;
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 3_000;

export class TargetProcess {
  /** Set when the process has exited: how, and the end of its stderr. */
  death: string | undefined;
  /** Resolves when the process exits, with {@link death}. */
  readonly exited: Promise<string>;
  private stopping = false;

  private constructor(
    readonly child: ChildProcess,
    /** What the child sent when ready (its ports and the like). */
    readonly info: Record<string, unknown>,
    exited: Promise<string>,
    /** Internal errors the process logged on stderr (the first INTERNAL_ERRORS_KEPT). */
    readonly internalErrors: readonly string[],
  ) {
    this.exited = exited;
  }

  /** Runs `node script ...args` and waits for its first IPC message. */
  static start(script: string, args: readonly string[] = []): Promise<TargetProcess> {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let partial = '';
    const internalErrors: string[] = [];
    let target: TargetProcess | undefined;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEPT);
      const lines = (partial + text).split('\n');
      partial = (lines.pop() ?? '').slice(-STDERR_KEPT);
      for (const line of lines) if (INTERNAL_ERROR.test(line) && internalErrors.length < INTERNAL_ERRORS_KEPT) internalErrors.push(line.slice(0, 500));
    });
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => {
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        const death = `${how}${stderr.trim() ? `: ${crashSummary(stderr)}` : ''}`;
        if (target) target.death = target.stopping ? undefined : death;
        resolve(death);
      });
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${script} did not report ready within ${READY_TIMEOUT_MS} ms; stderr: ${stderr}`));
      }, READY_TIMEOUT_MS);
      child.once('message', (message: Record<string, unknown>) => {
        clearTimeout(timer);
        target = new TargetProcess(child, message, exited, internalErrors);
        resolve(target);
      });
      void exited.then((death) => {
        clearTimeout(timer);
        reject(new Error(`${script} ${death} before it was ready`));
      });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The port the child reported under `name`. */
  port(name: string): number {
    const port = this.info[name];
    if (typeof port !== 'number') throw new Error(`the target did not report "${name}": ${JSON.stringify(this.info)}`);
    return port;
  }

  /** Stops it (SIGTERM, then SIGKILL); a stop is not a death. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.stopping = true;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * What killed the process, from the end of its stderr: the last error line Node printed
 * (e.g. "URIError: URI malformed") and the stack frames after it; log lines before it
 * are left out.
 */
export function crashSummary(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^(\w*Error|Error)\b.*:/.test(lines[i] ?? '')) return lines.slice(i, i + 4).map((line) => line.trim()).join(' | ');
  }
  return lines.slice(-4).join(' | ');
}
