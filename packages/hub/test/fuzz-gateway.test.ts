// Fuzzing the hub's dial-home gateway (docs/fuzzing.md): first frames mutated from the
// hello vectors, each on a new connection, and — after a valid hello with a token —
// batches of mutated requests, responses and events. The hub runs in its own process; it
// must not die, must answer bad frames with error frames carrying known codes, and must
// keep serving a command through the gateway to another device meanwhile. The seed is
// printed; PICOLINK_FUZZ_SEED and PICOLINK_FUZZ_INPUTS replay a failure.
import { test } from 'node:test';
import { assertCampaignClean, campaignSeed, onlyInputs, runCampaign } from '@picolink/test-kit/fuzz';
import { gatewayDeviceFuzzTarget, gatewayHelloFuzzTarget } from './fuzz/index.js';

test('fuzz: the gateway refuses every malformed hello with a coded error and stays up', async (t) => {
  const seed = campaignSeed();
  t.diagnostic(`seed ${seed}`);
  const only = onlyInputs();
  const report = await runCampaign(gatewayHelloFuzzTarget(seed), { seed, inputs: 3000, timeLimitMs: 4000, batch: 8, concurrency: 8, ...(only ? { only } : {}) });
  assertCampaignClean(t, report, Math.min(only?.length ?? 300, 300));
});

test('fuzz: a welcomed device sending malformed frames cannot take the gateway down', async (t) => {
  const seed = campaignSeed();
  t.diagnostic(`seed ${seed}`);
  const only = onlyInputs();
  const report = await runCampaign(gatewayDeviceFuzzTarget(seed), { seed, inputs: 10_000, timeLimitMs: 4000, batch: 32, concurrency: 4, ...(only ? { only } : {}) });
  assertCampaignClean(t, report, Math.min(only?.length ?? 1000, 1000));
});
