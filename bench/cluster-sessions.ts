/**
 * `npm run bench -- cluster-sessions`: 10,000 dial-home sessions spread over two hub
 * processes sharing one PostgreSQL (a throwaway cluster from `@picolink/test-kit/postgres`),
 * half dialing each hub. Figures, per hub: memory per session it holds (RSS and JS heap
 * growth from before the first device connected to after all were online, after a full
 * GC), the heartbeat round (the hub pings every session it holds and has every answer),
 * and the time from the first connection until the hub's own gateway holds its half and
 * until its API (`GET /api/devices`) lists all 10,000 online — the other hub's devices
 * through the presence rows in the database.
 *
 * The reference, measured in the same run: one hub process on SQLite (no cluster) holding
 * as many sessions as each cluster hub, with the same devices and the same heartbeat
 * setting (gateway.heartbeatMs 15 s, the default, so presence renewal runs as it would).
 * Devices run in two processes, one per hub, at most 200 of each waiting for a welcome at
 * once (bench/sessions-devices.ts "paced"). PICOLINK_BENCH_SESSIONS changes the count.
 * `--unpaced`: every device dials at once, as after a hub restart (the storm); connections
 * the hubs close before a welcome are counted and reported, not an error.
 */
import { startPostgres } from '@picolink/test-kit/postgres';
import { Child, kb, median, ms, printTable, sessionCount } from './sessions-child.js';
import type { Memory, Message } from './sessions-child.js';

const DEFAULT_SESSIONS = 10_000;
const HEARTBEAT_MS = 15_000;
const ROUNDS = 5;
const ROUND_TIMEOUT_MS = 10_000;
/** How long all sessions may take to connect, ms. */
const CONNECT_LIMIT_MS = 300_000;
/** How long, after every hub holds its own sessions, every API may take to list all of them online, ms. */
const LIST_LIMIT_MS = 60_000;
const POLL_MS = 250;
/** Every device dials at once instead of at most 200 per process waiting for a welcome. */
const UNPACED = process.argv.includes('--unpaced');
/** Time for the hubs to finish what follows a welcome (get_info, store writes) before memory is read. */
const SETTLE_MS = 2_000;

interface HubRun {
  name: string;
  held: number;
  heapPerSession: number;
  rssPerSession: number;
  rounds: number[];
  roundCpuMs: number[];
  answered: number;
  /** From the first connection until the hub's gateway held its sessions, ms. */
  heldMs: number;
  /** From the first connection until its API listed every device of the run online, ms; undefined when not within the limit. */
  listedMs: number | undefined;
  /** Devices its API listed online at the last look. */
  listedOnline: number;
  /** Of its devices, connections that ended before the measurement (closed by the hub). */
  closed: number;
}

export interface StartedHub {
  child: Child;
  httpPort: number;
  gatewayPort: number;
  baseline: Memory;
}

export async function startHubChild(store: string): Promise<StartedHub> {
  const child = new Child('./cluster-hub.js', [store, String(HEARTBEAT_MS)], ['--expose-gc']);
  const ready = await child.next('ready');
  return { child, httpPort: Number(ready.httpPort), gatewayPort: Number(ready.gatewayPort), baseline: ready.memory as Memory };
}

/** Devices the hub's API lists online. */
async function listedOnline(httpPort: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/api/devices`);
  if (!response.ok) throw new Error(`GET /api/devices answered ${response.status}`);
  const body = (await response.json()) as { devices: Array<{ online: boolean }> };
  return body.devices.filter((device) => device.online).length;
}

/**
 * Connects `sessions` devices, split evenly over the hubs (one device process per hub), and
 * measures every hub. Stops the devices; the hubs are the caller's.
 */
async function measure(hubs: StartedHub[], names: string[], sessions: number, prefix: string): Promise<HubRun[]> {
  const shares = hubs.map((_, i) => Math.floor(sessions / hubs.length) + (i < sessions % hubs.length ? 1 : 0));
  const devices: Child[] = [];
  try {
    const started = performance.now();
    // Paced: at most 200 devices per process wait for a welcome at once, as devices backing
    // off would; all at once, a hub on a loaded machine closes those whose hello it cannot
    // read within 10 s.
    const pacing = UNPACED ? 'all' : 'paced';
    hubs.forEach((hub, i) => devices.push(new Child('./sessions-devices.js', [String(hub.gatewayPort), String(shares[i]), 'hello', `${prefix}${i}`, pacing])));
    const heldMs: Array<number | undefined> = hubs.map(() => undefined);
    const listedMs: Array<number | undefined> = hubs.map(() => undefined);
    const listed = hubs.map(() => 0);
    // A hub kept off the CPU too long closes connections whose hello it has not read in
    // time (10 s); those devices are not retried, so what is expected shrinks by them.
    let closed = hubs.map(() => 0);
    let allHeldAt: number | undefined;
    let lastReport = 0;
    for (;;) {
      const now = performance.now();
      closed = await Promise.all(devices.map(async (device) => Number((await device.ask({ type: 'welcomed' })).closed)));
      const expected = sessions - closed.reduce((a, b) => a + b, 0);
      for (const [i, hub] of hubs.entries()) {
        if (heldMs[i] === undefined && Number((await hub.child.ask({ type: 'count' })).count) >= (shares[i] ?? 0) - (closed[i] ?? 0)) heldMs[i] = performance.now() - started;
        if (listedMs[i] === undefined) {
          listed[i] = await listedOnline(hub.httpPort);
          if (listed[i] >= expected) listedMs[i] = performance.now() - started;
        }
      }
      if (allHeldAt === undefined && heldMs.every((t) => t !== undefined)) allHeldAt = now;
      if (listedMs.every((t) => t !== undefined)) break;
      if (allHeldAt === undefined && now - started > CONNECT_LIMIT_MS) throw new Error(`the hubs did not hold all ${expected} sessions within ${CONNECT_LIMIT_MS} ms`);
      if (allHeldAt !== undefined && now - allHeldAt > LIST_LIMIT_MS) break;
      if (now - lastReport > 5_000) {
        lastReport = now;
        console.log(`  ${((now - started) / 1000).toFixed(0)} s: listed online ${names.map((name, i) => `${name} ${listed[i]}`).join(', ')} of ${expected}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const lost = closed.reduce((a, b) => a + b, 0);
    if (!UNPACED && lost > sessions / 20) throw new Error(`${lost} of ${sessions} connections were closed before a welcome; the machine is too busy for this run`);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const after = await Promise.all(hubs.map(async (hub) => (await hub.child.ask({ type: 'memory' })).memory as Memory));
    const rounds: Message[][] = hubs.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, hub] of hubs.entries()) rounds[i]?.push(await hub.child.ask({ type: 'round', timeoutMs: ROUND_TIMEOUT_MS }, ROUND_TIMEOUT_MS + 5_000));
    }
    return hubs.map((hub, i) => {
      const held = (shares[i] ?? 0) - (closed[i] ?? 0);
      const grown = after[i] as Memory;
      const mine = rounds[i] ?? [];
      return {
        name: names[i] ?? '',
        held,
        heapPerSession: (grown.heap - hub.baseline.heap) / held,
        rssPerSession: (grown.rss - hub.baseline.rss) / held,
        rounds: mine.map((m) => Number(m.ms)),
        roundCpuMs: mine.map((m) => Number(m.cpuMs)),
        answered: Math.min(...mine.map((m) => Number(m.answered))),
        heldMs: heldMs[i] ?? Number.NaN,
        listedMs: listedMs[i],
        listedOnline: listed[i] ?? 0,
        closed: closed[i] ?? 0,
      };
    });
  } finally {
    await Promise.all(devices.map((device) => device.stop()));
  }
}

export async function benchClusterSessions(): Promise<void> {
  // Each device process and each hub holds half of the sessions.
  const sessions = sessionCount(DEFAULT_SESSIONS, (n) => Math.ceil(n / 2));
  const half = Math.floor(sessions / 2);
  console.log(
    `${sessions} dial-home sessions over two hubs on one PostgreSQL; reference: one hub on SQLite with ${half}; ${ROUNDS} heartbeat rounds each; ${UNPACED ? 'unpaced (every device dials at once)' : 'paced'}`,
  );

  let reference: HubRun | undefined;
  const single = await startHubChild('sqlite');
  try {
    [reference] = await measure([single], ['SQLite hub'], half, 'single');
  } finally {
    await single.child.stop();
  }

  const database = await startPostgres();
  const hubs: StartedHub[] = [];
  let cluster: HubRun[] = [];
  try {
    // One after the other: the first one migrates the schema.
    hubs.push(await startHubChild(database.url));
    hubs.push(await startHubChild(database.url));
    cluster = await measure(hubs, ['hub A', 'hub B'], sessions, 'cluster');
  } finally {
    for (const hub of hubs) await hub.child.stop();
    await database.stop();
  }
  if (!reference) return;

  const runs = [...cluster, reference];
  const clusterHeld = cluster.reduce((sum, run) => sum + run.held, 0);
  const listedText = (run: HubRun, total: number): string => (run.listedMs === undefined ? `not reached (${run.listedOnline} of ${total})` : ms(run.listedMs));
  printTable([
    ['', ...cluster.map((run) => `${run.name} (PostgreSQL)`), `one hub, SQLite (reference)`],
    ['sessions held', ...runs.map((run) => String(run.held))],
    ['connections closed before a welcome', ...runs.map((run) => String(run.closed))],
    ['memory per session held, RSS', ...runs.map((run) => kb(run.rssPerSession))],
    ['memory per session held, JS heap', ...runs.map((run) => kb(run.heapPerSession))],
    ['heartbeat round, median', ...runs.map((run) => ms(median(run.rounds)))],
    ['heartbeat round, slowest', ...runs.map((run) => ms(Math.max(...run.rounds)))],
    ['hub CPU per round, median', ...runs.map((run) => ms(median(run.roundCpuMs)))],
    ['answers per round (fewest)', ...runs.map((run) => `${run.answered}/${run.held}`)],
    ['own sessions held after', ...runs.map((run) => ms(run.heldMs))],
    ['API lists every device online after', ...cluster.map((run) => listedText(run, clusterHeld)), listedText(reference, reference.held)],
  ]);
  const everyHub = cluster.every((run) => run.listedMs !== undefined);
  const slowest = Math.max(...cluster.map((run) => run.listedMs ?? Number.POSITIVE_INFINITY));
  console.log(
    everyHub
      ? `every hub's API listed all ${clusterHeld} online ${ms(slowest)} after the first connection (own sessions held after ${ms(Math.max(...cluster.map((run) => run.heldMs)))})`
      : `NOT every hub's API listed all ${clusterHeld} online within ${LIST_LIMIT_MS} ms of holding its own sessions`,
  );
}
