import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startTestDevice } from './fixtures.js';
import { delay } from '@picolink/test-kit/line-client';

function change(event: Record<string, unknown>): string {
  return `${String(event.pin)}=${String(event.value)} ${String(event.cause)}`;
}

test('when the owner\'s connection drops, its outputs go to their safe value and watchers see "failsafe"', async (t) => {
  const device = await startTestDevice(t);
  const owner = await device.connect();
  const watcher = await device.connect();
  await owner.request({ action: 'setup_pin', pin: 16, mode: 'output', value: 0, safe: 0 });
  await owner.request({ action: 'setup_pin', pin: 17, mode: 'output', value: 0 }); // no safe value
  await owner.request({ action: 'write_pin', pin: 16, value: 1, timeout: 60 });
  await owner.request({ action: 'write_pin', pin: 17, value: 1 });
  await watcher.request({ action: 'watch_pin', pin: 16 });
  await watcher.request({ action: 'watch_pin', pin: 17 });
  owner.socket.resetAndDestroy(); // WiFi gone, no goodbye
  const event = await watcher.event('pin_change');
  assert.equal(change(event), '16=0 failsafe');
  assert.equal(device.backend.pinState(16).driven, 0, 'the relay is off');
  assert.equal(device.backend.pinState(17).driven, 1, 'a pin without a safe value is left as it was');
  assert.equal(device.runtime.pins.snapshot(16).lease, undefined, 'the lease was dropped');
  await watcher.request({ action: 'ping' });
  assert.deepEqual(watcher.inbox, []);
});

test('a button press on the simulated board is debounced and pushed to the watcher', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  assert.equal((await client.request({ action: 'setup_pin', pin: 20, mode: 'input', pull: 'up' })).value, 1);
  assert.equal((await client.request({ action: 'watch_pin', pin: 20, debounce_ms: 40 })).value, 1);
  // Contact bounce: several changes within a few ms, then held down.
  for (const level of [0, 1, 0, 1, 0] as const) {
    device.backend.setInputLevel(20, level);
    await delay(3);
  }
  const pressed = await client.event('pin_change');
  assert.equal(change(pressed), '20=0 input');
  assert.ok(typeof pressed.t === 'number' && typeof pressed.time === 'number');
  device.backend.setInputLevel(20, null); // released: the pull-up brings it back to 1
  const released = await client.event('pin_change');
  assert.equal(change(released), '20=1 input');
  await client.request({ action: 'ping' });
  assert.deepEqual(client.inbox, [], 'one event per press and per release');
});

test('edge filters: a "falling" watch reports presses only', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  await client.request({ action: 'setup_pin', pin: 21, mode: 'input', pull: 'up' });
  await client.request({ action: 'watch_pin', pin: 21, edge: 'falling', debounce_ms: 0 });
  device.backend.setInputLevel(21, 0);
  device.backend.setInputLevel(21, 1);
  device.backend.setInputLevel(21, 0);
  assert.equal(change(await client.event('pin_change')), '21=0 input');
  assert.equal(change(await client.event('pin_change')), '21=0 input');
  await client.request({ action: 'ping' });
  assert.deepEqual(client.inbox, []);
});

test('a lease\'s end is pushed as a "lease" event and the pin is back at its previous level', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  const other = await device.connect();
  await client.request({ action: 'setup_pin', pin: 22, mode: 'output', value: 0 });
  await other.request({ action: 'watch_pin', pin: 22 });
  const lease = await client.request({ action: 'write_pin', pin: 22, value: 1, timeout: 0.08 });
  assert.deepEqual([lease.previous, lease.reverts_to, lease.lease_ms], [0, 0, 80]);
  assert.equal(change(await other.event('pin_change')), '22=1 write');
  const started = Date.now();
  const revert = await other.event('pin_change');
  assert.equal(change(revert), '22=0 lease');
  assert.ok(Date.now() - started >= 50, 'the lease lasted about its length');
  assert.equal((await client.request({ action: 'read_pin', pin: 22 })).value, 0);
});

test('renewing a lease keeps the original revert target; a plain write cancels the revert', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  await client.request({ action: 'setup_pin', pin: 19, mode: 'output', value: 0 });
  await client.request({ action: 'write_pin', pin: 19, value: 1, timeout: 0.1 });
  const renewed = await client.request({ action: 'write_pin', pin: 19, value: 1, timeout: 0.1 });
  assert.deepEqual([renewed.previous, renewed.reverts_to], [1, 0]);
  const forGood = await client.request({ action: 'write_pin', pin: 19, value: 1 });
  assert.equal('reverts_to' in forGood, false);
  await delay(160);
  assert.equal((await client.request({ action: 'read_pin', pin: 19 })).value, 1, 'no revert after a plain write');
});

test('watches end with their connection', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  await client.request({ action: 'setup_pin', pin: 18, mode: 'input' });
  await client.request({ action: 'watch_pin', pin: 18 });
  assert.equal(device.runtime.pins.snapshot(18).watchers, 1);
  client.close();
  await client.closed;
  const deadline = Date.now() + 1000;
  while (device.runtime.pins.snapshot(18).watchers !== 0 && Date.now() < deadline) await delay(5);
  assert.equal(device.runtime.pins.snapshot(18).watchers, 0);
});
