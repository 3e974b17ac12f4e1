/**
 * A real terminal for tests of interactive commands: a detached tmux session on a private
 * socket (so it never touches a user's tmux), driven with send-keys and read with
 * capture-pane. The command runs under `sh -c` and prints `[exit N]` when it ends.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export class TmuxPane {
  private constructor(
    private readonly socket: string,
    private readonly dir: string,
  ) {}

  /** Starts `argv` in a new detached session of `width` x `height` cells. */
  static async start(argv: readonly string[], width = 120, height = 30): Promise<TmuxPane> {
    const dir = await mkdtemp(join(tmpdir(), 'picolink-tmux-'));
    const pane = new TmuxPane(join(dir, 'socket'), dir);
    // The pane stays open after the command ends, long enough to read its exit status.
    const script = `${argv.map(shellQuote).join(' ')}; echo "[exit $?]"; sleep 60`;
    try {
      await pane.tmux('new-session', '-d', '-x', String(width), '-y', String(height), script);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(missing ? 'these tests need tmux (Debian package "tmux"; .ci/run installs it)' : String(err));
    }
    return pane;
  }

  /** Types text literally (no key names). */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-l', text);
  }

  /** Presses keys by tmux name: Enter, C-d, C-c. */
  async press(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', ...keys);
  }

  /** The visible screen, wrapped lines joined, trailing blank lines dropped. */
  async screen(): Promise<string> {
    const { stdout } = await this.tmux('capture-pane', '-p', '-J');
    return stdout.replace(/\n+$/, '');
  }

  /** Waits until the screen matches; returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen();
      const match = pattern.exec(screen);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`the terminal did not show ${pattern} within ${timeoutMs} ms; it shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Ends the session and its tmux server (ours alone: it has its own socket). */
  async close(): Promise<void> {
    await this.tmux('kill-server').catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }

  private tmux(...args: string[]): Promise<{ stdout: string }> {
    return run('tmux', ['-S', this.socket, ...args], { env: { ...process.env, TERM: 'xterm-256color' }, timeout: 10_000 });
  }
}
