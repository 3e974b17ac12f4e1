/**
 * Log lines that a peer can trigger at will (refused hellos, bad frames, floods) go
 * through a per-kind budget, so a misbehaving device cannot flood the hub's log. When a
 * window with suppressed lines ends, the next line of that kind is preceded by a count
 * of what was dropped. No timers: nothing keeps the process alive.
 */
export type LogSink = (line: string) => void;

export interface LimitedLogOptions {
  /** Lines of one kind let through per window. Default 20. */
  linesPerWindow?: number;
  /** Window length, ms. Default 10000. */
  windowMs?: number;
}

interface KindWindow {
  start: number;
  count: number;
  suppressed: number;
}

/** Most kinds tracked at once; kinds are fixed words, so this is a safety net only. */
const MAX_KINDS = 256;

export class LimitedLog {
  private readonly windows = new Map<string, KindWindow>();
  private readonly linesPerWindow: number;
  private readonly windowMs: number;

  constructor(
    private readonly sink: LogSink,
    options: LimitedLogOptions = {},
  ) {
    this.linesPerWindow = options.linesPerWindow ?? 20;
    this.windowMs = options.windowMs ?? 10_000;
  }

  /** A line that cannot be triggered in bulk from outside. */
  always(line: string): void {
    this.sink(line);
  }

  /** A line of `kind`, unless that kind has used its budget in this window. */
  limited(kind: string, line: string): void {
    const now = Date.now();
    let window = this.windows.get(kind);
    if (!window || now - window.start >= this.windowMs) {
      if (window && window.suppressed > 0) this.sink(`(${window.suppressed} more "${kind}" lines suppressed)`);
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
