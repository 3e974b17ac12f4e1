// Fuzzing the hub's telemetry port (docs/fuzzing.md): datagrams mutated from the
// telemetry vectors, some signed with a device's real key, each batch followed by a
// valid datagram that must be acknowledged. The hub runs in its own process; it must not
// die and must keep serving a command meanwhile. The seed is printed; PICOLINK_FUZZ_SEED
// and PICOLINK_FUZZ_INPUTS replay a failure.
import { test } from 'node:test';
import { assertCampaignClean, campaignSeed, onlyInputs, runCampaign } from '@picolink/test-kit/fuzz';
import { telemetryFuzzTarget } from './fuzz/index.js';

test('fuzz: malformed, forged and oversized datagrams never stop the telemetry ingest', async (t) => {
  const seed = campaignSeed();
  t.diagnostic(`seed ${seed}`);
  const only = onlyInputs();
  const report = await runCampaign(telemetryFuzzTarget(seed), { seed, inputs: 10_000, timeLimitMs: 4000, batch: 32, concurrency: 4, ...(only ? { only } : {}) });
  assertCampaignClean(t, report, Math.min(only?.length ?? 1000, 1000));
});
