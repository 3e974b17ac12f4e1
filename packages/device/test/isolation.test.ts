/**
 * Every connection isolates failures (issue 8): an exception that escapes the handling of
 * one connection — here an action whose result cannot be written as JSON, returned at
 * once or later — closes that connection with a `closing` event coded PL_ERR_INTERNAL and
 * one log line; the process lives and every other client keeps being served.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ACTION_HANDLERS } from '../src/actions/index.js';
import { startTestDevice } from './fixtures.js';

type Handlers = Record<string, unknown>;

/** Replaces get_info's handler for one test. */
function injectGetInfo(t: { after(fn: () => unknown): void }, handler: () => unknown): void {
  const table = ACTION_HANDLERS as unknown as Handlers;
  const original = table.get_info;
  table.get_info = handler;
  t.after(() => {
    table.get_info = original;
  });
}

for (const mode of ['synchronously', 'asynchronously'] as const) {
  test(`a handler failing ${mode} outside any error response closes only its connection, with PL_ERR_INTERNAL logged once`, async (t) => {
    // A BigInt cannot be written as JSON: the failure happens while the response is built.
    injectGetInfo(t, mode === 'synchronously' ? () => ({ info: 1n }) : () => new Promise((resolve) => setTimeout(() => resolve({ info: 1n }), 5)));
    const device = await startTestDevice(t);
    const bystander = await device.connect();
    assert.equal((await bystander.request({ action: 'ping' })).ok, true);
    const victim = await device.connect();
    victim.send({ id: 'first', action: 'ping' });
    victim.send({ id: 'boom', action: 'get_info' });
    assert.equal((await victim.response()).id, 'first', 'what was answered before the failure is still sent');
    const closing = await victim.event('closing');
    assert.equal(closing.code, 'PL_ERR_INTERNAL');
    assert.equal(await victim.closesWithin(3000), true);
    assert.equal(device.logs.filter((line) => line.includes('PL_ERR_INTERNAL')).length, 1);
    assert.match(device.logs.find((line) => line.includes('PL_ERR_INTERNAL')) ?? '', /BigInt/);

    assert.equal((await bystander.request({ id: 'still', action: 'read_adc', channel: 3 })).ok, true, 'the other client is still served');
    const newcomer = await device.connect();
    assert.equal((await newcomer.request({ action: 'ping' })).ok, true, 'new clients are served');
  });
}
