import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startTestDevice } from './fixtures.js';

test('1000 requests in one write get 1000 responses, in order, with matching ids', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  const chunks: number[] = [];
  client.socket.on('data', (text: string) => chunks.push(text.length));
  const actions = ['ping', 'get_version', 'read_adc'];
  let batch = '';
  for (let id = 1; id <= 1000; id++) {
    const action = actions[id % actions.length];
    batch += JSON.stringify(action === 'read_adc' ? { id, action, channel: 4 } : { id, action }) + '\n';
  }
  client.send(batch);
  const ids: unknown[] = [];
  for (let i = 0; i < 1000; i++) {
    const reply = await client.response();
    assert.equal(reply.ok, true);
    ids.push(reply.id);
  }
  assert.deepEqual(ids, Array.from({ length: 1000 }, (_, i) => i + 1));
  // Responses to one received chunk leave in one write, so they arrive in few reads.
  assert.ok(chunks.length < 200, `${chunks.length} reads for 1000 responses`);
});

test('a connection\'s requests are answered strictly in order even when one waits on the device', async (t) => {
  const device = await startTestDevice(t, { actionDelayMs: 5000 });
  const client = await device.connect();
  client.send(
    [
      { id: 1, action: 'ping' },
      { id: 2, action: 'update', files: { 'a.py': 'a' } }, // writes files: asynchronous
      { id: 3, action: 'ping' },
    ]
      .map((m) => JSON.stringify(m) + '\n')
      .join(''),
  );
  const ids = [(await client.response()).id, (await client.response()).id, (await client.response()).id];
  assert.deepEqual(ids, [1, 2, 3]);
});
