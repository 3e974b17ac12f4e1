/**
 * Runs in a worker thread beside the SQLite store: its own connection to the same file
 * copies committed WAL pages into the database file (`wal_checkpoint(PASSIVE)`) every
 * `intervalMs`. A passive checkpoint never waits for the writer, so checkpoints — a large
 * share of the cost of sustained telemetry writes, and their longest pauses — stay off
 * the event loop that receives datagrams.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CheckpointerData {
  path: string;
  intervalMs: number;
}

const { path, intervalMs } = workerData as CheckpointerData;
const db = new Database(path);
db.pragma('busy_timeout = 1000');

const timer = setInterval(function checkpointOnInterval() {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort?.postMessage({ error: (err as Error).message });
  }
}, intervalMs);

parentPort?.on('message', function checkpointerOnMessage(message: unknown) {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
parentPort?.postMessage({ ready: true });
