/**
 * The progress bar of `picolink update`, on stderr: one bar over the steps of an update
 * (read and hash, send, restart, back). On a terminal it is redrawn in place; otherwise
 * (a pipe, a log file, a test) each step is one line.
 */
import type { Output } from '../output.js';

const WIDTH = 20;

export class UpdateProgress {
  private drawn = false;

  /**
   * @param io where the bar is written (stderr)
   * @param steps how many steps make the full bar
   * @param redraw redraw one line in place (a terminal) instead of one line per step
   */
  constructor(
    private readonly io: Output,
    private readonly steps: number,
    private readonly redraw: boolean,
  ) {}

  /**
   * Shows the bar at `done` (a fraction allowed) of the steps, with what is happening. A
   * `transient` message (a step under way) is shown only when the bar is redrawn in place.
   */
  show(done: number, text: string, transient = false): void {
    if (transient && !this.redraw) return;
    const filled = Math.round((Math.min(done, this.steps) / this.steps) * WIDTH);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.round((done / this.steps) * 100)).padStart(3)}% ${text}`;
    if (this.redraw) {
      this.io.err(`\r\x1b[K${line}`);
      this.drawn = true;
    } else {
      this.io.err(line + '\n');
    }
  }

  /** Ends a bar drawn in place, so what follows starts on its own line. */
  end(): void {
    if (this.drawn) this.io.err('\n');
    this.drawn = false;
  }
}
