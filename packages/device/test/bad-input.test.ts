/**
 * Bad input, one case per test. In every case a second client, connected before the bad
 * input arrives, keeps being served: a bad peer can only ever hurt its own connection.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startTestDevice } from './fixtures.js';
import type { TestDevice } from './fixtures.js';
import type { LineClient } from '@picolink/test-kit/line-client';

interface Pair {
  device: TestDevice;
  bad: LineClient;
  good: LineClient;
}

async function pair(t: { after(fn: () => unknown): void }, maxFrameBytes = 1024): Promise<Pair> {
  const device = await startTestDevice(t, { maxFrameBytes });
  const good = await device.connect();
  assert.equal((await good.request({ action: 'ping' })).ok, true);
  const bad = await device.connect();
  return { device, bad, good };
}

async function goodStillServed(good: LineClient): Promise<void> {
  const reply = await good.request({ id: 'still-here', action: 'read_adc', channel: 3 });
  assert.equal(reply.ok, true);
  assert.equal(reply.id, 'still-here');
}

async function stillServed(client: LineClient): Promise<void> {
  assert.equal((await client.request({ id: 'after', action: 'ping' })).ok, true, 'the connection stays usable');
}

test('malformed JSON: an error without echo, and the connection stays', async (t) => {
  const { bad, good } = await pair(t);
  bad.send('{"action": "ping",\n');
  const reply = await bad.response();
  assert.equal(reply.ok, false);
  assert.equal(reply.code, 'PL_ERR_BAD_JSON');
  assert.equal(reply.exception, 'ValueError');
  assert.match(reply.error as string, /^invalid JSON/);
  assert.deepEqual(Object.keys(reply).sort(), ['code', 'error', 'exception', 'ok']);
  await stillServed(bad);
  await goodStillServed(good);
});

test('a JSON value that is not an object', async (t) => {
  const { bad, good } = await pair(t);
  bad.send('[1, 2, 3]\n');
  assert.equal((await bad.response()).code, 'PL_ERR_NOT_OBJECT');
  await stillServed(bad);
  await goodStillServed(good);
});

test('unknown action: echoed, with the piconetcontrol message', async (t) => {
  const { bad, good } = await pair(t);
  const reply = await bad.request({ id: 7, action: 'fly', height: 3 });
  assert.deepEqual(
    { id: reply.id, action: reply.action, height: reply.height, ok: reply.ok, code: reply.code, exception: reply.exception },
    { id: 7, action: 'fly', height: 3, ok: false, code: 'PL_ERR_UNKNOWN_ACTION', exception: 'ValueError' },
  );
  assert.equal(reply.error, 'unknown action "fly", use "list_actions" to list available actions');
  await stillServed(bad);
  await goodStillServed(good);
});

test('missing fields are listed', async (t) => {
  const { bad, good } = await pair(t);
  const reply = await bad.request({ id: 1, action: 'write_pin' });
  assert.equal(reply.code, 'PL_ERR_MISSING_FIELD');
  assert.equal(reply.error, 'incomplete command, missing fields: pin, value');
  assert.equal(reply.exception, 'KeyError');
  assert.equal((await bad.request({ id: 2, time_sent: 1 })).code, 'PL_ERR_MISSING_FIELD', 'no action at all');
  await stillServed(bad);
  await goodStillServed(good);
});

test('an extra field is refused, naming the fields the action takes', async (t) => {
  const { bad, good } = await pair(t);
  const reply = await bad.request({ action: 'read_pin', pin: 2, colour: 'red' });
  assert.equal(reply.code, 'PL_ERR_UNKNOWN_FIELD');
  assert.match(reply.error as string, /unknown field "colour"; read_pin takes pin/);
  assert.equal(reply.colour, 'red', 'the request is echoed as received');
  await stillServed(bad);
  await goodStillServed(good);
});

test('ill-typed fields: "abc" is no pin; "2" and "false" are coerced as piconetcontrol does', async (t) => {
  const { device, bad, good } = await pair(t);
  const abc = await bad.request({ action: 'read_pin', pin: 'abc' });
  assert.equal(abc.code, 'PL_ERR_BAD_TYPE');
  assert.equal(abc.error, 'field "pin" must be a GPIO number or "LED", got "abc"');
  const coerced = await bad.request({ action: 'setup_pin', pin: '2', mode: 'output', value: 'false' });
  assert.equal(coerced.ok, true);
  assert.equal(coerced.pin, '2', 'the echo is the request as received');
  assert.equal(coerced.value, 0);
  assert.equal(device.backend.pinState(2).mode, 'output');
  assert.equal((await bad.request({ action: 'write_pin', pin: 2, value: 'maybe' })).code, 'PL_ERR_BAD_TYPE');
  assert.equal((await bad.request({ action: 'write_pin', pin: 2, value: 1, timeout: -1 })).code, 'PL_ERR_OUT_OF_RANGE');
  assert.equal((await bad.request({ action: 'read_pin', pin: 23 })).code, 'PL_ERR_NO_SUCH_PIN');
  assert.equal((await bad.request({ id: { nested: true }, action: 'ping' })).code, 'PL_ERR_BAD_TYPE');
  await stillServed(bad);
  await goodStillServed(good);
});

test('an oversize frame gets an error, then the connection is closed', async (t) => {
  const { bad, good } = await pair(t, 1024);
  bad.send(JSON.stringify({ action: 'ping', padding: 'x'.repeat(2000) }) + '\n');
  const reply = await bad.response();
  assert.equal(reply.code, 'PL_ERR_FRAME_TOO_LARGE');
  assert.equal(reply.exception, 'MemoryError');
  assert.equal('padding' in reply, false, 'nothing is echoed');
  assert.equal(await bad.closesWithin(1000), true);
  await goodStillServed(good);
});

test('an oversize frame that never ends is cut off without waiting for its newline', async (t) => {
  const { bad, good } = await pair(t, 1024);
  bad.send('{"action":"ping","padding":"' + 'x'.repeat(5000));
  assert.equal((await bad.response()).code, 'PL_ERR_FRAME_TOO_LARGE');
  assert.equal(await bad.closesWithin(1000), true);
  await goodStillServed(good);
});

test('invalid UTF-8 gets an error, then the connection is closed', async (t) => {
  const { bad, good } = await pair(t);
  bad.socket.write(Buffer.concat([Buffer.from('{"action":"ping","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]));
  const reply = await bad.response();
  assert.equal(reply.code, 'PL_ERR_BAD_UTF8');
  assert.equal(await bad.closesWithin(1000), true);
  await goodStillServed(good);
});

test('a client that disconnects in the middle of a request changes nothing for others', async (t) => {
  const { device, bad, good } = await pair(t);
  await bad.request({ action: 'setup_pin', pin: 6, mode: 'output', value: 1 });
  bad.send('{"action":"write_pin","pin":6,"val');
  bad.socket.resetAndDestroy();
  await bad.closed;
  await goodStillServed(good);
  assert.equal(device.backend.pinState(6).driven, 1, 'the half request did nothing');
  const deadline = Date.now() + 1000;
  while (device.runtime.connectionCount !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(device.runtime.connectionCount, 1, 'the device let go of the dead connection');
});
