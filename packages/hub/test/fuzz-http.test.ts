// Fuzzing the hub's HTTP API (docs/fuzzing.md): raw requests with any method, malformed
// percent-encoding, odd query strings, foreign Host and Origin headers, upgrade headers,
// fuzzed bodies and lying lengths. The hub runs in its own process; it must not die, must
// answer without 500s and with coded JSON errors, must refuse foreign Host headers, and
// must keep serving a command meanwhile. The seed is printed; PICOLINK_FUZZ_SEED and
// PICOLINK_FUZZ_INPUTS replay a failure.
import { test } from 'node:test';
import { assertCampaignClean, campaignSeed, onlyInputs, runCampaign } from '@picolink/test-kit/fuzz';
import { httpFuzzTarget } from './fuzz/index.js';

test('fuzz: the HTTP API answers every malformed request with a coded error and the hub stays up', async (t) => {
  const seed = campaignSeed();
  t.diagnostic(`seed ${seed}`);
  const only = onlyInputs();
  const report = await runCampaign(httpFuzzTarget(seed), { seed, inputs: 3000, timeLimitMs: 5000, batch: 4, concurrency: 8, maxRestarts: 2, ...(only ? { only } : {}) });
  assertCampaignClean(t, report, Math.min(only?.length ?? 300, 300));
});
