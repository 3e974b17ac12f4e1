/**
 * The retention job: every `intervalMs` it deletes telemetry, events, audit records and
 * closed sessions older than `retentionDays` (config.retentionDays; 0 keeps everything).
 * A run never overlaps the previous one, and the store deletes in chunks so ingest goes
 * on meanwhile.
 */
import type { HubStore, RetentionResult } from './store/store.js';

export const DAY_MS = 86_400_000;

export interface RetentionOptions {
  store: HubStore;
  /** Keep this many days; 0 keeps everything and the job does nothing. */
  retentionDays: number;
  /** Time between runs, in ms. Default 3600000 (hourly). */
  intervalMs?: number;
  /** Delay before the first run after start, in ms. Default 5000. */
  firstRunMs?: number;
  /** Receives a line per run that deleted something, and per failure. Default: none. */
  log?: (line: string) => void;
  /** Clock, in Unix ms. Default Date.now. */
  now?: () => number;
}

export interface RetentionJob {
  /** Runs once now (or waits for the run in progress); null when retention is off. */
  runNow(): Promise<RetentionResult | null>;
  /** Stops the timer and waits for a run in progress. */
  close(): Promise<void>;
}

export function startRetention(options: RetentionOptions): RetentionJob {
  const { store, retentionDays } = options;
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 3_600_000;
  let running: Promise<RetentionResult | null> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  async function run(): Promise<RetentionResult | null> {
    if (retentionDays <= 0 || closed) return null;
    const before = now() - retentionDays * DAY_MS;
    try {
      const result = await store.applyRetention(before);
      const total = result.telemetry + result.events + result.audit + result.sessions;
      if (total > 0) {
        log(
          `retention: deleted ${result.telemetry} telemetry rows, ${result.events} events, ${result.audit} audit records and ${result.sessions} sessions older than ${retentionDays} days (before ${new Date(before).toISOString()})`,
        );
      }
      return result;
    } catch (err) {
      log(`retention: failed: ${(err as Error).message}`);
      return null;
    }
  }

  function runNow(): Promise<RetentionResult | null> {
    if (!running) running = run().finally(() => (running = undefined));
    return running;
  }

  function schedule(delayMs: number): void {
    if (closed || retentionDays <= 0) return;
    timer = setTimeout(function retentionOnTimer() {
      void runNow().then(() => schedule(intervalMs));
    }, delayMs);
    timer.unref();
  }

  schedule(options.firstRunMs ?? 5000);
  return {
    runNow,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
