/**
 * Starts squatters.ts in a child process (so its sockets' churn is not on the server's
 * event loop) and talks to it over IPC. Used by the slot tests of the device and the hub
 * gateway, and by `npm run bench -- slots` (`@picolink/test-kit/squatter-process`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SquatterStats {
  /** Idle connections open now. */
  open: number;
  /** Connections opened so far, re-opens included. */
  opened: number;
  /** Connection attempts that failed. */
  failed: number;
}

export class SquatterProcess {
  private constructor(private readonly child: ChildProcess) {}

  /**
   * Starts holding `count` idle connections against 127.0.0.1:`port`; resolves once
   * `count` connections have been opened (re-opening goes on), or rejects after `timeoutMs`.
   */
  static async start(port: number, count: number, timeoutMs = 20_000): Promise<SquatterProcess> {
    const script = fileURLToPath(new URL('./squatters.js', import.meta.url));
    // Its open-file limit raised to the hard limit first (`ulimit -n` is a shell builtin), for thousands of sockets.
    const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'bash', process.execPath, script, String(port), String(count)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const squatters = new SquatterProcess(child);
    try {
      await squatters.message('holding', timeoutMs);
    } catch (err) {
      squatters.stop();
      throw err;
    }
    return squatters;
  }

  async stats(timeoutMs = 5000): Promise<SquatterStats> {
    const reply = this.message('stats', timeoutMs);
    this.child.send({ type: 'stats' });
    return reply;
  }

  stop(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    timer.unref();
    this.child.once('exit', () => clearTimeout(timer));
  }

  private message(type: string, timeoutMs: number): Promise<SquatterStats> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`the squatter process sent no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: SquatterStats & { type: string }): void => {
        if (message.type !== type) return;
        done();
        resolve({ open: message.open, opened: message.opened, failed: message.failed });
      };
      const onExit = (code: number | null): void => {
        done();
        reject(new Error(`the squatter process exited (${code ?? 'signal'})`));
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }
}
