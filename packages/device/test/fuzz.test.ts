// Fuzzing the device's control port (docs/fuzzing.md): thousands of structure-aware
// mutations of the shared request vectors, over real TCP to a device in its own process.
// The device must not die, every error reply must carry a known code, and a well-behaved
// client on another connection must keep getting answers. The seed is printed; a failure
// is replayed with PICOLINK_FUZZ_SEED and PICOLINK_FUZZ_INPUTS.
import { test } from 'node:test';
import { assertCampaignClean, campaignSeed, onlyInputs, runCampaign } from '@picolink/test-kit/fuzz';
import { deviceFuzzTarget } from './fuzz-target.js';

const INPUTS = 12_000;
const TIME_LIMIT_MS = 5_000;

test('fuzz: the device survives malformed, deep, huge and prototype-keyed frames and keeps serving others', async (t) => {
  const seed = campaignSeed();
  t.diagnostic(`seed ${seed}`);
  const only = onlyInputs();
  const report = await runCampaign(deviceFuzzTarget(seed), { seed, inputs: INPUTS, timeLimitMs: TIME_LIMIT_MS, batch: 32, concurrency: 4, ...(only ? { only } : {}) });
  assertCampaignClean(t, report, Math.min(only?.length ?? 1000, 1000));
});
