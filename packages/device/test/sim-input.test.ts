// sim_input: the simulator-only action behind `picolink sim input`. A simulated device
// applies the level as a button would (watchers see it); any other backend, like a real
// agent, does not know the action.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { SimulatedBackend } from '../src/index.js';
import type { GpioBackend } from '../src/index.js';
import { startTestDevice } from './fixtures.js';

test('sim_input drives a simulated input: read_pin and a watcher on another connection see it', async (t) => {
  const device = await startTestDevice(t);
  const watcher = await device.connect();
  const driver = await device.connect();
  await watcher.request({ action: 'setup_pin', pin: 15, mode: 'input', pull: 'up' });
  await watcher.request({ action: 'watch_pin', pin: 15 });
  const answer = await driver.request({ id: 7, action: 'sim_input', pin: '15', value: 'off' });
  assert.deepEqual([answer.id, answer.ok, answer.mode], [7, true, 'input']); // values typed as words are coerced, as in every action
  const event = await watcher.event('pin_change');
  assert.deepEqual([event.pin, event.value], [15, 0]);
  assert.equal((await driver.request({ action: 'read_pin', pin: 15 })).value, 0);
});

test('sim_input on a pin that is not an input says so, and the level is there once it is one', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  assert.equal((await client.request({ action: 'sim_input', pin: 4, value: 1 })).mode, 'unset');
  assert.equal((await client.request({ action: 'setup_pin', pin: 4, mode: 'input', pull: 'down' })).value, 1);
});

test('sim_input refuses bad requests with the protocol codes', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  const codes = [];
  for (const request of [
    { action: 'sim_input', pin: 15 },
    { action: 'sim_input', pin: 40, value: 1 },
    { action: 'sim_input', pin: 15, value: 2 },
    { action: 'sim_input', pin: 15, value: 1, pull: 'up' },
    { action: 'sim_input', pin: 'LED', value: 1 },
  ]) {
    codes.push((await client.request(request)).code);
  }
  assert.deepEqual(codes, ['PL_ERR_MISSING_FIELD', 'PL_ERR_NO_SUCH_PIN', 'PL_ERR_BAD_TYPE', 'PL_ERR_UNKNOWN_FIELD', 'PL_ERR_PIN_MODE']);
  const { actions } = await client.request({ action: 'list_actions' });
  assert.ok(Array.isArray(actions) && !actions.includes('sim_input'), 'simulator-only: not listed among the protocol actions');
});

/** A backend that is not the simulator (a board's GPIO), delegating to one for its state. */
function boardBackend(): GpioBackend {
  const pins = new SimulatedBackend();
  return {
    board: 'Linux board',
    platform: 'linux',
    pins: pins.pins,
    capabilities: (pin) => pins.capabilities(pin),
    configureInput: (pin, pull) => pins.configureInput(pin, pull),
    configureOutput: (pin, level) => pins.configureOutput(pin, level),
    write: (pin, level) => pins.write(pin, level),
    read: (pin) => pins.read(pin),
    setPwm: (pin, freqHz, duty) => pins.setPwm(pin, freqHz, duty),
    readAdc: (channel) => pins.readAdc(channel),
    memory: () => pins.memory(),
    rssi: () => pins.rssi(),
    onInputChange: (listener) => pins.onInputChange(listener),
    reset: () => pins.reset(),
  };
}

test('a device without simulated pins answers sim_input as an unknown action, as a real agent does', async (t) => {
  const device = await startTestDevice(t, { backend: boardBackend() as SimulatedBackend });
  const client = await device.connect();
  const answer = await client.request({ action: 'sim_input', pin: 15, value: 0 });
  assert.equal(answer.code, 'PL_ERR_UNKNOWN_ACTION');
  assert.match(String(answer.error), /unknown action "sim_input"/);
});
