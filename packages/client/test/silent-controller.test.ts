/**
 * The failsafe bound for half-open controllers (docs/protocol.md#silent-controllers), with
 * default settings: two SDK controllers in their own processes each drive an output with
 * safe value 0 to 1 and then go quiet. One is stopped with SIGSTOP — its socket stays open,
 * it just never answers again — and its output must go safe within 10 s; the other keeps
 * running, answers the device's pings, and keeps its output on.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDevice, SimulatedBackend } from '@picolink/device';
import { endProcess, startControllerProcess } from '@picolink/test-kit/controller-process';

/** The documented bound, and what a loaded 2-core machine may add to it. */
const BOUND_MS = 10_000;
const MARGIN_MS = 2_000;

test('a controller stopped with SIGSTOP loses its outputs to their safe values within 10 s; a quiet live one keeps them', async (t) => {
  const backend = new SimulatedBackend();
  const device = await startDevice({ host: '127.0.0.1', port: 0, backend });
  t.after(() => device.close());
  const live = await startControllerProcess(device.url, [2]);
  t.after(() => endProcess(live));
  const stopped = await startControllerProcess(device.url, [3]);
  t.after(() => endProcess(stopped));
  assert.deepEqual([backend.read(2), backend.read(3)], [1, 1]);

  assert.ok(stopped.kill('SIGSTOP'));
  const stoppedAt = performance.now();
  const stoppedWall = Date.now();
  await sleep(1000);
  assert.equal(backend.read(3), 1, 'still on shortly after the controller stopped');

  while (backend.read(3) !== 0 && performance.now() - stoppedAt < BOUND_MS + MARGIN_MS) await sleep(50);
  const safeAfterMs = performance.now() - stoppedAt;
  assert.equal(backend.read(3), 0, `pin 3 still 1 ${Math.round(safeAfterMs)} ms after its controller stopped`);
  assert.ok(safeAfterMs <= BOUND_MS + MARGIN_MS, `safe after ${Math.round(safeAfterMs)} ms`);
  t.diagnostic(`stopped controller's output went safe ${Math.round(safeAfterMs)} ms after SIGSTOP (bound ${BOUND_MS} ms)`);

  // The live controller has been as quiet for as long; the device pinged it and it answered.
  await sleep(1000);
  assert.equal(backend.read(2), 1, 'a quiet controller that answers pings keeps its output');
  const pin2 = backend.history.filter((w) => w.pin === 2 && w.kind === 'level' && w.level === 0 && w.time >= stoppedWall);
  assert.deepEqual(pin2, []);
});
