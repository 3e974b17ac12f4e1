/**
 * Starts and stops the WAL checkpoint worker (sqlite-checkpointer.ts). While it runs, the
 * store's own connection does no automatic checkpoints; if the worker cannot start or
 * fails, automatic checkpoints come back, so the WAL never grows without bound.
 */
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { CheckpointerData } from './sqlite-checkpointer.js';

/** SQLite's default: checkpoint when the WAL holds this many pages. */
const AUTO_CHECKPOINT_PAGES = 1000;
/** The WAL file is cut back to this size after it has been checkpointed. */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

export interface Checkpointer {
  close(): Promise<void>;
}

export async function startCheckpointer(db: Database, path: string, intervalMs: number): Promise<Checkpointer | undefined> {
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  const data: CheckpointerData = { path, intervalMs };
  const worker = new Worker(new URL('./sqlite-checkpointer.js', import.meta.url), { workerData: data });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  function fallBack(): void {
    if (db.open) db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  }
  const started = await new Promise<boolean>((resolve) => {
    worker.once('message', () => resolve(true));
    worker.once('error', () => resolve(false));
    worker.once('exit', () => resolve(false));
  });
  if (!started) {
    await worker.terminate();
    return undefined;
  }
  db.pragma('wal_autocheckpoint = 0');
  worker.on('message', function checkpointerFailed(message: { error?: string }) {
    if (message.error !== undefined) fallBack();
  });
  worker.on('error', fallBack);
  worker.unref();
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        worker.postMessage('close');
        const timer = setTimeout(() => void worker.terminate(), 2000);
        await exited;
        clearTimeout(timer);
        fallBack();
      })();
      return closing;
    },
  };
}
