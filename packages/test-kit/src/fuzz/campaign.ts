/**
 * A fuzz campaign against one target process: several sessions send generated inputs in
 * batches while a well-behaved client asks the same process a simple question over and
 * over, its latency measured first alone (the baseline) and then during fuzzing. The
 * oracle: the process never dies, every reply is acceptable (see oracle.ts), and the
 * well-behaved client keeps getting answers.
 *
 * When the process dies, the inputs in flight (and each session's last few batches) are the
 * suspects; with `isolate`, they are replayed on fresh processes, halving the set each
 * time, to name the input that kills. The campaign then restarts the target and goes on,
 * up to `maxRestarts` times, so one run can find several distinct crashes.
 *
 * Bounds: at most `inputs` inputs and `timeLimitMs` of fuzzing (isolation adds at most
 * MAX_ISOLATION_RUNS process starts per death); every send waits at most `sendTimeoutMs`.
 */
import { excerpt } from './oracle.js';
import { LatencyRecorder } from './latency.js';
import type { TargetProcess } from './target-process.js';

const MAX_ISOLATION_RUNS = 16;
/** How long a replayed input has to kill a fresh process before it is declared harmless. */
const ISOLATION_SETTLE_MS = 300;
/** Batches per session that stay suspects after they were answered. */
const SUSPECT_BATCHES = 3;
/** Tries per batch of suspects, and the pause between them, in ms. */
const ISOLATION_ATTEMPTS = 3;
const ISOLATION_RETRY_MS = 200;

/** Something wrong in a reply (not a death). */
export interface FuzzProblem {
  kind: string;
  /** What is wrong, the same words for the same fault (problems are counted by it). */
  detail: string;
  inputs: number[];
  /** An excerpt of what came back, for the report. */
  sample?: string;
}

/** Thrown by a session the target would not let in (a refused hello, a refused upgrade): its inputs were not sent. */
export class SessionRefusedError extends Error {}

/** One connection (or a series of them) that carries inputs to the target. */
export interface FuzzSession {
  /**
   * Sends the inputs and checks the replies; rejects when the connection broke. `plain`
   * (used to isolate a killer) sends each input whole, one write or message each, so an
   * input does the same harm whatever batch it is in.
   */
  send(indices: readonly number[], options?: { plain?: boolean }): Promise<FuzzProblem[]>;
  close(): void;
}

/** The well-behaved client: one simple request, resolved when answered as expected. */
export interface ProbeClient {
  ask(): Promise<void>;
  close(): void;
}

export interface FuzzTarget {
  name: string;
  start(): Promise<TargetProcess>;
  open(target: TargetProcess): Promise<FuzzSession>;
  probe(target: TargetProcess): Promise<ProbeClient>;
  /** Input `index` in words, for reports (its mutations and an excerpt of its bytes). */
  describe(index: number): string;
}

export interface CampaignOptions {
  seed: number;
  /** Most inputs to send. */
  inputs: number;
  /** Most time to spend sending them, in ms. */
  timeLimitMs: number;
  /** Inputs per send. Default 32. */
  batch?: number;
  /** Sessions at once. Default 4. */
  concurrency?: number;
  /** Time the well-behaved client runs alone first, in ms. Default 500. */
  baselineMs?: number;
  /** Pause between the well-behaved client's requests, in ms. Default 5. */
  probeIntervalMs?: number;
  /** A well-behaved request unanswered this long is a failure, in ms. Default 2000. */
  probeTimeoutMs?: number;
  /** A send unanswered this long is a problem, in ms. Default 10000. */
  sendTimeoutMs?: number;
  /** Restarts after a death, to look for further crashes. Default 0. */
  maxRestarts?: number;
  /** Replay the suspects of a death on fresh processes to name the killer. Default true. */
  isolate?: boolean;
  /** Send only these inputs (reproducing a report), instead of 0, 1, 2, … */
  only?: readonly number[];
}

export interface FuzzDeath {
  death: string;
  /** Inputs in flight or just answered when it died. */
  suspects: number[];
  /** The smallest set of suspects found to kill a fresh process alone, when isolation found one. */
  killers?: number[];
  described: string[];
}

export interface FuzzReport {
  target: string;
  seed: number;
  inputsSent: number;
  elapsedMs: number;
  inputsPerSecond: number;
  deaths: FuzzDeath[];
  problems: Array<{ kind: string; detail: string; count: number; inputs: number[]; sample?: string; described: string[] }>;
  /** Connections the target closed (not a failure by itself: a bad frame may end its connection). */
  connectionsClosed: number;
  probe: { baseline: ReturnType<LatencyRecorder['summary']>; during: ReturnType<LatencyRecorder['summary']> };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(`${what}: no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class TimeoutError extends Error {}

/** Runs the well-behaved client until `stop()`; failures while the target is alive are counted. */
class ProbeLoop {
  private stopped = false;
  private readonly done: Promise<void>;
  lastFailure: string | undefined;

  constructor(
    private readonly client: ProbeClient,
    private readonly target: TargetProcess,
    private readonly recorder: LatencyRecorder,
    private readonly options: { intervalMs: number; timeoutMs: number },
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.target.alive) {
      const started = performance.now();
      try {
        await withTimeout(this.client.ask(), this.options.timeoutMs, 'the well-behaved client');
        this.recorder.add(performance.now() - started);
      } catch (err) {
        // A dying target fails the request a moment before its exit is seen: that is the death, not a failure.
        if (!(err instanceof TimeoutError)) await Promise.race([this.target.exited, delay(200)]);
        if (this.stopped || !this.target.alive) break;
        this.recorder.failures += 1;
        this.lastFailure = (err as Error).message;
        // A probe whose connection broke cannot go on; the failure is recorded.
        if (!(err instanceof TimeoutError)) break;
      }
      await delay(this.options.intervalMs);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    this.client.close();
  }
}

/** Runs one campaign; never throws for what the target does (that is the report). */
export async function runCampaign(target: FuzzTarget, options: CampaignOptions): Promise<FuzzReport> {
  const batch = options.batch ?? 32;
  const concurrency = options.concurrency ?? 4;
  const sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
  const probeOptions = { intervalMs: options.probeIntervalMs ?? 5, timeoutMs: options.probeTimeoutMs ?? 2000 };
  const baseline = new LatencyRecorder();
  const during = new LatencyRecorder();
  const problems = new Map<string, FuzzReport['problems'][number]>();
  const deaths: FuzzDeath[] = [];
  let connectionsClosed = 0;
  let next = 0;
  let sent = 0;
  const total = options.only ? options.only.length : options.inputs;
  const indexAt = (i: number): number => (options.only ? (options.only[i] as number) : i);

  const record = (problem: FuzzProblem): void => {
    const key = `${problem.kind}: ${problem.detail}`;
    const known = problems.get(key);
    if (known) {
      known.count += 1;
      if (known.inputs.length < 3) known.inputs.push(...problem.inputs.slice(0, 3 - known.inputs.length));
    } else {
      problems.set(key, { kind: problem.kind, detail: problem.detail, count: 1, inputs: problem.inputs.slice(0, 3), ...(problem.sample !== undefined ? { sample: problem.sample } : {}), described: [] });
    }
  };

  let running = await target.start();
  {
    const probe = new ProbeLoop(await target.probe(running), running, baseline, probeOptions);
    await delay(options.baselineMs ?? 500);
    await probe.stop();
  }

  const started = performance.now();
  // Isolating a death's killer moves the deadline on by the time it took.
  let deadline = started + options.timeLimitMs;
  let isolationMs = 0;
  for (let restarts = 0; ; restarts++) {
    const sessions = new Set<FuzzSession>();
    const inFlight = new Map<number, readonly number[]>();
    const previous = new Map<number, number[]>();
    let died = false;
    void running.exited.then(() => {
      if (running.death === undefined) return;
      died = true;
      for (const session of sessions) session.close();
    });
    const probe = new ProbeLoop(await target.probe(running), running, during, probeOptions);
    const take = (): number[] | undefined => {
      if (died || next >= total || performance.now() > deadline) return undefined;
      const indices: number[] = [];
      while (indices.length < batch && next < total) indices.push(indexAt(next++));
      return indices;
    };
    const worker = async (id: number): Promise<void> => {
      let session: FuzzSession | undefined;
      for (;;) {
        const indices = take();
        if (!indices) break;
        inFlight.set(id, indices);
        try {
          if (!session) {
            session = await target.open(running);
            sessions.add(session);
          }
          for (const problem of await withTimeout(session.send(indices), sendTimeoutMs, `${target.name} session`)) record(problem);
          sent += indices.length;
        } catch (err) {
          if (died) {
            sent += indices.length;
            break;
          }
          if (err instanceof SessionRefusedError) {
            record({ kind: 'session refused', detail: err.message, inputs: [] });
          } else {
            sent += indices.length;
            if (err instanceof TimeoutError) record({ kind: 'no-answer', detail: err.message, inputs: [...indices] });
            else connectionsClosed += 1;
          }
          if (session) {
            session.close();
            sessions.delete(session);
          }
          session = undefined;
        }
        inFlight.delete(id);
        // The last few batches stay suspects: a request can fail later (a lease ending, a reply from the device).
        previous.set(id, [...(previous.get(id) ?? []), ...indices].slice(-SUSPECT_BATCHES * batch));
      }
      if (session) {
        session.close();
        sessions.delete(session);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
    await probe.stop();
    // Addresses, ports and counters differ from line to line; the rest names the fault.
    for (const line of running.internalErrors) record({ kind: 'internal error logged', detail: line.replace(/\d+(\.\d+)*(:\d+)?/g, 'N').slice(0, 300), inputs: [] });
    if (probe.lastFailure !== undefined && !died) record({ kind: 'well-behaved client', detail: probe.lastFailure, inputs: [] });
    if (!died) {
      // Give a death caused by the last inputs a moment to show.
      await Promise.race([running.exited, delay(100)]);
      died = running.death !== undefined;
    }
    if (!died) break;
    const suspects = [...new Set([...inFlight.values(), ...previous.values()].flat())].sort((a, b) => a - b);
    const death: FuzzDeath = { death: running.death ?? 'died', suspects, described: [] };
    if (options.isolate ?? true) {
      const isolating = performance.now();
      const killers = await isolate(target, suspects, batch, sendTimeoutMs);
      if (killers) death.killers = killers;
      isolationMs += performance.now() - isolating;
      deadline += performance.now() - isolating;
    }
    death.described = (death.killers ?? suspects).slice(0, 5).map((i) => `#${i}: ${target.describe(i)}`);
    deaths.push(death);
    if (restarts >= (options.maxRestarts ?? 0) || next >= total || performance.now() > deadline) break;
    running = await target.start();
  }
  await running.stop();
  const elapsedMs = performance.now() - started - isolationMs;
  const report: FuzzReport = {
    target: target.name,
    seed: options.seed,
    inputsSent: sent,
    elapsedMs,
    inputsPerSecond: sent / (elapsedMs / 1000),
    deaths,
    problems: [...problems.values()],
    connectionsClosed,
    probe: { baseline: baseline.summary(), during: during.summary() },
  };
  for (const problem of report.problems) problem.described = problem.inputs.map((i) => `#${i}: ${target.describe(i)}`);
  return report;
}

/** Sends `indices` to a fresh process; true when it died. */
async function killsFreshProcess(target: FuzzTarget, indices: readonly number[], batch: number, sendTimeoutMs: number): Promise<boolean> {
  const running = await target.start();
  try {
    let session: FuzzSession | undefined;
    for (let i = 0; i < indices.length && running.alive; i += batch) {
      // A batch that could not be delivered (the target was restarting after a valid
      // `update`, or refused a greeting) is tried again, so that every suspect is sent.
      for (let attempt = 0; attempt < ISOLATION_ATTEMPTS && running.alive; attempt++) {
        try {
          session ??= await target.open(running);
          await withTimeout(session.send(indices.slice(i, i + batch), { plain: true }), sendTimeoutMs, 'isolation');
          break;
        } catch {
          session?.close();
          session = undefined;
          await delay(ISOLATION_RETRY_MS);
        }
      }
    }
    session?.close();
    await Promise.race([running.exited, delay(ISOLATION_SETTLE_MS)]);
    return running.death !== undefined;
  } finally {
    await running.stop();
  }
}

/** Halves the suspects while one half alone still kills a fresh process. */
async function isolate(target: FuzzTarget, suspects: readonly number[], batch: number, sendTimeoutMs: number): Promise<number[] | undefined> {
  let runs = 0;
  let set = [...suspects];
  if (set.length === 0) return undefined;
  runs += 1;
  if (!(await killsFreshProcess(target, set, batch, sendTimeoutMs))) return undefined;
  while (set.length > 1 && runs < MAX_ISOLATION_RUNS) {
    const half = Math.ceil(set.length / 2);
    const first = set.slice(0, half);
    const second = set.slice(half);
    runs += 1;
    if (await killsFreshProcess(target, first, batch, sendTimeoutMs)) {
      set = first;
      continue;
    }
    if (runs >= MAX_ISOLATION_RUNS) break;
    runs += 1;
    if (await killsFreshProcess(target, second, batch, sendTimeoutMs)) {
      set = second;
      continue;
    }
    break; // It takes inputs from both halves together.
  }
  return set;
}

/** The report in a few lines, for test failures and the bench. */
export function formatReport(report: FuzzReport): string {
  const lines = [
    `${report.target}: seed ${report.seed}, ${report.inputsSent} inputs in ${(report.elapsedMs / 1000).toFixed(1)} s (${Math.round(report.inputsPerSecond)}/s), ` +
      `${report.deaths.length} deaths, ${report.problems.length} kinds of bad reply, ${report.connectionsClosed} connections closed by the target`,
    `  well-behaved client p99 ${report.probe.during.p99Ms.toFixed(2)} ms during fuzzing (${report.probe.during.count} answers, ${report.probe.during.failures} failures), ` +
      `${report.probe.baseline.p99Ms.toFixed(2)} ms alone (${report.probe.baseline.count} answers)`,
  ];
  for (const death of report.deaths) {
    lines.push(`  DEATH: ${excerpt(death.death, 600)}`);
    lines.push(`    ${death.killers ? `killed by input(s) ${death.killers.join(', ')}` : `suspects ${death.suspects.slice(0, 20).join(', ')}${death.suspects.length > 20 ? ', …' : ''} (no single one kills a fresh process alone)`}`);
    for (const d of death.described) lines.push(`    ${d}`);
  }
  for (const problem of report.problems) {
    lines.push(`  ${problem.kind} ×${problem.count}: ${problem.detail}${problem.sample !== undefined ? `; e.g. ${problem.sample}` : ''}`);
    for (const d of problem.described) lines.push(`    ${d}`);
  }
  lines.push(`  reproduce: PICOLINK_FUZZ_SEED=${report.seed} PICOLINK_FUZZ_INPUTS=<index,index,…>`);
  return lines.join('\n');
}
