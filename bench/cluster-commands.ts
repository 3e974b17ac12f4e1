/**
 * `npm run bench -- cluster-commands`: commands through the HTTP API to a dial-home device
 * that another hub of the cluster holds, beside the same commands to the hub that holds
 * it, in one run. Two hub processes share one PostgreSQL (a throwaway cluster from
 * `@picolink/test-kit/postgres`); the device (the real device runtime, simulated pins)
 * dials hub B. "Cross-hub" posts to hub A, which forwards over the cluster channel
 * (LISTEN/NOTIFY) to hub B and waits for its answer; "same hub" posts to hub B.
 * Figures: sequential round trip of one `ping` per POST to one device (p50, p99) and
 * pipelined throughput: lists of 100 pings per POST, one POST in flight to each of 8
 * devices (a hub reads at most 1,000 frames/s from one device, gateway
 * `maxFramesPerSecond`, so one device alone would measure that limit). Each command is
 * validated, sent, answered and written to the audit log on either path. The reference,
 * as in the `commands` bench: a minimal line-echo server measured with the same raw line
 * client (no HTTP, no hub), in the same run.
 */
import { startPostgres } from '@picolink/test-kit/postgres';
import { percentile, pipelined, sequential } from './commands.js';
import { startHubChild } from './cluster-sessions.js';
import type { StartedHub } from './cluster-sessions.js';
import { startServerProcess } from './servers.js';
import { Child, printTable } from './sessions-child.js';

const DEVICE_PREFIX = 'bench-cluster';
/** The devices the pipelined figure spreads over; the sequential one uses the first. */
const DEVICES = 8;
const deviceIds = Array.from({ length: DEVICES }, (_, i) => `${DEVICE_PREFIX}-${i}`);
const SEQUENTIAL_COUNT = 1_000;
const PIPELINED_COUNT = 10_000;
const BATCH = 100;
const WARMUP_COUNT = 200;
/** Bound on each measured loop, ms. */
const TIME_LIMIT_MS = 30_000;
/** How long the device may take to be listed online by both hubs, ms. */
const ONLINE_LIMIT_MS = 30_000;

interface Sequential {
  p50: number;
  p99: number;
  count: number;
  failed: number;
}

interface Pipelined {
  perSecond: number;
  count: number;
  failed: number;
}

/** POSTs one request or a list to a device's commands; the parsed answer, or the HTTP error as text. */
async function post(httpPort: number, deviceId: string, body: unknown): Promise<{ ok: boolean; answer: unknown }> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/api/devices/${deviceId}/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as unknown;
  return { ok: response.ok, answer };
}

function answeredOk(answer: unknown): number {
  const list = Array.isArray(answer) ? answer : [answer];
  return list.filter((item) => (item as { ok?: unknown }).ok === true).length;
}

async function apiSequential(httpPort: number, count: number): Promise<Sequential> {
  const samples: number[] = [];
  let failed = 0;
  const deadline = Date.now() + TIME_LIMIT_MS;
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    const start = process.hrtime.bigint();
    const { ok, answer } = await post(httpPort, deviceIds[0] ?? '', { action: 'ping' });
    samples.push(Number(process.hrtime.bigint() - start) / 1e3);
    if (!ok || answeredOk(answer) !== 1) failed += 1;
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), count: samples.length, failed };
}

async function apiPipelined(httpPort: number, count: number): Promise<Pipelined> {
  const batch = Array.from({ length: BATCH }, () => ({ action: 'ping' }));
  const deadline = Date.now() + TIME_LIMIT_MS;
  let sent = 0;
  let answered = 0;
  const start = process.hrtime.bigint();
  async function lane(deviceId: string): Promise<void> {
    while (sent < count && Date.now() < deadline) {
      sent += BATCH;
      const { ok, answer } = await post(httpPort, deviceId, batch);
      if (ok) answered += answeredOk(answer);
    }
  }
  await Promise.all(deviceIds.map((deviceId) => lane(deviceId)));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSecond: sent / seconds, count: sent, failed: sent - answered };
}

/** Polls both hubs' APIs until each lists every device online; false when not within the limit. */
async function waitOnline(hubs: StartedHub[]): Promise<boolean> {
  const deadline = Date.now() + ONLINE_LIMIT_MS;
  while (Date.now() < deadline) {
    const online = await Promise.all(
      hubs.map(async (hub) => {
        const response = await fetch(`http://127.0.0.1:${hub.httpPort}/api/devices`);
        if (!response.ok) return false;
        const listed = ((await response.json()) as { devices: Array<{ id: string; online: boolean }> }).devices;
        return deviceIds.every((id) => listed.some((device) => device.id === id && device.online));
      }),
    );
    if (online.every(Boolean)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

export async function benchClusterCommands(): Promise<void> {
  const database = await startPostgres();
  const hubs: StartedHub[] = [];
  let device: Child | undefined;
  const echo = await startServerProcess('echo');
  try {
    // One after the other: the first one migrates the schema.
    hubs.push(await startHubChild(database.url));
    hubs.push(await startHubChild(database.url));
    const [hubA, hubB] = hubs as [StartedHub, StartedHub];
    device = new Child('./cluster-device.js', [String(hubB.gatewayPort), String(DEVICES), DEVICE_PREFIX]);
    await device.next('ready');
    if (!(await waitOnline(hubs))) throw new Error(`the devices were not listed online by both hubs within ${ONLINE_LIMIT_MS} ms (is presence across hubs built?)`);

    // Warm every path up so JIT compilation is not measured.
    await apiSequential(hubA.httpPort, WARMUP_COUNT);
    await apiSequential(hubB.httpPort, WARMUP_COUNT);
    await pipelined(echo.port);
    // Interleaved, so a change of load during the run touches both alike.
    const crossSeq = await apiSequential(hubA.httpPort, SEQUENTIAL_COUNT);
    const sameSeq = await apiSequential(hubB.httpPort, SEQUENTIAL_COUNT);
    const echoSeq = await sequential(echo.port);
    const crossPipe = await apiPipelined(hubA.httpPort, PIPELINED_COUNT);
    const samePipe = await apiPipelined(hubB.httpPort, PIPELINED_COUNT);
    const echoPipe = await pipelined(echo.port);

    printTable([
      ['measure', 'cross-hub (A → B)', 'same hub (B)', 'cross / same', 'echo server (reference)'],
      ['sequential p50 (µs)', fmt(crossSeq.p50), fmt(sameSeq.p50), `${fmt(crossSeq.p50 / sameSeq.p50, 2)}×`, fmt(echoSeq.p50)],
      ['sequential p99 (µs)', fmt(crossSeq.p99), fmt(sameSeq.p99), `${fmt(crossSeq.p99 / sameSeq.p99, 2)}×`, fmt(echoSeq.p99)],
      ['pipelined (commands/s)', fmt(crossPipe.perSecond, 0), fmt(samePipe.perSecond, 0), `${fmt(crossPipe.perSecond / samePipe.perSecond, 2)}×`, fmt(echoPipe.perSecond, 0)],
      ['commands without an ok answer', `${crossSeq.failed + crossPipe.failed}`, `${sameSeq.failed + samePipe.failed}`, '', ''],
    ]);
    console.log(
      `(${crossSeq.count} sequential POSTs of one ping and ${crossPipe.count} pipelined pings (lists of ${BATCH}, one POST in flight to each of ${DEVICES} devices) per hub path; ` +
        `echo: ${echoSeq.count} sequential, ${echoPipe.count} pipelined on one raw connection; 2 cores shared by every process, figures vary between runs)`,
    );
  } finally {
    await device?.stop();
    for (const hub of hubs) await hub.child.stop();
    await echo.stop();
    await database.stop();
  }
}
