/**
 * Logging shared by the device runtime and the hub: one line per event, handed to a
 * caller-supplied sink. Events a peer can trigger at will (connects, refused clients or
 * hellos, bad frames, bad telemetry) go through a per-kind rate limit so a flood cannot
 * flood the log. No I/O and no timers here: the sink decides where lines go.
 */

/** Receives one log line (no trailing newline). */
export type LogSink = (line: string) => void;

/** A sink that drops everything: the library default. */
export const silentLog: LogSink = () => {};

export interface RateLimitedLogOptions {
  /** Lines of one kind let through per window. Default 20. */
  linesPerWindow?: number;
  /** Length of the window in ms. Default 10000. */
  windowMs?: number;
  /** Clock in ms; injectable for tests. Default Date.now. */
  now?: () => number;
}

/** Most kinds tracked at once; kinds are fixed words, so this is a safety net only. */
const MAX_KINDS = 256;

interface KindWindow {
  start: number;
  count: number;
  suppressed: number;
}

/**
 * Lets at most `linesPerWindow` lines of each kind through per window. When a window
 * with suppressed lines is over, the next line of that kind is preceded by a count of
 * what was dropped. No timers: nothing keeps the process alive.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, KindWindow>();
  private readonly linesPerWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(
    private readonly sink: LogSink,
    options: RateLimitedLogOptions = {},
  ) {
    this.linesPerWindow = options.linesPerWindow ?? 20;
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Logs a line that cannot be triggered in bulk from outside. */
  always(line: string): void {
    this.sink(line);
  }

  /** Logs a line of `kind`, unless that kind is over its budget for this window. */
  limited(kind: string, line: string): void {
    const now = this.now();
    let window = this.windows.get(kind);
    if (!window || now - window.start >= this.windowMs) {
      if (window && window.suppressed > 0) {
        this.sink(`(${window.suppressed} more "${kind}" lines suppressed)`);
      }
      if (!window && this.windows.size >= MAX_KINDS) this.windows.clear();
      window = { start: now, count: 0, suppressed: 0 };
      this.windows.set(kind, window);
    }
    if (window.count < this.linesPerWindow) {
      window.count += 1;
      this.sink(line);
    } else {
      window.suppressed += 1;
    }
  }
}
