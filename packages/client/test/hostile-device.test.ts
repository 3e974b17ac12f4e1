/**
 * The SDK against a hostile or broken peer (issue 8): deeply nested frames are refused
 * before they are parsed (PL_ERR_JSON_TOO_COMPLEX) and never re-serialised, and a failure
 * while handling what the device sent — here an event listener that throws — closes that
 * connection with PL_ERR_INTERNAL, reported once, never the process.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode } from '@picolink/protocol';
import type { PicolinkError } from '@picolink/protocol';
import { connect } from '../src/index.js';
import { ScriptedPeer } from './fixtures/scripted-peer.js';

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

async function scripted(t: { after(fn: () => unknown): void }): Promise<ScriptedPeer> {
  const peer = await ScriptedPeer.start();
  t.after(() => peer.close());
  return peer;
}

test('frames nested 6,000 deep from the device are reported as PL_ERR_JSON_TOO_COMPLEX; the connection goes on', async (t) => {
  const peer = await scripted(t);
  const device = await connect(peer.url, { timeoutMs: 1000, heartbeatMs: 0 });
  t.after(() => device.close());
  const errors: PicolinkError[] = [];
  device.on('error', (err: PicolinkError) => errors.push(err));
  const connection = await peer.nextConnection(0);
  // Neither a response, an event nor a request: the SDK used to quote it in its error.
  connection.sendRaw(`{"x":${nested(6000)}}\n`);
  connection.sendRaw(`{"id":99,"ok":true,"x":${nested(6000)}}\n`);
  assert.equal(typeof (await device.ping()), 'number', 'requests are still answered');
  assert.deepEqual(
    errors.map((e) => e.code),
    [ErrorCode.JSON_TOO_COMPLEX, ErrorCode.JSON_TOO_COMPLEX],
  );
});

test('an event listener that throws closes that connection with PL_ERR_INTERNAL, reported once; other connections go on', async (t) => {
  const peer = await scripted(t);
  const victim = await connect(peer.url, { timeoutMs: 1000, heartbeatMs: 0 });
  const bystander = await connect(peer.url, { timeoutMs: 1000, heartbeatMs: 0 });
  t.after(() => Promise.all([victim.close(), bystander.close()]));
  const errors: PicolinkError[] = [];
  victim.on('error', (err: PicolinkError) => errors.push(err));
  victim.on('event', () => {
    throw new Error('listener bug');
  });
  const closed = new Promise<PicolinkError | null>((resolve) => victim.once('close', resolve));
  (await peer.nextConnection(0)).send({ event: 'pin_change', pin: 2, value: 1, cause: 'input', t: 1 });
  const reason = await closed;
  assert.equal(reason?.code, ErrorCode.INTERNAL);
  assert.match(reason?.message ?? '', /listener bug/);
  assert.deepEqual(
    errors.map((e) => e.code),
    [ErrorCode.INTERNAL],
  );
  await assert.rejects(victim.ping(), (err: PicolinkError) => err.code === ErrorCode.CONNECTION_CLOSED);
  assert.equal(typeof (await bystander.ping()), 'number');
});
