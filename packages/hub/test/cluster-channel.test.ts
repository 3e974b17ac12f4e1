/**
 * The channel between hubs on one PostgreSQL (cluster/channel.ts), on a real server:
 * messages reach the other hubs and not the sender, an addressed message only its hub,
 * a message too big for a notification arrives whole through cluster_mail (and an
 * addressed one leaves no row behind), and after the database restarts the channel
 * listens again, says so, and carries messages as before.
 */
import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { startPostgres } from '@picolink/test-kit/postgres';
import { ClusterChannel, MAX_NOTIFY_BYTES } from '../src/cluster/channel.js';
import type { ClusterMessage } from '../src/cluster/channel.js';
import { openPostgresStore } from '../src/store/postgres.js';
import type { PostgresStore } from '../src/store/postgres.js';

const cluster = await startPostgres();
after(() => cluster.stop());

const store = await openPostgresStore({ url: cluster.url });
after(() => store.close());

const opened: ClusterChannel[] = [];
after(() => Promise.all(opened.map((channel) => channel.close())));

async function channel(hubId: string, on: PostgresStore = store): Promise<{ channel: ClusterChannel; got: ClusterMessage[]; reconnects: number[] }> {
  const made = new ClusterChannel({ hubId, ...on.cluster, backoff: { baseMs: 50, maxMs: 300 } });
  await made.start();
  opened.push(made);
  const got: ClusterMessage[] = [];
  const reconnects: number[] = [];
  made.on('test', (message) => void got.push(message));
  made.onReconnect(() => void reconnects.push(Date.now()));
  return { channel: made, got, reconnects };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function mailRows(): Promise<number> {
  const { rows } = await store.cluster.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cluster_mail');
  return rows[0]?.n ?? -1;
}

test('a message reaches every other hub, not its sender; an addressed one only its hub', async () => {
  const a = await channel('hub-a');
  const b = await channel('hub-b');
  const c = await channel('hub-c');
  await a.channel.publish({ kind: 'test', n: 1 });
  await a.channel.publish({ kind: 'test', to: 'hub-c', n: 2 });
  await a.channel.publish({ kind: 'other', n: 3 });
  await until('both messages at hub-c', () => c.got.length === 2);
  await until('the broadcast at hub-b', () => b.got.length === 1);
  // A marker sent after everything above: once it arrives, nothing else is on its way.
  await c.channel.publish({ kind: 'test', n: 4 });
  // Each hub listens on a connection of its own: the marker reaches them one by one.
  await until('the marker at hub-b and hub-a', () => b.got.length === 2 && a.got.length === 1);
  assert.deepEqual(b.got, [{ kind: 'test', from: 'hub-a', n: 1 }, { kind: 'test', from: 'hub-c', n: 4 }]);
  assert.deepEqual(c.got, [{ kind: 'test', from: 'hub-a', n: 1 }, { kind: 'test', from: 'hub-a', to: 'hub-c', n: 2 }]);
  assert.deepEqual(a.got, [{ kind: 'test', from: 'hub-c', n: 4 }]);
});

test('a message over the notification limit arrives whole through cluster_mail', async () => {
  const a = await channel('mail-a');
  const b = await channel('mail-b');
  const c = await channel('mail-c');
  const big = 'x'.repeat(MAX_NOTIFY_BYTES * 20);
  await a.channel.publish({ kind: 'test', to: 'mail-b', big });
  await until('the addressed mail at mail-b', () => b.got.length === 1);
  assert.equal(b.got[0]?.big, big);
  assert.equal(b.got[0]?.from, 'mail-a');
  await until('the addressed mail row deleted by its reader', async () => (await mailRows()) === 0);
  await a.channel.publish({ kind: 'test', big, n: 2 });
  await until('the broadcast mail at mail-b and mail-c', () => b.got.length === 2 && c.got.length === 1);
  assert.equal(c.got[0]?.big, big);
  assert.equal(b.got[1]?.n, 2);
  assert.equal(a.got.length, 0);
});

test('after the database restarts the channel listens again and carries messages', async () => {
  const a = await channel('restart-a');
  const b = await channel('restart-b');
  await cluster.shutdown();
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(b.channel.connected, false, 'the channel knows its connection is gone');
  await cluster.restart();
  await until('both channels back', () => a.reconnects.length === 1 && b.reconnects.length === 1, 20_000);
  assert.equal(b.channel.connected, true);
  await a.channel.publish({ kind: 'test', n: 'after' });
  await until('a message after the restart', () => b.got.length === 1);
  assert.deepEqual(b.got, [{ kind: 'test', from: 'restart-a', n: 'after' }]);
});
