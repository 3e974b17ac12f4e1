import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { startTestDevice } from './fixtures.js';
import { delay } from '@picolink/test-kit/line-client';

test('a client that never says anything is told why and closed after the hello timeout', async (t) => {
  const device = await startTestDevice(t, { helloTimeoutMs: 100 });
  const other = await device.connect();
  const silent = await device.connect();
  const started = Date.now();
  const closing = await silent.event('closing');
  assert.equal(closing.code, 'PL_ERR_IDLE_TIMEOUT');
  assert.match(closing.error as string, /no request within 100 ms/);
  assert.ok(Date.now() - started >= 80);
  assert.equal(await silent.closesWithin(1000), true);
  assert.equal(other.socket.destroyed, true, 'the other silent client went the same way');
  const fresh = await device.connect();
  assert.equal((await fresh.request({ action: 'ping' })).ok, true);
});

test('a client that goes quiet is closed after the idle timeout; frames keep it open', async (t) => {
  const device = await startTestDevice(t, { idleTimeoutMs: 150 });
  const quiet = await device.connect();
  const chatty = await device.connect();
  await quiet.request({ action: 'ping' });
  for (let i = 0; i < 6; i++) {
    await chatty.request({ action: 'ping' });
    await delay(50);
  }
  const closing = await quiet.event('closing');
  assert.equal(closing.code, 'PL_ERR_IDLE_TIMEOUT');
  assert.match(closing.error as string, /no frame for 150 ms/);
  assert.equal(await quiet.closesWithin(1000), true);
  assert.equal(chatty.socket.destroyed, false, 'pings kept the other connection open');
  assert.equal((await chatty.request({ action: 'ping' })).ok, true);
});

test('one client too many is told PL_ERR_TOO_MANY_CLIENTS and closed; the others are served', async (t) => {
  const device = await startTestDevice(t, { maxClients: 2 });
  const first = await device.connect();
  const second = await device.connect();
  await first.request({ action: 'ping' });
  await second.request({ action: 'ping' });
  const third = await device.connect();
  const closing = await third.event('closing');
  assert.equal(closing.code, 'PL_ERR_TOO_MANY_CLIENTS');
  assert.match(closing.error as string, /already serves 2 clients/);
  assert.equal(await third.closesWithin(1000), true);
  assert.equal((await first.request({ action: 'ping' })).ok, true);
  assert.equal((await second.request({ action: 'ping' })).ok, true);
  second.close();
  await second.closed;
  await delay(30);
  const fourth = await device.connect();
  assert.equal((await fourth.request({ action: 'ping' })).ok, true, 'a freed slot can be used again');
});

test('a client that pipelines without reading is dropped once its unread output passes the bound', async (t) => {
  // maxOutputBytes below the socket's 16 KiB high-water mark: reading only ever pauses
  // for a consumer that is already over the bound, so the outcome does not depend on timing.
  const device = await startTestDevice(t, { maxOutputBytes: 4096 });
  const good = await device.connect();
  const greedy = await device.connect();
  greedy.socket.pause(); // never read
  const request = JSON.stringify({ action: 'get_info' }) + '\n'; // ~22 bytes in, ~500 bytes out
  const batch = request.repeat(2000);
  let written = 0;
  const deadline = Date.now() + 5000;
  while (!greedy.socket.destroyed && Date.now() < deadline && written < 200) {
    greedy.socket.write(batch);
    written += 1;
    await delay(1);
  }
  assert.equal(await greedy.closesWithin(3000), true, 'the device dropped the connection');
  const logged = device.logs.find((line) => line.includes('PL_ERR_SLOW_CONSUMER'));
  assert.ok(logged, 'the device logged why');
  // What was held for the greedy client: at most the responses to one read chunk.
  const held = Number(/(\d+) bytes of responses unread/.exec(logged)?.[1]);
  assert.ok(held > 4096 && held < 4 * 1024 * 1024, `unread output held: ${held} bytes`);
  assert.equal((await good.request({ action: 'get_info' })).ok, true, 'the other client is served');
});

test('a slow reader is paused, not dropped, while its unread output stays within the bound', async (t) => {
  const device = await startTestDevice(t);
  const slow = await device.connect();
  slow.socket.pause();
  const count = 3000;
  slow.send(JSON.stringify({ action: 'get_info' }).concat('\n').repeat(count));
  await delay(200);
  slow.socket.resume();
  for (let i = 0; i < count; i++) assert.equal((await slow.response()).ok, true);
  assert.equal(device.logs.some((line) => line.includes('PL_ERR_SLOW_CONSUMER')), false);
});

test('requests sent just before the client half-closes are still answered', async (t) => {
  const device = await startTestDevice(t);
  const socket = connect({ port: device.port, host: '127.0.0.1', allowHalfOpen: true });
  t.after(() => socket.destroy());
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => (received += text));
  const ended = new Promise((resolve) => socket.once('end', resolve));
  socket.end('{"id":1,"action":"ping"}\n{"id":2,"action":"get_version"}\n\n');
  await ended;
  const ids = received
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { id: number }).id);
  assert.deepEqual(ids, [1, 2]);
});

test('closing the device closes every connection and releases the port', async (t) => {
  const device = await startTestDevice(t);
  const client = await device.connect();
  await client.request({ action: 'ping' });
  await device.close();
  const closing = await client.event('closing');
  assert.equal(closing.code, 'PL_ERR_CONNECTION_CLOSED');
  assert.equal(await client.closesWithin(1000), true);
  await assert.rejects(
    new Promise((resolve, reject) => connect({ port: device.port, host: '127.0.0.1' }, () => resolve(undefined)).once('error', reject)),
    /ECONNREFUSED/,
  );
});
