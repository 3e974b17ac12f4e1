/**
 * Budgets for events a peer can trigger at will (connects, refused clients, bad frames,
 * datagrams): at most `perWindow` of one kind per window; when a window with dropped
 * events is over, one report says how many were dropped. A flood then costs a few log
 * lines, not one per packet.
 */

/** Receives one log line (no trailing newline). */
export type LogSink = (line: string) => void;

/** A sink that drops everything: the library default. */
export const silentLog: LogSink = () => {};

export interface KindBudgetOptions {
  /** Events of one kind let through per window. Default 20. */
  perWindow?: number;
  /** Length of the window in ms. Default 10000. */
  windowMs?: number;
  /** Clock in ms; injectable for tests. Default Date.now. */
  now?: () => number;
  /**
   * Also report a window's dropped count when it ends with no event of that kind after
   * it (an unref'd timer, so it never keeps the process alive). Default false: the count
   * is reported just before the next event of that kind.
   */
  reportWhenIdle?: boolean;
}

/** Most kinds tracked at once; kinds are fixed words, so this is a safety net only. */
const MAX_KINDS = 256;

interface KindWindow {
  start: number;
  count: number;
  suppressed: number;
}

/** Counts events per kind and window; `onSuppressed` hears how many were dropped. */
export class KindBudget {
  private readonly windows = new Map<string, KindWindow>();
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly reportWhenIdle: boolean;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onSuppressed: (kind: string, count: number) => void,
    options: KindBudgetOptions = {},
  ) {
    this.perWindow = options.perWindow ?? 20;
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.reportWhenIdle = options.reportWhenIdle ?? false;
  }

  /** True when an event of `kind` may go through now. */
  allow(kind: string): boolean {
    const now = this.now();
    let window = this.windows.get(kind);
    if (!window || now - window.start >= this.windowMs) {
      if (window) this.report(kind, window);
      if (!window && this.windows.size >= MAX_KINDS) this.windows.clear();
      window = { start: now, count: 0, suppressed: 0 };
      this.windows.set(kind, window);
    }
    if (window.count < this.perWindow) {
      window.count += 1;
      return true;
    }
    window.suppressed += 1;
    if (this.reportWhenIdle) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.windowMs).unref();
    }
    return false;
  }

  /** Reports every pending count now (at shutdown, or when a window ends). */
  flush(): void {
    for (const [kind, window] of this.windows) this.report(kind, window);
  }

  /** Reports what is pending and stops the timer. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private report(kind: string, window: KindWindow): void {
    if (window.suppressed === 0) return;
    const count = window.suppressed;
    window.suppressed = 0;
    this.onSuppressed(kind, count);
  }
}

export interface RateLimitedLogOptions {
  /** Lines of one kind let through per window. Default 20. */
  linesPerWindow?: number;
  /** Length of the window in ms. Default 10000. */
  windowMs?: number;
  /** Clock in ms; injectable for tests. Default Date.now. */
  now?: () => number;
}

/**
 * One log line per event, handed to a caller-supplied sink; lines a peer can trigger go
 * through a {@link KindBudget}, and a dropped count is logged as
 * `(N more "kind" lines suppressed)` before the next line of that kind. No timers.
 */
export class RateLimitedLog {
  private readonly budget: KindBudget;

  constructor(
    private readonly sink: LogSink,
    options: RateLimitedLogOptions = {},
  ) {
    this.budget = new KindBudget((kind, count) => sink(`(${count} more "${kind}" lines suppressed)`), {
      perWindow: options.linesPerWindow ?? 20,
      windowMs: options.windowMs ?? 10_000,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** Logs a line that cannot be triggered in bulk from outside. */
  always(line: string): void {
    this.sink(line);
  }

  /** Logs a line of `kind`, unless that kind is over its budget for this window. */
  limited(kind: string, line: string): void {
    if (this.budget.allow(kind)) this.sink(line);
  }
}
