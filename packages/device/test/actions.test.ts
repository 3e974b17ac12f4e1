import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ACTION_NAMES, CAPABILITIES } from '@picolink/protocol';
import { startTestDevice } from './fixtures.js';

test('get_version announces protocol 1 and pipelining (the client handshake)', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  const reply = await client.request({ id: 1, action: 'get_version' });
  assert.equal(reply.ok, true);
  assert.equal(reply.id, 1);
  assert.equal(reply.protocol, 1);
  assert.equal(typeof reply.version, 'string');
  assert.deepEqual(reply.capabilities, [...CAPABILITIES]);
  assert.equal(typeof reply.time_received, 'number');
  assert.ok(Math.abs((reply.time_received as number) / 1e6 - Date.now()) < 5000, 'time_received is Unix time in ns');
});

test('ping, list_actions, get_info and get_resource_info', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  assert.deepEqual(
    Object.keys(await client.request({ id: 'p', action: 'ping' })).sort(),
    ['action', 'id', 'ok', 'time_received'],
  );
  assert.deepEqual((await client.request({ action: 'list_actions' })).actions, ACTION_NAMES);
  for (const action of ['get_info', 'get_resource_info']) {
    const reply = await client.request({ action });
    const info = reply.info as Record<string, unknown>;
    assert.equal(info.board, 'Raspberry Pi Pico W (simulated)');
    assert.equal(info.device_id, 'test-pico');
    assert.equal(info.protocol, 1);
    assert.ok((info.mem_free as number) > 0 && (info.mem_alloc as number) > 0);
    assert.ok((info.uptime_ms as number) >= 0);
    assert.equal(typeof info.rssi, 'number');
    assert.equal((info.pins as number[]).length, 26);
    assert.deepEqual(info.last_update, { status: 'none', files: [] });
  }
});

test('setup_pin, write_pin (with and without lease) and read_pin on an output', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  const setup = await client.request({ id: 1, action: 'setup_pin', pin: 2, mode: 'output', value: 1, safe: 0 });
  assert.deepEqual({ ok: setup.ok, value: setup.value, safe: setup.safe }, { ok: true, value: 1, safe: 0 });
  assert.equal(device.backend.pinState(2).driven, 1);

  const write = await client.request({ id: 2, action: 'write_pin', pin: 2, value: 0 });
  assert.equal(write.previous, 1);
  assert.equal('reverts_to' in write, false);
  assert.equal((await client.request({ id: 3, action: 'read_pin', pin: 2 })).value, 0);

  const lease = await client.request({ id: 4, action: 'write_pin', pin: 2, value: 1, timeout: 5 });
  assert.deepEqual([lease.previous, lease.reverts_to, lease.lease_ms], [0, 0, 5000]);
  assert.equal(device.runtime.pins.snapshot(2).lease?.revertsTo, 0);

  const led = await client.request({ action: 'setup_pin', pin: 'led', mode: 'output' });
  assert.equal(led.ok, true);
  assert.equal((await client.request({ action: 'write_pin', pin: 'LED', value: 1 })).previous, 0);
  assert.equal(device.backend.pinState('LED').driven, 1);
});

test('read_pin on an input follows the simulated hardware', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  assert.equal((await client.request({ action: 'setup_pin', pin: 14, mode: 'input', pull: 'up' })).value, 1);
  assert.equal((await client.request({ action: 'read_pin', pin: 14 })).value, 1);
  device.backend.setInputLevel(14, 0);
  assert.equal((await client.request({ action: 'read_pin', pin: 14 })).value, 0);
  const write = await client.request({ action: 'write_pin', pin: 14, value: 1 });
  assert.equal(write.code, 'PL_ERR_PIN_MODE');
});

test('set_pwm drives PWM; GPIO actions on it are refused until setup_pin', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  const pwm = await client.request({ action: 'set_pwm', pin: 15, freq: 1000, duty: 0.25 });
  assert.equal(pwm.duty_u16, 16384);
  assert.deepEqual(device.backend.pinState(15).pwm, { freqHz: 1000, dutyU16: 16384 });
  const read = await client.request({ action: 'read_pin', pin: 15 });
  assert.equal(read.code, 'PL_ERR_PIN_MODE');
  assert.equal(read.error, 'pin 15 is driven by PWM; send setup_pin to use it as GPIO');
  assert.equal((await client.request({ action: 'setup_pin', pin: 15, mode: 'output', value: 0 })).ok, true);
  assert.equal((await client.request({ action: 'read_pin', pin: 15 })).value, 0);
  assert.equal((await client.request({ action: 'set_pwm', pin: 15, freq: 1, duty: 0.5 })).code, 'PL_ERR_OUT_OF_RANGE');
});

test('read_adc: raw value and volts; channel 4 adds the temperature', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  const temp = await client.request({ action: 'read_adc', channel: 4 });
  assert.ok(Math.abs((temp.temperature_c as number) - 25) < 6, `temperature ${temp.temperature_c}`);
  assert.ok(Math.abs((temp.volts as number) - ((temp.value as number) * 3.3) / 65535) < 1e-4);
  device.backend.setAdcVoltage(0, 1.2);
  const adc0 = await client.request({ action: 'read_adc', channel: 0 });
  assert.ok(Math.abs((adc0.volts as number) - 1.2) < 0.02);
  assert.equal('temperature_c' in adc0, false);
  const vsys = await client.request({ action: 'read_adc', channel: 3 });
  assert.ok(Math.abs((vsys.volts as number) - 1.65) < 0.03);
  assert.equal((await client.request({ action: 'read_adc', channel: 5 })).code, 'PL_ERR_OUT_OF_RANGE');
});

test('watch_pin and unwatch_pin', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  await client.request({ action: 'setup_pin', pin: 3, mode: 'output', value: 0 });
  assert.equal((await client.request({ action: 'watch_pin', pin: 3 })).value, 0);
  const write = await client.request({ id: 'w', action: 'write_pin', pin: 3, value: 1 });
  assert.equal(write.ok, true);
  const event = await client.event('pin_change');
  assert.deepEqual({ pin: event.pin, value: event.value, cause: event.cause }, { pin: 3, value: 1, cause: 'write' });
  assert.equal(typeof event.t, 'number');
  assert.ok(Math.abs((event.time as number) - Date.now()) < 5000);
  assert.deepEqual((await client.request({ action: 'unwatch_pin', pin: 3 })).watching, false);
  await client.request({ action: 'write_pin', pin: 3, value: 0 });
  await client.request({ action: 'ping' });
  assert.deepEqual(client.inbox, [], 'no event after unwatch_pin');
  assert.equal((await client.request({ action: 'watch_pin', pin: 9 })).code, 'PL_ERR_PIN_NOT_SETUP');
});

test('an event caused by a request follows that request\'s response', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  await client.request({ action: 'setup_pin', pin: 4, mode: 'output', value: 0 });
  await client.request({ action: 'watch_pin', pin: 4 });
  client.send({ id: 10, action: 'write_pin', pin: 4, value: 1 });
  const first = await client.next();
  const second = await client.next();
  assert.equal(first.id, 10);
  assert.equal(second.event, 'pin_change');
});

test('reset, sleep and update reply with their delay; no update while a restart is pending', async (t) => {
  const device = await startTestDevice(t, { actionDelayMs: 5000 });
  const client = await device.connect();
  const update = await client.request({ action: 'update', files: { 'main.py': 'x = 1' } });
  assert.deepEqual(update.updated, ['main.py']);
  assert.ok((update.delay_ms as number) <= 5000 && (update.delay_ms as number) > 4000);
  const reset = await client.request({ action: 'reset' });
  assert.ok((reset.delay_ms as number) <= 5000, 'reset joins the restart already scheduled');
  assert.equal((await client.request({ action: 'sleep', time_ms: 10 })).delay_ms, 5000);
  const again = await client.request({ action: 'update', files: { 'main.py': 'x = 2' } });
  assert.equal(again.code, 'PL_ERR_BUSY');
});

test('responses and events sent to the device get no answer; requests after them do', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  // Responses and events from the peer need no answer (the device sends no requests it waits on).
  client.send({ id: 99, ok: true, time_received: 1 });
  client.send({ event: 'hello' });
  const reply = await client.request({ id: 1, action: 'ping' });
  assert.equal(reply.id, 1);
  assert.deepEqual(client.inbox, []);
});
