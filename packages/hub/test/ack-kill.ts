/**
 * One "ack means stored" trial (docs/hub.md#telemetry-ingest), shared by the test and
 * `npm run bench -- ackkill`: a hub process (hub-process.ts) on a data directory receives
 * a stream of datagrams asking for acks from a sender process (ack-sender.ts), is killed
 * with SIGKILL mid-stream, and is started again on the same directory; then every
 * sequence number the sender saw acknowledged is looked up in the restarted hub's store.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AckSenderOptions, AckSenderReport } from './ack-sender.js';
export type { AckSenderReport } from './ack-sender.js';
import type { HubProcessReady, HubProcessRequest } from './hub-process.js';

/** Longest wait for a child's message, in ms. */
const CHILD_TIMEOUT_MS = 20_000;

export interface AckKillOptions {
  /** Data directory of the hub (kept between trials; each trial uses its own boot). */
  dataDir: string;
  /** Device id of the trial's datagrams; each trial on one directory needs its own. */
  device: string;
  boot: number;
  ratePerSecond: number;
  /** The hub is killed this long after the sender started, in ms, */
  killAfterMs: number;
  /** and once the sender has seen this many acks (waiting at most 10 s more). Default 0. */
  minAckedBeforeKill?: number;
}

export interface AckKillResult {
  sent: number;
  /** Sequence numbers acknowledged before the kill. */
  acked: number;
  /** Of those, found in the store after the restart. */
  found: number;
  /** Acknowledged but not stored (a broken promise; should be empty). */
  lost: number[];
  latenciesMs: number[];
}

/** The child's next message (progress reports aside). */
function nextMessage<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what}: no answer within ${CHILD_TIMEOUT_MS} ms`)), CHILD_TIMEOUT_MS);
    const onMessage = (message: unknown): void => {
      if (typeof message === 'object' && message !== null && 'progress' in message) return;
      finish(undefined, message as T);
    };
    const onExit = (code: number | null): void => finish(new Error(`${what}: the process exited (${String(code)})`));
    function finish(err: Error | undefined, message?: T): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(message as T);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function forkScript(name: string, arg: string): ChildProcess {
  const child = fork(fileURLToPath(new URL(name, import.meta.url)), [arg], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('error', () => {});
  return child;
}

/** A hub process on `dataDir`, listening on 127.0.0.1 ports it reports. */
export async function startHubProcess(dataDir: string): Promise<{ child: ChildProcess; ready: HubProcessReady }> {
  const configPath = join(dataDir, 'picolink.json');
  if (!existsSync(configPath)) {
    const config = {
      dataDir,
      http: { host: '127.0.0.1', port: 0, auth: false },
      gateway: { host: '127.0.0.1', port: 0 },
      telemetry: { host: '127.0.0.1', port: 0, maxPerDevicePerSecond: 1_000_000 },
    };
    writeFileSync(configPath, JSON.stringify(config));
  }
  const child = forkScript('./hub-process.js', configPath);
  const ready = await nextMessage<HubProcessReady>(child, 'hub start');
  return { child, ready };
}

export async function stopHubProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const request: HubProcessRequest = { cmd: 'stop' };
  child.send(request);
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export async function runAckKillTrial(options: AckKillOptions): Promise<AckKillResult> {
  const hub = await startHubProcess(options.dataDir);
  const senderOptions: AckSenderOptions = {
    port: hub.ready.telemetryPort,
    device: options.device,
    boot: options.boot,
    ratePerSecond: options.ratePerSecond,
    count: Math.ceil((options.ratePerSecond * (options.killAfterMs + 5000)) / 1000),
    timeLimitMs: options.killAfterMs + 5000,
  };
  const sender = forkScript('./ack-sender.js', JSON.stringify(senderOptions));
  let report: AckSenderReport;
  try {
    await nextMessage(sender, 'sender start');
    let ackedSoFar = 0;
    const onProgress = (message: { progress?: number }): void => {
      if (message.progress !== undefined) ackedSoFar = message.progress;
    };
    sender.on('message', onProgress);
    await new Promise((resolve) => setTimeout(resolve, options.killAfterMs));
    const minAcked = options.minAckedBeforeKill ?? 0;
    for (const deadline = Date.now() + 10_000; ackedSoFar < minAcked && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    sender.off('message', onProgress);
    const killed = new Promise((resolve) => hub.child.once('exit', resolve));
    hub.child.kill('SIGKILL');
    await killed;
    const reported = nextMessage<AckSenderReport>(sender, 'sender report');
    sender.send({ cmd: 'stop' });
    report = await reported;
  } finally {
    sender.kill('SIGKILL');
    hub.child.kill('SIGKILL');
  }

  const restarted = await startHubProcess(options.dataDir);
  try {
    const request: HubProcessRequest = { cmd: 'rows', deviceId: options.device, metric: 'seq' };
    const answer = nextMessage<{ values: number[] }>(restarted.child, 'stored rows');
    restarted.child.send(request);
    const stored = new Set((await answer).values);
    const lost = report.acked.filter((seq) => !stored.has(seq));
    return { sent: report.sent, acked: report.acked.length, found: report.acked.length - lost.length, lost, latenciesMs: report.latenciesMs };
  } finally {
    await stopHubProcess(restarted.child);
  }
}

/**
 * Runs the sender against a receiver already listening on 127.0.0.1:`port` for
 * `durationMs` (no kill) and reports what it saw: for a reference receiver's ack latency.
 */
export async function runAckSender(port: number, device: string, ratePerSecond: number, durationMs: number): Promise<AckSenderReport> {
  const senderOptions: AckSenderOptions = { port, device, boot: 1, ratePerSecond, count: Math.ceil((ratePerSecond * durationMs) / 1000), timeLimitMs: durationMs + 2000 };
  const sender = forkScript('./ack-sender.js', JSON.stringify(senderOptions));
  try {
    await nextMessage(sender, 'sender start');
    return await nextMessage<AckSenderReport>(sender, 'sender report');
  } finally {
    sender.kill('SIGKILL');
  }
}
