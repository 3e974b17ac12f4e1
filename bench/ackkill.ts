/**
 * `npm run bench -- ackkill`: "ack means stored" under SIGKILL (bench/README.md#ackkill).
 * KILLS times: a hub process on one data directory receives 5,000 datagrams/s asking for
 * acks from a sender process, is killed with SIGKILL 0.5-1.5 s into the stream and started
 * again; every acknowledged reading is looked up in the store (the trial is the one of the
 * test suite, `#hub-ack-kill` in the root package.json). Prints acked / found / lost per kill, and the
 * ack latency p50/p99 over all kills beside the reference measured in the same run: the
 * same sender against a receiver that acks as soon as it has queued a reading (the order
 * before acks waited for the commit; ackkill-reference.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAckKillTrial, runAckSender } from '#hub-ack-kill';
import { forkChild } from './ingest.js';

const KILLS = 10;
const RATE = 5000;
const REFERENCE_MS = 3000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;

export async function benchAckKill(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'picolink-bench-ackkill-'));
  const latencies: number[] = [];
  let totalLost = 0;
  try {
    console.log(`${KILLS} SIGKILLs of a hub process receiving ${RATE} datagrams/s (acks on), restarted on the same data directory:`);
    for (let kill = 1; kill <= KILLS; kill++) {
      const killAfterMs = 500 + Math.floor(Math.random() * 1000);
      const result = await runAckKillTrial({ dataDir, device: `ackkill-${kill}`, boot: 1, ratePerSecond: RATE, killAfterMs });
      totalLost += result.lost.length;
      for (const latency of result.latenciesMs) latencies.push(latency);
      console.log(`  kill ${String(kill).padStart(2)} at ${killAfterMs} ms: sent ${result.sent}, acked ${result.acked}, found ${result.found}, lost ${result.lost.length}`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`  acknowledged readings lost over ${KILLS} kills: ${totalLost}`);

  const { child: reference, hello } = await forkChild<{ port: number }>('./ackkill-reference.js', {});
  let referenceLatencies: number[];
  try {
    referenceLatencies = (await runAckSender(hello.port, 'ackref-1', RATE, REFERENCE_MS)).latenciesMs;
  } finally {
    await reference.stop();
  }
  latencies.sort((a, b) => a - b);
  referenceLatencies.sort((a, b) => a - b);
  console.log(`ack latency at ${RATE}/s, send to ack (sender's clock):`);
  console.log(`  ack once stored (the hub)          p50 ${ms(percentile(latencies, 50))}  p99 ${ms(percentile(latencies, 99))}  (${latencies.length} acks)`);
  console.log(`  ack at once, before storing (ref.) p50 ${ms(percentile(referenceLatencies, 50))}  p99 ${ms(percentile(referenceLatencies, 99))}  (${referenceLatencies.length} acks)`);
}
