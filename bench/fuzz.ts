/**
 * `npm run bench -- fuzz`: the long fuzz run (docs/fuzzing.md). About 1,100,000
 * structure-aware inputs across every process that takes peer input — a device's control
 * port, the hub's gateway before and after hello, a hub:// link, the HTTP API and the
 * telemetry port — each target in its own process. Figures per target: deaths (must be
 * 0), kinds of bad reply, inputs/s, and the p99 round trip of a well-behaved client served
 * by the same process during fuzzing, beside its p99 measured alone (no fuzzing) in the
 * same run just before.
 *
 * Bounds: each target stops at its input count or its time limit, whichever comes first
 * (at most about 7 minutes in all, plus isolating any killer found); after a death the
 * target is restarted at most MAX_RESTARTS times. PICOLINK_FUZZ_SEED fixes the seed;
 * PICOLINK_FUZZ_SCALE (default 1) multiplies every input count.
 */
import { campaignSeed, formatReport, runCampaign } from '@picolink/test-kit/fuzz';
import type { CampaignOptions, FuzzReport, FuzzTarget } from '@picolink/test-kit/fuzz';
import { deviceFuzzTarget } from '#device-fuzz-target';
import { gatewayDeviceFuzzTarget, gatewayHelloFuzzTarget, httpFuzzTarget, linkFuzzTarget, telemetryFuzzTarget } from '#hub-fuzz';

const MAX_RESTARTS = 5;
const BASELINE_MS = 3000;

interface Plan {
  target: (seed: number) => FuzzTarget;
  inputs: number;
  timeLimitMs: number;
  batch: number;
  concurrency: number;
}

const PLANS: Plan[] = [
  { target: deviceFuzzTarget, inputs: 300_000, timeLimitMs: 100_000, batch: 64, concurrency: 4 },
  { target: gatewayHelloFuzzTarget, inputs: 30_000, timeLimitMs: 45_000, batch: 16, concurrency: 8 },
  { target: gatewayDeviceFuzzTarget, inputs: 300_000, timeLimitMs: 70_000, batch: 64, concurrency: 4 },
  { target: linkFuzzTarget, inputs: 150_000, timeLimitMs: 70_000, batch: 64, concurrency: 4 },
  { target: httpFuzzTarget, inputs: 30_000, timeLimitMs: 60_000, batch: 8, concurrency: 8 },
  { target: telemetryFuzzTarget, inputs: 300_000, timeLimitMs: 60_000, batch: 64, concurrency: 4 },
];

function scale(): number {
  const given = process.env.PICOLINK_FUZZ_SCALE;
  const value = given === undefined || given === '' ? 1 : Number(given);
  if (!(value > 0 && value <= 10)) throw new Error(`PICOLINK_FUZZ_SCALE must be a number above 0 and at most 10, not "${given}"`);
  return value;
}

export async function benchFuzz(): Promise<void> {
  const seed = campaignSeed();
  const factor = scale();
  console.log(`seed ${seed} (replay: PICOLINK_FUZZ_SEED=${seed} npm run bench -- fuzz)`);
  const reports: FuzzReport[] = [];
  for (const plan of PLANS) {
    const options: CampaignOptions = {
      seed,
      inputs: Math.round(plan.inputs * factor),
      timeLimitMs: plan.timeLimitMs * factor,
      batch: plan.batch,
      concurrency: plan.concurrency,
      baselineMs: BASELINE_MS,
      maxRestarts: MAX_RESTARTS,
    };
    const report = await runCampaign(plan.target(seed), options);
    reports.push(report);
    console.log(formatReport(report));
  }
  const inputs = reports.reduce((sum, r) => sum + r.inputsSent, 0);
  const deaths = reports.reduce((sum, r) => sum + r.deaths.length, 0);
  const problems = reports.reduce((sum, r) => sum + r.problems.length, 0);
  console.log('');
  console.log('target                              inputs   inputs/s  deaths  bad-reply kinds  p99 fuzzing  p99 alone');
  for (const r of reports) {
    console.log(
      `${r.target.padEnd(34)} ${String(r.inputsSent).padStart(8)} ${String(Math.round(r.inputsPerSecond)).padStart(10)} ${String(r.deaths.length).padStart(7)} ${String(r.problems.length).padStart(16)} ` +
        `${r.probe.during.p99Ms.toFixed(1).padStart(9)} ms ${r.probe.baseline.p99Ms.toFixed(1).padStart(7)} ms`,
    );
  }
  console.log(`total: ${inputs} inputs, ${deaths} deaths (must be 0), ${problems} kinds of bad reply`);
  if (deaths > 0 || inputs < 1_000_000 * Math.min(1, factor)) process.exitCode = 1;
}
