// Fuzzing a hub:// device link (docs/fuzzing.md): batches of mutated requests over the
// WebSocket /api/devices/:id/link, cut into messages as a stream would be. The hub runs
// in its own process; it must not die, must answer bad frames with error frames carrying
// known codes, and must keep serving a command to the device meanwhile. The seed is
// printed; PICOLINK_FUZZ_SEED and PICOLINK_FUZZ_INPUTS replay a failure.
import { test } from 'node:test';
import { assertCampaignClean, campaignSeed, onlyInputs, runCampaign } from '@picolink/test-kit/fuzz';
import { linkFuzzTarget } from './fuzz/index.js';

test('fuzz: a hub:// link answers malformed frames with coded errors and the hub stays up', async (t) => {
  const seed = campaignSeed();
  t.diagnostic(`seed ${seed}`);
  const only = onlyInputs();
  const report = await runCampaign(linkFuzzTarget(seed), { seed, inputs: 10_000, timeLimitMs: 4000, batch: 32, concurrency: 4, ...(only ? { only } : {}) });
  assertCampaignClean(t, report, Math.min(only?.length ?? 1000, 1000));
});
