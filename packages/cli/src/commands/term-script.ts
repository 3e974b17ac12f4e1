/**
 * `picolink term` in scripts: `--send MSG --wait MS` sends and prints what comes back;
 * otherwise each line of stdin is sent. A client ends when stdin ends (after --wait) or
 * when the server closes; a listener runs until Ctrl-C / SIGTERM.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DisplayLine, TermTarget, TerminalCore } from '@picolink/nettools';
import type { PicolinkError } from '@picolink/protocol';
import { waitForStop } from '../stop-signal.js';
import { startTermSession } from './term-session.js';
import type { TermSession } from './term-session.js';

export interface ScriptedTermOptions {
  sends: string[];
  waitMs: number;
  connectTimeoutMs: number;
  signal?: AbortSignal;
}

type Outcome = 'done' | PicolinkError | undefined;

/** Resolves when the session is over; throws the error that ended it (exit code 3). */
export async function runScriptedTerm(target: TermTarget, core: TerminalCore, show: (lines: DisplayLine[]) => void, options: ScriptedTermOptions): Promise<void> {
  const session = await startTermSession(target, core, show, { connectTimeoutMs: options.connectTimeoutMs, showWarnings: false });
  const stopped = waitForStop(options.signal).then((): Outcome => 'done');
  const stdin = options.sends.length > 0 ? undefined : createInterface({ input: process.stdin, crlfDelay: Infinity });
  let outcome: Outcome;
  try {
    const sending = stdin ? sendStdin(stdin, session, core, show, target, options.waitMs) : sendAll(session, options);
    outcome = await Promise.race([stopped, session.ended, sending]);
  } finally {
    // Stop reading stdin, or an open pipe would keep the process running.
    stdin?.close();
    await session.close();
  }
  if (outcome !== 'done' && outcome !== undefined) throw outcome;
  // A UDP "port unreachable" matters only if nothing came back at all.
  if (session.warning && session.receivedBytes === 0) throw session.warning;
}

async function sendAll(session: TermSession, options: ScriptedTermOptions): Promise<Outcome> {
  for (const message of options.sends) session.sendLine(message);
  await sleep(options.waitMs);
  return 'done';
}

async function sendStdin(lines: Interface, session: TermSession, core: TerminalCore, show: (lines: DisplayLine[]) => void, target: TermTarget, waitMs: number): Promise<Outcome> {
  lines.on('line', (line) => {
    if (session.sendLine(line) === 0) show([core.status('not sent: nobody to send to yet')]);
  });
  await once(lines, 'close');
  // A listener keeps listening when stdin ends (it may run with stdin from /dev/null).
  if (target.role === 'listen') return new Promise<Outcome>(() => {});
  await sleep(waitMs);
  return 'done';
}
