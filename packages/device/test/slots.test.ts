/**
 * Client slots cannot be squatted (docs/protocol.md#connections): when the device is
 * full, the oldest connection that has not yet sent a valid request is evicted for the
 * newcomer, so idle sockets — even hundreds of them, re-opened as fast as they are
 * closed — never lock a controller out.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startTestDevice } from './fixtures.js';
import { LineClient, delay } from '@picolink/test-kit/line-client';
import { SquatterProcess } from '@picolink/test-kit/squatter-process';

/** Connects and pings until answered (an attempt can itself be evicted under churn); ms from the first connect to the answer. */
async function controllerAnswerMs(port: number, limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const client = await LineClient.connect(port, { timeoutMs: limitMs });
    try {
      client.send({ id: 'controller', action: 'ping' });
      const reply = await client.next((m) => m.id === 'controller' || m.event === 'closing', limitMs);
      if (reply.ok === true) return performance.now() - started;
    } catch {
      // Closed before answering: try again while time is left.
    } finally {
      client.close();
    }
    if (performance.now() - started > limitMs) throw new Error(`no answer within ${limitMs} ms`);
  }
}

test('a full device evicts its oldest connection that sent no request; the squatter is told why, and its socket held until its hello timeout', async (t) => {
  const device = await startTestDevice(t, { maxClients: 2, helloTimeoutMs: 600 });
  const idleOld = await device.connect();
  await delay(20);
  const idleNew = await device.connect();
  await delay(20);
  const controller = await device.connect();
  assert.equal((await controller.request({ action: 'ping' })).ok, true, 'the newcomer is served');
  const closing = await idleOld.event('closing');
  assert.equal(closing.code, 'PL_ERR_TOO_MANY_CLIENTS');
  assert.match(closing.error as string, /sent no request yet; it was closed to make room/);
  const evictedAt = performance.now();
  assert.equal((await idleOld.request({ action: 'ping' }, 200).catch(() => 'no answer')), 'no answer', 'an evicted connection is not served');
  assert.equal(await idleOld.closesWithin(3000), true, 'the oldest idle connection is closed');
  assert.ok(performance.now() - evictedAt > 300, 'held until its hello timeout, not closed at once (a re-opening squatter would churn)');
  assert.equal(idleNew.socket.destroyed, false, 'the newer idle one is left alone');
  assert.ok(device.logs.some((line) => /evicted: the device is full/.test(line)));
});

test('connections that sent a valid request are never evicted; bad frames do not count as one', async (t) => {
  const device = await startTestDevice(t, { maxClients: 2 });
  const served = await device.connect();
  assert.equal((await served.request({ action: 'ping' })).ok, true);
  const garbage = await device.connect();
  garbage.send('{"not": "a request"}\n');
  assert.equal((await garbage.response()).code, 'PL_ERR_MISSING_FIELD');
  const newcomer = await device.connect();
  assert.equal((await newcomer.request({ action: 'ping' })).ok, true, 'the one that sent only garbage made room');
  assert.equal((await garbage.event('closing')).code, 'PL_ERR_TOO_MANY_CLIENTS');
  const fourth = await device.connect();
  const refused = await fourth.event('closing');
  assert.equal(refused.code, 'PL_ERR_TOO_MANY_CLIENTS');
  assert.match(refused.error as string, /already serves 2 clients/, 'with every slot served, the newcomer is refused');
  assert.equal((await served.request({ action: 'ping' })).ok, true);
  assert.equal((await newcomer.request({ action: 'ping' })).ok, true);
});

test('a controller gets an answer within 1 s while 500 idle sockets are held open against the device', async (t) => {
  const device = await startTestDevice(t);
  const squatters = await SquatterProcess.start(device.port, 500);
  t.after(() => squatters.stop());
  // Let the churn of evictions and re-opens run a moment before the controller comes.
  await delay(300);
  const before = await squatters.stats();
  const ms = await controllerAnswerMs(device.port, 1000);
  const after = await squatters.stats();
  t.diagnostic(`controller answered in ${ms.toFixed(0)} ms; squatters opened ${after.opened - before.opened} connections meanwhile, ${after.open} open`);
  assert.ok(ms < 1000, `answered in ${ms.toFixed(0)} ms`);
  assert.ok(after.open >= 490, 'the idle sockets are held open by the device, not closed and re-opened');
  assert.ok(device.logs.some((line) => /evicted: the device is full/.test(line)), 'squatters were evicted from their slots');
  assert.ok(device.runtime.connectionCount <= 8);
});
