/**
 * A child process that squats connection slots, as in issue 8's finding 6: it holds
 * COUNT idle TCP connections open against HOST:PORT, sends nothing on them, and opens a
 * new one whenever one closes (the device evicted it), so the server always faces COUNT
 * idle sockets. Used by the slot tests (device and hub gateway) and `npm run bench -- slots`.
 *
 *   node squatters.js PORT COUNT [HOST]
 *
 * Over IPC it reports `{ type: 'holding', open, opened }` once COUNT sockets are open, and
 * answers `{ type: 'stats' }` with the same fields; `{ type: 'stop' }` closes everything
 * and exits. Bounds: at most COUNT sockets at once, re-opens paced to at most
 * MAX_REOPENS_PER_SECOND, and it exits by itself after MAX_LIFETIME_MS or when its
 * parent goes away.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

const MAX_REOPENS_PER_SECOND = 5_000;
const MAX_LIFETIME_MS = 120_000;
/** Connections being opened at once while filling up. */
const OPENING_AT_ONCE = 100;

const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
const host = process.argv[4] ?? '127.0.0.1';
if (!Number.isInteger(port) || !Number.isInteger(count) || count < 1) {
  console.error('usage: squatters.js PORT COUNT [HOST]');
  process.exit(2);
}

const sockets = new Set<Socket>();
let opened = 0;
let failed = 0;
let stopping = false;
let reopenBudget = MAX_REOPENS_PER_SECOND;
let waitingForBudget = 0;
let reported = false;

setInterval(() => {
  reopenBudget = MAX_REOPENS_PER_SECOND;
  const owed = waitingForBudget;
  waitingForBudget = 0;
  for (let i = 0; i < owed; i++) reopen();
}, 1000).unref();
setTimeout(() => process.exit(0), MAX_LIFETIME_MS).unref();
process.on('disconnect', () => process.exit(0));

function open(): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      opened += 1;
      sockets.add(socket);
      resolve();
      reportWhenFull();
    });
    // Whatever the server says (a closing event) is read and ignored.
    socket.on('data', () => {});
    socket.on('error', () => {
      if (!connected) failed += 1;
    });
    socket.on('close', () => {
      sockets.delete(socket);
      if (!connected) resolve();
      reopen();
    });
  });
}

function reopen(): void {
  if (stopping) return;
  if (reopenBudget <= 0) {
    waitingForBudget += 1;
    return;
  }
  reopenBudget -= 1;
  void open();
}

function stats(): { type: string; open: number; opened: number; failed: number } {
  return { type: 'stats', open: sockets.size, opened, failed };
}

function reportWhenFull(): void {
  if (reported || opened < count) return;
  reported = true;
  process.send?.({ ...stats(), type: 'holding' });
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') process.send?.(stats());
  if (message.type === 'stop') {
    stopping = true;
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});

let next = 0;
async function worker(): Promise<void> {
  while (next < count && !stopping) {
    next += 1;
    await open();
  }
}
await Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, count) }, () => worker()));
