/**
 * Deeply nested or very wide JSON on the device port (issue 8, finding 1): a few
 * kilobytes of `[[[[…` used to overflow the stack when the error response echoed the
 * request, killing the device. Now the frame is refused before it is parsed, with a
 * coded error, and the connection and every other one go on.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startTestDevice } from './fixtures.js';

const DEPTH = 4200;
const deepPing = `{"action":"ping","id":"deep","x":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}\n`;
const widePing = `{"action":"ping","id":"wide","x":[${Array.from({ length: 5000 }, () => '0').join(',')}]}\n`;

test('a ping nested 4,200 deep gets PL_ERR_JSON_TOO_COMPLEX; that connection keeps working and another client is served meanwhile', async (t) => {
  const device = await startTestDevice(t);
  const bystander = await device.connect();
  assert.equal((await bystander.request({ action: 'ping' })).ok, true);
  const attacker = await device.connect();
  attacker.send(deepPing);
  const reply = await attacker.response();
  assert.equal(reply.ok, false);
  assert.equal(reply.code, 'PL_ERR_JSON_TOO_COMPLEX');
  assert.equal(reply.exception, 'ValueError');
  assert.match(reply.error as string, /nests deeper than 32 levels/);
  assert.deepEqual(Object.keys(reply).sort(), ['code', 'error', 'exception', 'ok'], 'nothing of the request is echoed');
  assert.equal((await attacker.request({ id: 'after', action: 'ping' })).id, 'after', 'the connection stays usable');
  // Many at once, while a client connected afterwards is served.
  for (let i = 0; i < 50; i++) attacker.send(deepPing);
  const newcomer = await device.connect();
  assert.equal((await newcomer.request({ id: 'new', action: 'read_adc', channel: 3 })).ok, true);
  for (let i = 0; i < 50; i++) assert.equal((await attacker.response()).code, 'PL_ERR_JSON_TOO_COMPLEX');
  assert.equal((await bystander.request({ action: 'ping' })).ok, true);
});

test('a ping holding 5,000 values gets PL_ERR_JSON_TOO_COMPLEX; one at the depth limit is answered, its error response echoing it', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  client.send(widePing);
  const wide = await client.response();
  assert.equal(wide.code, 'PL_ERR_JSON_TOO_COMPLEX');
  assert.match(wide.error as string, /more than 4096 values/);
  // 32 levels in all: the request object and 31 arrays inside it.
  const atLimit = `{"action":"ping","id":"edge","x":${'['.repeat(31)}${']'.repeat(31)}}\n`;
  client.send(atLimit);
  const reply = await client.response();
  assert.equal(reply.code, 'PL_ERR_UNKNOWN_FIELD', 'ping takes no field "x"');
  assert.equal(reply.id, 'edge');
  assert.equal(JSON.stringify(reply.x), '['.repeat(31) + ']'.repeat(31), 'echoed as sent');
});
