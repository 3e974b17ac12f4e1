/**
 * `npm run bench -- demo-fleet`: `picolink demo --devices 1000` (a hub and a thousand
 * simulated devices dialling home, each with signed telemetry every 5 s, in one process)
 * run as a person runs it, for a fixed time, while this process asks the API what the
 * dashboard asks: the health route every 200 ms and the whole fleet (`GET /api/devices`)
 * every second. Printed: the child's CPU (user + system, % of one core) and resident
 * memory from /proc, the API's latencies, and how many devices were online — beside the
 * same figures for the classic three-device demo measured in the same run.
 *
 * Bounds: each run lasts PICOLINK_BENCH_SECONDS (default 30) after the demo is ready;
 * requests are sequential, one at a time.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../packages/cli/bin/picolink.js', import.meta.url));
const SECONDS = Number(process.env.PICOLINK_BENCH_SECONDS ?? 30);
const FLEET = Number(process.env.PICOLINK_BENCH_DEVICES ?? 1000);
/** Clock ticks per second of /proc/PID/stat (USER_HZ; 100 on Linux). */
const CLK_TCK = 100;

interface DemoInfo {
  url: string;
  token: string;
}

interface RunFigures {
  devices: number;
  readyMs: number;
  cpuPercent: number;
  rssMiB: number;
  rssMaxMiB: number;
  health: number[];
  fleet: number[];
  online: number;
  telemetryPerSecond: number;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime), counted from 1 with pid and comm before ")".
  return Number(fields[11]) + Number(fields[12]);
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function startDemoProcess(devices: number, dataDir: string): { child: ChildProcess; ready: Promise<DemoInfo> } {
  const child = spawn(process.execPath, [CLI, 'demo', '--port', '0', '--json', '--devices', String(devices), '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (err = (err + text).slice(-4000)));
  const ready = new Promise<DemoInfo>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve(JSON.parse(line) as DemoInfo);
    });
    child.once('exit', (code) => reject(new Error(`picolink demo exited with ${String(code)}: ${err}`)));
  });
  return { child, ready };
}

async function timed(url: string, token: string): Promise<{ ms: number; body: unknown }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body: unknown = await response.json();
  return { ms: performance.now() - started, body };
}

async function runOnce(devices: number): Promise<RunFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'picolink-bench-demo-'));
  const started = performance.now();
  const { child, ready } = startDemoProcess(devices, dataDir);
  try {
    const info = await ready;
    const readyMs = performance.now() - started;
    const pid = child.pid as number;
    const health: number[] = [];
    const fleet: number[] = [];
    let rssMax = 0;
    let online = 0;
    let accepted0: number | undefined;
    let accepted1 = 0;
    const ticks0 = cpuTicks(pid);
    const t0 = performance.now();
    let nextFleet = t0;
    while (performance.now() - t0 < SECONDS * 1000) {
      health.push((await timed(`${info.url}/api/health`, info.token)).ms);
      if (performance.now() >= nextFleet) {
        nextFleet += 1000;
        const { ms, body } = await timed(`${info.url}/api/devices`, info.token);
        fleet.push(ms);
        const list = (body as { devices: Array<{ online: boolean; telemetry: { accepted: number } | null }> }).devices;
        online = list.filter((d) => d.online).length;
        const accepted = list.reduce((sum, d) => sum + (d.telemetry?.accepted ?? 0), 0);
        accepted0 ??= accepted;
        accepted1 = accepted;
      }
      rssMax = Math.max(rssMax, rssMiB(pid));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpuPercent = ((cpuTicks(pid) - ticks0) / CLK_TCK / elapsed) * 100;
    return { devices, readyMs, cpuPercent, rssMiB: rssMiB(pid), rssMaxMiB: rssMax, health, fleet, online, telemetryPerSecond: (accepted1 - (accepted0 ?? 0)) / Math.max(1, elapsed - 1) };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function row(f: RunFigures): string {
  const ms = (v: number): string => v.toFixed(1).padStart(7);
  return [
    String(f.devices).padStart(7),
    `${(f.readyMs / 1000).toFixed(1)} s`.padStart(8),
    String(f.online).padStart(7),
    `${f.cpuPercent.toFixed(1)} %`.padStart(8),
    `${f.rssMiB.toFixed(0)} / ${f.rssMaxMiB.toFixed(0)}`.padStart(11),
    ms(percentile(f.health, 50)),
    ms(percentile(f.health, 99)),
    ms(Math.max(...f.health)),
    ms(percentile(f.fleet, 50)),
    ms(Math.max(...f.fleet)),
    f.telemetryPerSecond.toFixed(0).padStart(8),
  ].join(' ');
}

export async function benchDemoFleet(): Promise<void> {
  console.log(`picolink demo run for ${SECONDS} s each; API asked for /api/health every 200 ms and /api/devices every second`);
  const reference = await runOnce(3);
  const fleet = await runOnce(FLEET);
  console.log('devices    ready  online      CPU  RSS MiB now/max  health p50   p99     max  fleet p50     max  telem/s');
  console.log(`${row(reference)}   (reference: the classic demo)`);
  console.log(row(fleet));
  console.log(
    `ratios to the reference: CPU ×${(fleet.cpuPercent / Math.max(0.1, reference.cpuPercent)).toFixed(1)}, ` +
      `memory ×${(fleet.rssMiB / reference.rssMiB).toFixed(1)}, health p99 ×${(percentile(fleet.health, 99) / percentile(reference.health, 99)).toFixed(1)}`,
  );
}
