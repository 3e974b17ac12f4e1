// The fuzzer checked against a target whose faults are known (fragile-target.ts): it
// must report the death, name the one input that killed (a frame holding
// __defineGetter__), say what killed it, and flag the reply with an unknown code.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { fuzzFrame, LineSession, loadSeeds, runCampaign, TargetProcess } from './index.js';
import type { FuzzTarget, ProbeClient } from './index.js';
import { LineConnection } from './line-session.js';

const FRAGILE = fileURLToPath(new URL('./fragile-target.js', import.meta.url));
/** A seed whose first killing frame (#156) comes after six frames that get the bad reply. */
const SEED = 4;

function fragileTarget(): FuzzTarget {
  const seeds = loadSeeds().requests;
  const frame = (index: number) => fuzzFrame(SEED, index, seeds);
  return {
    name: 'fragile',
    start: () => TargetProcess.start(FRAGILE),
    open: async (target) => new LineSession({ port: target.port('port'), seed: SEED, frame }),
    probe: async (target): Promise<ProbeClient> => {
      const connection = await LineConnection.open(target.port('port'));
      let n = 0;
      return {
        async ask() {
          const id = `p${++n}`;
          connection.socket.write(`{"id":"${id}","action":"ping"}\n`);
          const { found } = await connection.until((line) => line.includes(`"${id}"`));
          if (!found) throw new Error('closed');
        },
        close: () => connection.socket.destroy(),
      };
    },
    describe: (index) => frame(index).mutation,
  };
}

test('fuzzer self-test: a death is reported with the input that killed, and a reply with an unknown code is flagged', async () => {
  const report = await runCampaign(fragileTarget(), { seed: SEED, inputs: 3000, timeLimitMs: 10_000, batch: 16, concurrency: 2, baselineMs: 100 });
  assert.equal(report.deaths.length, 1, JSON.stringify(report, null, 2));
  const death = report.deaths[0];
  assert.match(death?.death ?? '', /exited with code 1: Error: the fragile target met __defineGetter__/);
  assert.equal(death?.killers?.length, 1, `suspects ${death?.suspects.join(', ')}`);
  const killer = fuzzFrame(SEED, death?.killers?.[0] ?? -1, loadSeeds().requests);
  assert.ok(killer.bytes.includes('__defineGetter__'), killer.bytes.toString('latin1'));
  assert.ok(report.problems.some((p) => p.kind === 'bad reply' && p.detail.includes('PL_ERR_NOT_A_CODE')), JSON.stringify(report.problems));
  assert.ok(report.probe.baseline.count > 0);
});
