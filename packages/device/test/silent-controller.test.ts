// Silent controllers (docs/protocol.md#silent-controllers) and the failsafe grace
// (setup_pin safe_after_ms), over real loopback sockets with raw clients, so what the
// device puts on the wire (its ping) is visible. Short controller timeouts keep the tests
// quick; the default bound is tested with a stopped process in
// packages/client/test/silent-controller.test.ts.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestDevice } from './fixtures.js';
import type { LineClient, Message } from '@picolink/test-kit/line-client';

const isPing = (m: Message): boolean => m.action === 'ping';

/** Resolves with the ms it took for `condition` to hold, or rejects after `limitMs`. */
async function within(limitMs: number, condition: () => boolean): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await sleep(20);
  }
  return performance.now() - started;
}

/** Answers every ping the device sends, as a picolink client does. */
function answerPings(client: LineClient): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const ping = await client.next(isPing, 60_000).catch(() => undefined);
      if (!ping || stopped) return;
      client.send({ ...ping, ok: true, time_received: Date.now() * 1e6 });
    }
  })();
  return () => (stopped = true);
}

test('a silent picolink controller is pinged at half the controller timeout, then its outputs go safe and it is closed', async (t) => {
  const device = await startTestDevice(t, { controllerTimeoutMs: 1000 });
  const controller = await device.connect({ timeoutMs: 5000 });
  await controller.request({ id: 1, action: 'setup_pin', pin: 2, mode: 'output', value: 0, safe: 0 });
  await controller.request({ id: 2, action: 'write_pin', pin: 2, value: 1 });
  const silentFrom = performance.now();
  const ping = await controller.next(isPing);
  const pingedAfter = performance.now() - silentFrom;
  assert.ok(pingedAfter >= 400 && pingedAfter < 900, `pinged after ${Math.round(pingedAfter)} ms`);
  assert.match(String(ping.id), /^d\d+$/);
  assert.equal(device.backend.read(2), 1, 'still on while the controller may yet answer');
  const closing = await controller.event('closing');
  assert.equal(closing.code, 'PL_ERR_IDLE_TIMEOUT');
  assert.match(String(closing.error), /safe values applied/);
  // The failsafe is applied when the device decides, not after the close grace.
  assert.equal(device.backend.read(2), 0);
  const safeAfter = performance.now() - silentFrom;
  assert.ok(safeAfter < 1400, `safe after ${Math.round(safeAfter)} ms`);
});

test('a quiet controller that answers pings keeps its outputs; one with nothing at stake is never pinged', async (t) => {
  const device = await startTestDevice(t, { controllerTimeoutMs: 600 });
  const controller = await device.connect({ timeoutMs: 5000 });
  const bystander = await device.connect({ timeoutMs: 5000 });
  await controller.request({ id: 1, action: 'setup_pin', pin: 2, mode: 'output', value: 1, safe: 0 });
  await bystander.request({ id: 1, action: 'setup_pin', pin: 3, mode: 'output', value: 1 });
  const stop = answerPings(controller);
  t.after(stop);
  await sleep(2000);
  stop();
  assert.equal(device.backend.read(2), 1);
  assert.equal(await controller.closesWithin(0), false);
  assert.equal(bystander.inbox.filter(isPing).length, 0, 'no safe value at stake: no ping');
  assert.equal(await bystander.closesWithin(0), false);
});

test("a piconetcontrol-style client (no ids) is never pinged; with a safe value at stake its silence still ends the connection", async (t) => {
  const device = await startTestDevice(t, { controllerTimeoutMs: 800 });
  const legacy = await device.connect({ timeoutMs: 5000 });
  const plain = await device.connect({ timeoutMs: 5000 });
  legacy.send({ action: 'setup_pin', pin: '2', mode: 'output', value: '1', safe: '0', time_sent: Date.now() * 1e6 });
  assert.equal((await legacy.response()).ok, true);
  plain.send({ action: 'setup_pin', pin: '3', mode: 'output', value: '1', time_sent: Date.now() * 1e6 });
  assert.equal((await plain.response()).ok, true);
  const started = performance.now();
  await legacy.event('closing');
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 700 && elapsed < 1300, `closed after ${Math.round(elapsed)} ms`);
  assert.equal(legacy.inbox.filter(isPing).length, 0, 'a ping would be taken for the answer it waits for');
  assert.equal(device.backend.read(2), 0);
  assert.equal(await plain.closesWithin(200), false, 'no safe value at stake: the idle timeout applies as before');
  assert.equal(device.backend.read(3), 1);
});

test('safe_after_ms: a controller that reconnects within the grace keeps the output on, with no transition', async (t) => {
  const device = await startTestDevice(t);
  const first = await device.connect();
  const setup = await first.request({ id: 1, action: 'setup_pin', pin: 4, mode: 'output', value: 1, safe: 0, safe_after_ms: 1500 });
  assert.equal(setup.ok, true);
  device.backend.clearHistory();
  first.close();
  await first.closed;
  await sleep(500);
  assert.equal(device.backend.read(4), 1, 'kept during the grace');
  const second = await device.connect();
  const again = await second.request({ id: 1, action: 'setup_pin', pin: 4, mode: 'output', safe: 0, safe_after_ms: 1500 });
  assert.equal(again.value, 1);
  await second.request({ id: 2, action: 'write_pin', pin: 4, value: 1 });
  await sleep(1500);
  assert.equal(device.backend.read(4), 1);
  const levels = device.backend.history.filter((w) => w.pin === 4 && w.kind === 'level').map((w) => (w.kind === 'level' ? w.level : -1));
  assert.ok(!levels.includes(0), `pin 4 was driven ${JSON.stringify(levels)}`);
});

test('safe_after_ms: a link gone for longer than the grace goes safe at about safe_after_ms', async (t) => {
  const device = await startTestDevice(t);
  const owner = await device.connect();
  const watcher = await device.connect();
  await owner.request({ id: 1, action: 'setup_pin', pin: 5, mode: 'output', value: 1, safe: 0, safe_after_ms: 800 });
  await watcher.request({ id: 1, action: 'watch_pin', pin: 5, debounce_ms: 0 });
  owner.close();
  await owner.closed;
  const closedAt = performance.now();
  const event = await watcher.event('pin_change', 3000);
  const after = performance.now() - closedAt;
  assert.deepEqual([event.value, event.cause], [0, 'failsafe']);
  assert.ok(after >= 700 && after < 1300, `safe after ${Math.round(after)} ms`);
  assert.equal(device.backend.read(5), 0);
});

test('safe_after_ms: a read from another connection does not cancel the grace; its own setup without safe_after_ms goes safe at once', async (t) => {
  const device = await startTestDevice(t);
  const owner = await device.connect();
  const other = await device.connect();
  await owner.request({ id: 1, action: 'setup_pin', pin: 6, mode: 'output', value: 1, safe: 0, safe_after_ms: 600 });
  await owner.request({ id: 2, action: 'setup_pin', pin: 7, mode: 'output', value: 1, safe: 0, safe_after_ms: 600 });
  await owner.request({ id: 3, action: 'setup_pin', pin: 7, mode: 'output', safe: 0 });
  owner.close();
  await owner.closed;
  await within(300, () => device.backend.read(7) === 0);
  assert.equal((await other.request({ id: 1, action: 'read_pin', pin: 6 })).value, 1);
  await within(1500, () => device.backend.read(6) === 0);
});
