// Fuzzing the device's control port (docs/fuzzing.md): thousands of structure-aware
// mutations of the shared request vectors, over real TCP to a device in its own process.
// The device must not die, every error reply must carry a known code, and a well-behaved
// client on another connection must keep getting answers. The seed is printed; a failure
// is replayed with PICOLINK_FUZZ_SEED and PICOLINK_FUZZ_INPUTS.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { campaignSeed, formatReport, onlyInputs, runCampaign } from '@picolink/protocol/test/fuzz';
import { deviceFuzzTarget } from './fuzz-target.js';

const INPUTS = 12_000;
const TIME_LIMIT_MS = 6_000;

test('fuzz: the device survives malformed, deep, huge and prototype-keyed frames and keeps serving others', async (t) => {
  const seed = campaignSeed();
  t.diagnostic(`seed ${seed}`);
  const only = onlyInputs();
  const report = await runCampaign(deviceFuzzTarget(seed), {
    seed,
    inputs: INPUTS,
    timeLimitMs: TIME_LIMIT_MS,
    batch: 32,
    concurrency: 4,
    ...(only ? { only } : {}),
  });
  const text = formatReport(report);
  for (const line of text.split('\n')) t.diagnostic(line);
  assert.ok(report.inputsSent >= Math.min(only?.length ?? Infinity, 1000), `too few inputs sent:\n${text}`);
  assert.deepEqual(report.deaths.map((d) => d.death.split('\n')[0]), [], text);
  assert.deepEqual(report.problems.map((p) => `${p.kind}: ${p.detail}`), [], text);
  assert.equal(report.probe.during.failures, 0, text);
  assert.ok(report.probe.during.count > 0, text);
});
