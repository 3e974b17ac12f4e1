import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connectWhenUp, delay, LineClient } from '@picolink/test-kit/line-client';
import { startTestDevice } from './fixtures.js';

test('reset: connections close after the delay (failsafe first), pins come back unconfigured', async (t) => {
  const device = await startTestDevice(t, { actionDelayMs: 40 });
  const owner = await device.connect();
  const watcher = await device.connect();
  await owner.request({ action: 'setup_pin', pin: 2, mode: 'output', value: 1, safe: 0 });
  await watcher.request({ action: 'watch_pin', pin: 2 });
  await delay(30);
  const uptimeBefore = (device.runtime.info().uptime_ms);
  const bootBefore = device.runtime.bootId;
  assert.deepEqual((await owner.request({ action: 'reset' })).delay_ms, 40);
  const failsafe = await watcher.event('pin_change');
  assert.deepEqual([failsafe.value, failsafe.cause], [0, 'failsafe']);
  const closing = await watcher.event('closing');
  assert.equal(closing.code, 'PL_ERR_CONNECTION_CLOSED');
  assert.match(closing.error as string, /restarting/);
  assert.equal(await owner.closesWithin(1000), true);
  assert.equal(await watcher.closesWithin(1000), true);

  const again = await connectWhenUp(device.port);
  t.after(() => again.close());
  const read = await again.request({ action: 'read_pin', pin: 2 });
  assert.equal(read.code, 'PL_ERR_PIN_NOT_SETUP');
  assert.equal(device.backend.pinState(2).mode, 'unset');
  const info = (await again.request({ action: 'get_info' })).info as { uptime_ms: number };
  assert.ok(info.uptime_ms < uptimeBefore + 40, `uptime restarted (${info.uptime_ms} ms)`);
  assert.notEqual(device.runtime.bootId, bootBefore, 'a new boot id');
});

test('light sleep: frames wait for time_ms, then everything carries on', async (t) => {
  const device = await startTestDevice(t, { actionDelayMs: 20 });
  const sleeper = await device.connect();
  const other = await device.connect();
  const reply = await sleeper.request({ action: 'sleep', time_ms: 300 });
  assert.equal(reply.delay_ms, 20);
  await delay(60); // now asleep
  const sent = Date.now();
  const [mine, theirs] = await Promise.all([
    sleeper.request({ id: 'a', action: 'ping' }, 3000),
    other.request({ id: 'b', action: 'ping' }, 3000),
  ]);
  const waited = Date.now() - sent;
  assert.equal(mine.ok, true);
  assert.equal(theirs.ok, true);
  assert.ok(waited >= 200, `answered after ${waited} ms: the whole device slept`);
  assert.ok(waited < 1500);
  const sent2 = Date.now();
  await sleeper.request({ action: 'ping' });
  assert.ok(Date.now() - sent2 < 100, 'awake again');
});

test('deep sleep: connections close, new ones are refused for time_ms, then the device restarts', async (t) => {
  const device = await startTestDevice(t, { actionDelayMs: 20 });
  const client = await device.connect();
  await client.request({ action: 'setup_pin', pin: 5, mode: 'output', value: 1 });
  const started = Date.now();
  assert.equal((await client.request({ action: 'sleep', time_ms: 400, deep: 'true' })).delay_ms, 20);
  const closing = await client.event('closing');
  assert.match(closing.error as string, /deep sleep/);
  assert.equal(await client.closesWithin(1000), true);

  const refused = await LineClient.connect(device.port);
  refused.send({ action: 'ping' });
  assert.equal(await refused.closesWithin(1000), true, 'accepted, then dropped at once');
  assert.deepEqual(refused.inbox, []);
  assert.equal(device.runtime.state, 'deep-sleep');

  const awake = await connectWhenUp(device.port, 3000);
  t.after(() => awake.close());
  assert.ok(Date.now() - started >= 350, `woke after ${Date.now() - started} ms`);
  assert.equal((await awake.request({ action: 'read_pin', pin: 5 })).code, 'PL_ERR_PIN_NOT_SETUP');
});
