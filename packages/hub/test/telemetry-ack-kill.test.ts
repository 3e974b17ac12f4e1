/**
 * "Ack means stored" (docs/protocol.md#acknowledgements-and-resending): a hub process
 * receiving 5,000 datagrams a second is killed with SIGKILL mid-stream and started again
 * on the same data directory; every reading the sender saw acknowledged is in the store.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runAckKillTrial } from './ack-kill.js';

test('every reading acknowledged before a SIGKILL of the hub is in the store after its restart', { timeout: 60_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'picolink-ackkill-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const result = await runAckKillTrial({ dataDir, device: 'ackkill-1', boot: 1, ratePerSecond: 5000, killAfterMs: 800, minAckedBeforeKill: 1000 });
  assert.ok(result.acked >= 1000, `the stream was running when the hub was killed (${result.acked} acks of ${result.sent} sent)`);
  assert.deepEqual(result.lost.slice(0, 10), [], `${result.lost.length} of ${result.acked} acknowledged readings are not in the store`);
  assert.equal(result.found, result.acked);
});
