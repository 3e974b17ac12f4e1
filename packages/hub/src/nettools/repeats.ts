/**
 * Repeated sends of one session: each a bounded count at a bounded interval, run by the
 * hub's timers; the first send happens at once. A send that fails (the peer went away)
 * ends its repeat. Stop and close cancel them all.
 */
import { randomBytes } from 'node:crypto';

interface Running {
  remaining: number;
  timer: NodeJS.Timeout;
}

export class Repeats {
  private readonly running = new Map<string, Running>();

  /** @param onChange called when a repeat starts, sends or ends (for the session's description) */
  constructor(private readonly onChange: () => void) {}

  get list(): Array<{ id: string; remaining: number }> {
    return [...this.running].map(([id, run]) => ({ id, remaining: run.remaining }));
  }

  /**
   * Runs `send` `count` times, `intervalMs` apart (the first now, by the caller). Returns
   * the repeat's id. `send` throwing ends the repeat and is reported to `onError`.
   */
  start(count: number, intervalMs: number, send: () => void, onError: (err: unknown) => void): string {
    const id = randomBytes(6).toString('hex');
    const run: Running = {
      remaining: count - 1,
      timer: setInterval(() => {
        try {
          send();
        } catch (err) {
          this.cancel(id);
          onError(err);
          return;
        }
        run.remaining -= 1;
        if (run.remaining <= 0) this.cancel(id);
        else this.onChange();
      }, intervalMs),
    };
    if (run.remaining <= 0) {
      clearInterval(run.timer);
      return id;
    }
    this.running.set(id, run);
    this.onChange();
    return id;
  }

  /** Stops one repeat; false when it is not running. */
  cancel(id: string): boolean {
    const run = this.running.get(id);
    if (!run) return false;
    clearInterval(run.timer);
    this.running.delete(id);
    this.onChange();
    return true;
  }

  cancelAll(): void {
    for (const id of [...this.running.keys()]) this.cancel(id);
  }
}
