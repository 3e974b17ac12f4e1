/**
 * Per-kind log budget: at most `linesPerWindow` lines of one kind per window. When a
 * window with dropped lines ends, one line says how many were dropped. A datagram flood
 * or a connect storm then costs a few log lines, not one per packet.
 */

export interface LogLimiterOptions {
  /** Lines of one kind let through per window. Default 100. */
  linesPerWindow?: number;
  /** Window length in ms. Default 1000. */
  windowMs?: number;
}

interface KindWindow {
  start: number;
  count: number;
  suppressed: number;
}

export class LogLimiter {
  private readonly windows = new Map<string, KindWindow>();
  private readonly linesPerWindow: number;
  private readonly windowMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onSuppressed: (kind: string, count: number) => void,
    options: LogLimiterOptions = {},
  ) {
    this.linesPerWindow = options.linesPerWindow ?? 100;
    this.windowMs = options.windowMs ?? 1000;
  }

  /** True when a line of `kind` may be logged now. */
  allow(kind: string, now = Date.now()): boolean {
    let window = this.windows.get(kind);
    if (!window || now - window.start >= this.windowMs) {
      if (window) this.report(kind, window);
      window = { start: now, count: 0, suppressed: 0 };
      this.windows.set(kind, window);
    }
    if (window.count < this.linesPerWindow) {
      window.count += 1;
      return true;
    }
    window.suppressed += 1;
    // Report at the end of the window even if the flood stops and no line of this kind follows.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.windowMs).unref();
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
