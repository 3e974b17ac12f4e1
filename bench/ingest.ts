/**
 * `npm run bench -- ingest`: UDP telemetry into SQLite through the hub's real ingest
 * path (ingest-hub.ts: startTelemetryIngest + the SQLite store, in its own process),
 * with the sender in another process (ingest-load.ts). The rate counts datagrams
 * accepted and written to SQLite, from the sender's first datagram to the store's last
 * write. The reference, measured in the same run: Mosquitto carrying the same payloads
 * QoS 0 from one publisher to one subscriber (MQTT.js, the `mqtt` package, in their own
 * processes), counted at the subscriber.
 *
 * Targets (issue 4): ≥ 150,000 datagrams/s unpaced; no loss at 100,000/s paced over
 * 500,000 datagrams; ≥ 1.5× Mosquitto's delivered rate while also storing.
 * Mosquitto is the Debian package (`apt-get install mosquitto`); this script installs
 * nothing, and skips that row with a message when the binary is missing.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { findMosquitto, startMosquitto } from '@picolink/test-kit/mosquitto';
import type { HubChildStats } from './ingest-hub.js';
import type { LoadOptions } from './ingest-load.js';

const UNPACED_COUNT = 1_000_000;
const PACED_COUNT = 500_000;
const PACED_RATE = 100_000;
export const DEVICES = 10;
/** Asked of the kernel for the hub's UDP socket (Linux caps it at net.core.rmem_max, then doubles it). */
const RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;
const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const SETTLE_LIMIT_MS = 30_000;
/** Unpaced UDP runs and Mosquitto runs, alternating; medians are reported. */
const REPEATS = 3;

export interface Child {
  process: ChildProcess;
  next<T>(): Promise<T>;
  request<T>(message: object): Promise<T>;
  stop(): Promise<void>;
}

/** Forks a bench child and waits for its first message. */
export async function forkChild<T>(script: string, options: object): Promise<{ child: Child; hello: T }> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const proc = fork(path, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // A child that already disconnected makes a late send fail with EPIPE; stop() copes.
  proc.on('error', () => {});
  const queue: unknown[] = [];
  let waiter: ((message: unknown) => void) | undefined;
  proc.on('message', (message) => {
    if (waiter) {
      const wake = waiter;
      waiter = undefined;
      wake(message);
    } else queue.push(message);
  });
  const next = <R>(): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      if (queue.length > 0) return resolve(queue.shift() as R);
      const timer = setTimeout(() => reject(new Error(`${script} did not answer within 90 s`)), 90_000);
      waiter = (message) => {
        clearTimeout(timer);
        resolve(message as R);
      };
    });
  const child: Child = {
    process: proc,
    next,
    request<R>(message: object) {
      proc.send(message);
      return next<R>();
    },
    stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (proc.connected) proc.send({ cmd: 'stop' });
        else proc.kill('SIGTERM');
      });
    },
  };
  return { child, hello: await next<T>() };
}

interface SendResult {
  sent: number;
  startedAt: number;
  endedAt: number;
}

export async function runLoad(load: LoadOptions): Promise<SendResult> {
  const { child } = await forkChild<{ ready: true }>('./ingest-load.js', load);
  const result = await child.request<SendResult & { done: true }>({ cmd: 'go' });
  await child.stop();
  return result;
}

export interface IngestResult {
  send: SendResult;
  hub: HubChildStats;
  /** Datagrams accepted and stored per second. */
  perSecond: number;
  /** Hub process CPU time per datagram received, in µs (the cost of the path on any core). */
  hubCpuPerDatagram: number;
}

/** Polls `read` until its value stops changing for `quietMs` (bounded by SETTLE_LIMIT_MS). */
export async function settle<T>(read: () => Promise<T>, same: (a: T, b: T) => boolean, quietMs = 400): Promise<T> {
  let last = await read();
  let since = Date.now();
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await read();
    if (!same(now, last)) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) break;
  }
  return last;
}

/** Sends `count` datagrams to a running hub child's telemetry port and measures what it stored. */
export async function ingestInto(hub: Child, port: number, count: number, ratePerSecond: number, signed: boolean): Promise<IngestResult> {
  const before = (await hub.request<{ stats: HubChildStats }>({ cmd: 'stats' })).stats;
  const send = await runLoad({ mode: 'udp', port, count, ratePerSecond, devices: DEVICES, key: signed ? KEY : undefined });
  const stats = await settle(
    async () => (await hub.request<{ stats: HubChildStats }>({ cmd: 'stats' })).stats,
    (a, b) => a.received === b.received && a.rowsWritten === b.rowsWritten && a.rowsPending === 0,
  );
  const seconds = (Math.max(stats.lastWriteEnd, send.endedAt) - send.startedAt) / 1000;
  return { send, hub: stats, perSecond: stats.accepted / seconds, hubCpuPerDatagram: (stats.cpuMicros - before.cpuMicros) / Math.max(1, stats.received) };
}

/** One run of `count` datagrams into a hub child; `store` picks PostgreSQL instead of SQLite. */
export async function ingestRun(count: number, ratePerSecond: number, signed: boolean, store: { postgresUrl?: string; postgresSchema?: string } = {}): Promise<IngestResult> {
  const keys: Record<string, string> = {};
  if (signed) for (let d = 0; d < DEVICES; d++) keys[`bench-${d}`] = KEY;
  const { child: hub, hello } = await forkChild<{ port: number }>('./ingest-hub.js', { keys, receiveBufferBytes: RECEIVE_BUFFER_BYTES, ...store });
  try {
    return await ingestInto(hub, hello.port, count, ratePerSecond, signed);
  } finally {
    await hub.stop();
  }
}

interface MqttResult {
  sent: number;
  delivered: number;
  perSecond: number;
}

/** Mosquitto on a free loopback port (test-kit's throwaway broker); one publisher, one subscriber. */
async function mosquittoRun(count: number): Promise<MqttResult> {
  const broker = await startMosquitto();
  const { port } = broker;
  const subscriber = { child: undefined as Child | undefined };
  try {
    subscriber.child = (await forkChild<{ ready: true }>('./ingest-load.js', { mode: 'mqtt-sub', port, count, ratePerSecond: 0, devices: DEVICES })).child;
    const send = await runLoad({ mode: 'mqtt-pub', port, count, ratePerSecond: 0, devices: DEVICES });
    const sub = subscriber.child;
    const counted = await settle(
      () => sub.request<{ count: number; firstAt: number; lastAt: number }>({ cmd: 'count' }),
      (a, b) => a.count === b.count,
    );
    return { sent: send.sent, delivered: counted.count, perSecond: counted.count / ((counted.lastAt - send.startedAt) / 1000) };
  } finally {
    await subscriber.child?.stop();
    await broker.stop();
  }
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function printIngest(label: string, result: IngestResult, target: string): void {
  const { hub, send } = result;
  const rejected = Object.values(hub.rejected).reduce((a, b) => a + b, 0);
  const sendRate = send.sent / Math.max(0.001, (send.endedAt - send.startedAt) / 1000);
  console.log(
    `${label.padEnd(40)} sent ${fmt(send.sent).padStart(9)} (${fmt(sendRate)}/s)  stored ${fmt(hub.accepted).padStart(9)}  not stored ${fmt(send.sent - hub.accepted).padStart(8)}  seq gaps ${fmt(hub.lost).padStart(7)}  rejected ${rejected}  ${fmt(result.perSecond).padStart(8)}/s  hub CPU ${result.hubCpuPerDatagram.toFixed(1)} µs/datagram  ${target}`,
  );
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

export async function benchIngest(): Promise<void> {
  console.log(
    `${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(2)} at start; sender and hub in separate processes; ${DEVICES} devices round robin; one reading per datagram (~120 bytes)`,
  );
  const binary = findMosquitto();
  if (!binary) console.log('Mosquitto reference: skipped — the mosquitto binary is not installed (Debian: apt-get install mosquitto)');

  // The unpaced UDP run and the Mosquitto reference alternate, REPEATS times each, so both
  // see the same machine; the medians are compared.
  const udpRuns: IngestResult[] = [];
  const mqttRuns: MqttResult[] = [];
  for (let round = 0; round < REPEATS; round++) {
    udpRuns.push(await ingestRun(UNPACED_COUNT, 0, false));
    if (binary) mqttRuns.push(await mosquittoRun(UNPACED_COUNT));
  }
  const first = udpRuns[0];
  if (first) console.log(`hub UDP receive buffer: asked ${fmt(RECEIVE_BUFFER_BYTES)} bytes, kernel granted ${fmt(first.hub.receiveBufferBytes)} (Linux caps at net.core.rmem_max and doubles)`);
  const udpRates = udpRuns.map((r) => r.perSecond);
  const udpMedian = median(udpRates);
  const medianRun = udpRuns.find((r) => r.perSecond === udpMedian);
  if (medianRun) printIngest('UDP → SQLite, unpaced (median run)', medianRun, `(target ≥ 150,000/s: ${udpMedian >= 150_000 ? 'met' : 'NOT met'})`);
  console.log(`${''.padEnd(40)} runs: ${udpRates.map(fmt).join(', ')}/s`);
  const signed = await ingestRun(UNPACED_COUNT, 0, true);
  printIngest('UDP → SQLite, unpaced, HMAC-signed', signed, '');
  const paced = await ingestRun(PACED_COUNT, PACED_RATE, false);
  const pacedLoss = paced.send.sent - paced.hub.accepted;
  printIngest(`UDP → SQLite, paced ${fmt(PACED_RATE)}/s`, paced, `(target: no loss: ${pacedLoss === 0 && paced.send.sent === PACED_COUNT ? 'met' : 'NOT met'})`);

  if (mqttRuns.length === 0) return;
  const mqttRates = mqttRuns.map((r) => r.perSecond);
  const mqttMedian = median(mqttRates);
  const mqtt = mqttRuns.find((r) => r.perSecond === mqttMedian) ?? mqttRuns[0];
  if (!mqtt) return;
  console.log(
    `${'Mosquitto QoS 0, 1 pub → 1 sub (median)'.padEnd(40)} sent ${fmt(mqtt.sent).padStart(9)}  delivered ${fmt(mqtt.delivered).padStart(9)}  ${fmt(mqtt.perSecond).padStart(8)}/s  (reference, no storage)`,
  );
  console.log(`${''.padEnd(40)} runs: ${mqttRates.map(fmt).join(', ')}/s`);
  const ratio = udpMedian / mqttMedian;
  console.log(`UDP ingest with storage / Mosquitto delivery (medians): ${ratio.toFixed(2)}× (target ≥ 1.5×: ${ratio >= 1.5 ? 'met' : 'NOT met'})`);
}
