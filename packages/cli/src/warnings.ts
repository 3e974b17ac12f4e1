/**
 * Process warnings while a command runs. The SDK reports problems not tied to a request
 * (an unreadable frame) as `PicolinkWarning`s; Node would print each as three lines with
 * a `--trace-warnings` hint. The CLI keeps them until the command ends: if the command
 * failed, they may explain why (explain.ts), else each is said in one line.
 */
import type { Output } from './output.js';

export class WarningLog {
  private seen: Error[] = [];
  private io: Output | undefined;
  private readonly onWarning = (warning: Error): void => {
    if (warning.name === 'PicolinkWarning') this.seen.push(warning);
    else this.io?.err(`picolink: warning: ${warning.message}\n`);
  };

  /** Starts listening; warnings other than PicolinkWarnings go to `io` at once. */
  start(io: Output): void {
    this.io = io;
    process.on('warning', this.onWarning);
  }

  stop(): void {
    process.off('warning', this.onWarning);
  }

  /** The PicolinkWarnings so far, forgotten here; waits a turn, as Node emits warnings on the next tick. */
  async take(): Promise<Error[]> {
    await new Promise((resolve) => setImmediate(resolve));
    const seen = this.seen;
    this.seen = [];
    return seen;
  }

  /** Says each warning in one line. */
  static say(io: Output, warnings: readonly Error[]): void {
    for (const warning of warnings) io.err(`picolink: warning: ${warning.message}\n`);
  }
}
