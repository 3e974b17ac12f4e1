/**
 * `npm run bench -- sessions`: 10,000 concurrent dial-home sessions on one hub gateway.
 * Figures: hub memory per session (RSS and JS heap, growth from before the first device
 * connected to after all were welcomed and recorded, after a full GC, divided by the
 * sessions) and the time of a full heartbeat round (the hub pings every session and
 * has every answer). Beside them, the reference measured in the same run: a minimal
 * server holding the same number of bare TCP connections, its round one ping line
 * written to each and every answer line counted (the devices answer both alike). Targets (issue 4): ≤ 10 KB per session, a round under 1 s.
 *
 * The gateway (with its SQLite store) and the reference each run in their own process;
 * the devices run in two more. Each process gets its open-file limit raised to the hard
 * limit (`ulimit -n` in a bash wrapper); with a hard limit below about 10,200 the bench
 * runs fewer sessions and says so. PICOLINK_BENCH_SESSIONS changes the count.
 */
import { Child, kb, ms, printTable, sessionCount, SETUP_LIMIT_MS } from './sessions-child.js';
import type { Memory } from './sessions-child.js';

const DEFAULT_SESSIONS = 10_000;
const DEVICE_PROCESSES = 2;
const ROUNDS = 5;
const ROUND_TIMEOUT_MS = 10_000;
/** Time for the hub to finish what follows a welcome (get_info, store writes) before memory is read. */
const SETTLE_MS = 2_000;

interface Measured {
  sessions: number;
  heapPerSession: number;
  rssPerSession: number;
  rounds: number[];
  /** CPU time of the server process per round, ms (median). */
  roundCpuMs: number;
  answered: number;
  setupMs: number;
}

async function measure(kind: 'gateway' | 'reference', sessions: number): Promise<Measured> {
  const server = new Child('./sessions-hub.js', [kind], ['--expose-gc']);
  const devices: Child[] = [];
  try {
    const ready = await server.next('ready');
    const port = Number(ready.port);
    const baseline = ready.memory as Memory;
    const started = performance.now();
    for (let i = 0; i < DEVICE_PROCESSES; i++) {
      const share = Math.floor(sessions / DEVICE_PROCESSES) + (i < sessions % DEVICE_PROCESSES ? 1 : 0);
      devices.push(new Child('./sessions-devices.js', [String(port), String(share), kind === 'gateway' ? 'hello' : 'bare', `bench${i}`]));
    }
    const opened = await Promise.all(devices.map((device) => device.next('opened')));
    const failed = opened.reduce((sum, m) => sum + Number(m.failed), 0);
    if (failed > 0) throw new Error(`${failed} connections failed; is the open-file limit high enough?`);
    const deadline = Date.now() + SETUP_LIMIT_MS;
    for (;;) {
      const { count } = await server.ask({ type: 'count' });
      if (Number(count) >= sessions) break;
      if (Date.now() > deadline) throw new Error(`only ${String(count)} of ${sessions} sessions after ${SETUP_LIMIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const setupMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const after = (await server.ask({ type: 'memory' })).memory as Memory;
    const rounds: number[] = [];
    const cpu: number[] = [];
    let answered = sessions;
    for (let i = 0; i < ROUNDS; i++) {
      const round = await server.ask({ type: 'round', timeoutMs: ROUND_TIMEOUT_MS }, ROUND_TIMEOUT_MS + 5000);
      rounds.push(Number(round.ms));
      cpu.push(Number(round.cpuMs));
      answered = Math.min(answered, Number(round.answered));
    }
    cpu.sort((a, b) => a - b);
    return {
      sessions,
      heapPerSession: (after.heap - baseline.heap) / sessions,
      rssPerSession: (after.rss - baseline.rss) / sessions,
      rounds: rounds.sort((a, b) => a - b),
      roundCpuMs: cpu[Math.floor(cpu.length / 2)] ?? 0,
      answered,
      setupMs,
    };
  } finally {
    await Promise.all(devices.map((device) => device.stop()));
    await server.stop();
  }
}

export async function benchSessions(): Promise<void> {
  const sessions = sessionCount(DEFAULT_SESSIONS);
  console.log(`${sessions} concurrent sessions; devices in ${DEVICE_PROCESSES} processes; ${ROUNDS} heartbeat rounds each`);
  const reference = await measure('reference', sessions);
  const gateway = await measure('gateway', sessions);
  const median = (m: Measured): number => m.rounds[Math.floor(m.rounds.length / 2)] ?? 0;
  const rows: Array<[string, string, string, string]> = [
    ['', 'hub gateway', 'bare TCP (reference)', 'ratio'],
    ['memory per session, RSS', kb(gateway.rssPerSession), kb(reference.rssPerSession), `${(gateway.rssPerSession / reference.rssPerSession).toFixed(2)}×`],
    ['memory per session, JS heap', kb(gateway.heapPerSession), kb(reference.heapPerSession), `${(gateway.heapPerSession / reference.heapPerSession).toFixed(2)}×`],
    ['heartbeat round, median', ms(median(gateway)), ms(median(reference)), `${(median(gateway) / median(reference)).toFixed(2)}×`],
    ['heartbeat round, slowest', ms(gateway.rounds.at(-1) ?? 0), ms(reference.rounds.at(-1) ?? 0), ''],
    ['server CPU per round, median', ms(gateway.roundCpuMs), ms(reference.roundCpuMs), `${(gateway.roundCpuMs / reference.roundCpuMs).toFixed(2)}×`],
    ['answers per round', `${gateway.answered}/${sessions}`, `${reference.answered}/${sessions}`, ''],
    ['time to connect all', ms(gateway.setupMs), ms(reference.setupMs), ''],
  ];
  printTable(rows);
  const memoryOk = gateway.rssPerSession <= 10 * 1024;
  const roundOk = median(gateway) < 1000 && gateway.answered === sessions;
  console.log(`targets: ≤ 10 KB of hub memory per session: ${memoryOk ? 'met' : 'NOT met'}; a full heartbeat round under 1 s (median): ${roundOk ? 'met' : 'NOT met'}`);
}
