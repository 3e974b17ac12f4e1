/**
 * `npm run bench -- flood`: garbage at the hub's telemetry port (bench/README.md#flood).
 *
 * 1. Hub CPU per datagram (process.cpuUsage of the hub process over a bounded run at a
 *    rate it keeps up with): accepted signed readings (the reference) beside each kind of
 *    rejected datagram: malformed, forged MAC, replayed.
 * 2. The target: a legitimate device (the device runtime's TelemetrySender, signed, acks
 *    on, its resend buffer) sending 1,000 readings/s for 5 s while 50,000 garbage
 *    datagrams/s of each kind hit the port — each kind alone, then all three at once —
 *    beside the same device with no flood. Once the floods have ended, the device goes on
 *    3 s more so resends can fill gaps; the figure is the share of the readings sent in
 *    the first 5 s that are in the store. Also: readings stored at the first try, the sender's counters, the
 *    kernel's UDP receive-buffer drops (/proc/net/snmp RcvbufErrors, whole host) and the
 *    receive buffer granted.
 * Hub, device and floods are separate processes on 127.0.0.1. Every loop is bounded in
 * count and time.
 */
import { readFileSync } from 'node:fs';
import { forkChild } from './ingest.js';
import type { Child } from './ingest.js';
import type { HubChildOptions, HubChildStats } from './ingest-hub.js';
import type { LoadOptions } from './ingest-load.js';
import type { FloodDeviceOptions, FloodDeviceResult } from './flood-device.js';
import type { FloodKind, FloodOptions, FloodResult } from './flood-load.js';

const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const DEVICE = 'legit-1';
const KINDS: FloodKind[] = ['malformed', 'forged', 'replayed'];
const FLOOD_RATE = 50_000;
const DEVICE_RATE = 1000;
const FLOOD_MS = 5000;
const DRAIN_MS = 3000;
const CPU_RATE = 20_000;
const CPU_COUNT = 60_000;
/** The hub's default per-device limit (telemetry.maxPerDevicePerSecond). */
const DEVICE_LIMIT = 2000;

function rcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((line) => line.startsWith('Udp:'));
  const names = (lines[0] ?? '').split(/\s+/);
  const values = (lines[1] ?? '').split(/\s+/);
  return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
}

async function startHub(bare = false): Promise<{ hub: Child; port: number }> {
  const options: HubChildOptions = { keys: { [DEVICE]: KEY }, receiveBufferBytes: 4 * 1024 * 1024, maxPerDevicePerSecond: DEVICE_LIMIT, bare, quiet: true };
  const { child, hello } = await forkChild<{ port: number }>('./ingest-hub.js', options);
  return { hub: child, port: hello.port };
}

const hubStats = async (hub: Child): Promise<HubChildStats> => (await hub.request<{ stats: HubChildStats }>({ cmd: 'stats' })).stats;

async function go<T>(child: Child): Promise<T> {
  const result = await child.request<T>({ cmd: 'go' });
  await child.stop();
  return result;
}

function floodOptions(kind: FloodKind, port: number, rate: number, count: number, boot: number, time: number): FloodOptions {
  return { kind, port, ratePerSecond: rate, count, timeLimitMs: (count / rate) * 1000 + 2000, device: DEVICE, key: KEY, boot, time };
}

async function measureCpu(rows: string[], hub: Child, name: string, run: () => Promise<unknown>): Promise<void> {
  const before = await hubStats(hub);
  await run();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const after = await hubStats(hub);
  const received = after.received - before.received;
  const micros = (after.cpuMicros - before.cpuMicros) / Math.max(1, received);
  rows.push(`  ${name.padEnd(36)} ${micros.toFixed(1).padStart(6)} µs   (${received} received at ${CPU_RATE}/s)`);
}

/** Hub CPU µs per datagram for accepted readings and each kind of garbage. */
async function cpuPerDatagram(): Promise<void> {
  const rows: string[] = [];
  const bare = await startHub(true);
  try {
    await measureCpu(rows, bare.hub, 'any datagram, socket only (floor)', async () => {
      const { child } = await forkChild<{ ready: true }>('./flood-load.js', floodOptions('malformed', bare.port, CPU_RATE, CPU_COUNT, 99, Date.now()));
      await go(child);
    });
  } finally {
    await bare.hub.stop();
  }
  const { hub, port } = await startHub();
  try {
    const measure = (name: string, run: () => Promise<unknown>): Promise<void> => measureCpu(rows, hub, name, run);
    await measure('accepted (signed, reference)', async () => {
      const load: LoadOptions = { mode: 'udp', port, count: CPU_COUNT, ratePerSecond: CPU_RATE, devices: 100, key: KEY };
      const { child } = await forkChild<{ ready: true }>('./ingest-load.js', load);
      await go(child);
    });
    const time = Date.now();
    const cases: [string, FloodKind, boolean][] = [
      ['rejected: malformed', 'malformed', false],
      ['rejected: forged', 'forged', false],
      ['replayed, in the window (duplicate)', 'replayed', false],
      ['replayed, older than the window', 'replayed', true],
    ];
    for (const [name, kind, stale] of cases) {
      await measure(name, async () => {
        const { child } = await forkChild<{ ready: true }>('./flood-load.js', { ...floodOptions(kind, port, CPU_RATE, CPU_COUNT, stale ? 98 : 99, time), stale });
        await go(child);
      });
    }
    console.log('hub CPU per datagram (user + system):');
    for (const row of rows) console.log(row);
  } finally {
    await hub.stop();
  }
}

interface TargetResult {
  name: string;
  device: FloodDeviceResult;
  stored: number;
  floodSent: number;
  hub: HubChildStats;
  kernelDrops: number;
}

export async function targetRun(name: string, kinds: FloodKind[], maxUnacked: number | undefined): Promise<TargetResult> {
  const { hub, port } = await startHub();
  try {
    const boot = Math.floor(Math.random() * 0xffffffff);
    const time = Date.now();
    const deviceOptions: FloodDeviceOptions = { port, device: DEVICE, key: KEY, boot, time, ratePerSecond: DEVICE_RATE, durationMs: FLOOD_MS, drainLimitMs: 30_000, maxUnacked };
    const { child: device } = await forkChild<{ ready: true }>('./flood-device.js', deviceOptions);
    const floods: Child[] = [];
    for (const kind of kinds) {
      floods.push((await forkChild<{ ready: true }>('./flood-load.js', floodOptions(kind, port, FLOOD_RATE, (FLOOD_RATE * FLOOD_MS) / 1000, boot, time))).child);
    }
    const dropsBefore = rcvbufErrors();
    // The device sends its measured readings while the floods run; once the floods have
    // ended (a starved flood process may take longer than planned), it goes on DRAIN_MS
    // more so its resends can fill the gaps, then stops.
    const measuredDone = device.request<{ measured: number }>({ cmd: 'go' });
    const floodResults = await Promise.all(floods.map((flood) => go<FloodResult>(flood)));
    await measuredDone;
    const kernelDrops = rcvbufErrors() - dropsBefore;
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    const deviceResult = await device.request<FloodDeviceResult>({ cmd: 'stop' });
    await device.stop();
    const times = (await hub.request<{ times: number[] }>({ cmd: 'times', deviceId: DEVICE })).times;
    const stored = new Set(times.filter((t) => t - time < deviceResult.measured)).size;
    return { name, device: deviceResult, stored, floodSent: floodResults.reduce((sum, r) => sum + r.sent, 0), hub: await hubStats(hub), kernelDrops };
  } finally {
    await hub.stop();
  }
}

export function printTarget(r: TargetResult): void {
  const pct = (n: number): string => `${((100 * n) / Math.max(1, r.device.measured)).toFixed(2)} %`;
  const c = r.device.counters;
  console.log(
    `  ${r.name.padEnd(22)} stored ${pct(r.stored).padStart(8)} (${r.stored}/${r.device.measured})  ` +
      `flood sent ${String(r.floodSent).padStart(7)}  hub received ${String(r.hub.received).padStart(7)}  kernel drops ${String(r.kernelDrops).padStart(7)}  ` +
      `device sent ${c.sent} resent ${c.resent} acked ${c.acked} dropped ${c.dropped} unacked ${r.device.unacked}  hub rejected ${JSON.stringify(r.hub.rejected)}`,
  );
}

export async function benchFlood(): Promise<void> {
  await cpuPerDatagram();
  const { hub } = await startHub();
  const granted = (await hubStats(hub)).receiveBufferBytes;
  await hub.stop();
  console.log(`\nlegitimate device at ${DEVICE_RATE}/s, signed, acks on, for ${FLOOD_MS / 1000} s (+${DRAIN_MS / 1000} s for resends); ${FLOOD_RATE}/s of each flood kind; hub receive buffer granted ${granted} bytes:`);
  const scenarios: [string, FloodKind[]][] = [['no flood (reference)', []], ...KINDS.map((kind): [string, FloodKind[]] => [kind, [kind]]), ['all three', KINDS]];
  for (const [name, kinds] of scenarios) printTarget(await targetRun(name, kinds, undefined));
}
