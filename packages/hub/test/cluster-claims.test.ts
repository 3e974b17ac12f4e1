/**
 * Claims made together (state/key-batch.ts, PresenceTable.claimMany) on a real
 * PostgreSQL: hundreds of devices coming online at once are claimed and announced in a
 * few statements, each notification within PostgreSQL's limit and every device announced
 * once with its epoch; epochs and giving way are as for one claim at a time; a device
 * whose announcement alone is too big is claimed and left for the channel's mail. The
 * remembered outputs of devices coming online together are read in one query, each
 * device getting exactly its own.
 */
import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import pg from 'pg';
import { startPostgres } from '@picolink/test-kit/postgres';
import { CLUSTER_CHANNEL, MAX_NOTIFY_BYTES } from '../src/cluster/channel.js';
import { PresenceTable } from '../src/cluster/presence-table.js';
import type { ClaimRequest, ClaimResult } from '../src/cluster/presence-table.js';
import { KeyBatch } from '../src/state/key-batch.js';
import { openPostgresStore } from '../src/store/postgres.js';

const TTL_MS = 15_000;
const database = await startPostgres();
const store = await openPostgresStore({ url: database.url });

/** Every notification on the cluster channel, raw, as another hub would get it. */
const heard: string[] = [];
const listener = new pg.Client({ connectionString: database.url });
await listener.connect();
after(async () => {
  await listener.end();
  await store.close();
  await database.stop();
});
listener.on('notification', (note) => {
  if (note.channel === CLUSTER_CHANNEL && note.payload !== undefined) heard.push(note.payload);
});
await listener.query(`LISTEN ${CLUSTER_CHANNEL}`);

function request(deviceId: string, takeOver = true, capabilities = ['pipeline', 'telemetry', 'pwm', 'i2c', 'spi', 'uart', 'adc', 'update']): ClaimRequest {
  return { row: { deviceId, mode: takeOver ? 'dial-home' : 'server', address: '127.0.0.1:40000', protocol: 1, capabilities, connectedAt: Date.now(), sessionId: null }, takeOver };
}

/** Claims gathered as HubCluster gathers them. */
function claims(table: PresenceTable): KeyBatch<ClaimRequest, ClaimResult> {
  return new KeyBatch(
    (requests) => table.claimMany(requests, Date.now()),
    (request) => request.row.deviceId,
  );
}

async function settle(): Promise<void> {
  // Notifications arrive after the commit; a round trip on the listener's connection lets them in.
  await listener.query('SELECT 1');
  await new Promise((resolve) => setTimeout(resolve, 100));
}

interface Announced {
  kind: string;
  from: string;
  hubId: string;
  online: boolean;
  devices: Array<{ deviceId: string; epoch: number; mode: string; capabilities: string[] }>;
}

test('600 devices claimed at once: a few statements, every device announced once, each notification within the limit', async () => {
  heard.length = 0;
  const batch = claims(new PresenceTable(store.cluster.pool, 'hub-a', TTL_MS));
  const ids = Array.from({ length: 600 }, (_, i) => `storm-${String(i).padStart(4, '0')}`);
  const results = await Promise.all(ids.map((id) => batch.add(request(id))));
  assert.ok(results.every((result) => result.epoch === 1 && result.announced && result.previousHub === null));
  await settle();

  assert.ok(heard.length >= 2 && heard.length <= 60, `${heard.length} notifications for 600 claims`);
  for (const payload of heard) assert.ok(Buffer.byteLength(payload) <= MAX_NOTIFY_BYTES, `a notification of ${Buffer.byteLength(payload)} bytes`);
  const messages = heard.map((payload) => JSON.parse(payload) as Announced);
  assert.ok(messages.every((message) => message.kind === 'presence' && message.from === 'hub-a' && message.hubId === 'hub-a' && message.online));
  const announced = messages.flatMap((message) => message.devices);
  assert.deepEqual(announced.map((device) => device.deviceId).sort(), ids);
  assert.ok(announced.every((device) => device.epoch === 1 && device.mode === 'dial-home' && device.capabilities.length === 8));

  // Claimed again (the devices reconnected): the next epoch, the previous holder this hub.
  const again = await Promise.all(ids.slice(0, 50).map((id) => batch.add(request(id))));
  assert.ok(again.every((result) => result.epoch === 2 && result.previousHub === 'hub-a' && result.previousLive));
});

test('claims in one statement keep the rules of one claim: a dialing device is taken over, a server-mode link gives way to a live holder', async () => {
  const a = new PresenceTable(store.cluster.pool, 'hub-a', TTL_MS);
  const b = new PresenceTable(store.cluster.pool, 'hub-b', TTL_MS);
  await a.claimMany([request('mixed-1'), request('mixed-2', false)], Date.now());
  const [taken, kept, fresh] = await b.claimMany([request('mixed-1'), request('mixed-2', false), request('mixed-3', false)], Date.now());
  assert.deepEqual(taken, { epoch: 2, previousHub: 'hub-a', previousLive: true, previousSession: null, announced: true });
  assert.equal(kept?.epoch, undefined, 'a server-mode claim leaves a live row of another hub alone');
  assert.equal(kept?.previousHub, 'hub-a');
  assert.equal(kept?.announced, false);
  assert.equal(fresh?.epoch, 1, 'a server-mode claim of a device nobody holds takes it');
  const held = await b.renew(Date.now(), 'test');
  assert.deepEqual([...held].sort(), [
    ['mixed-1', 2],
    ['mixed-3', 1],
  ]);
});

test('a claim whose announcement alone is too big for a notification is made and left to the caller to announce', async () => {
  heard.length = 0;
  const batch = claims(new PresenceTable(store.cluster.pool, 'hub-a', TTL_MS));
  const huge = Array.from({ length: 400 }, (_, i) => `capability-number-${i}`);
  const [big, small] = await Promise.all([batch.add(request('big-1', true, huge)), batch.add(request('small-1'))]);
  assert.equal(big?.epoch, 1);
  assert.equal(big?.announced, false);
  assert.equal(small?.announced, true);
  await settle();
  const announced = heard.flatMap((payload) => (JSON.parse(payload) as Announced).devices.map((device) => device.deviceId));
  assert.deepEqual(announced, ['small-1']);
});

test('the outputs of several devices read in one query: each device gets its own, sorted by pin, none for a device without', async () => {
  const now = Date.now();
  const output = (deviceId: string, pin: number | 'LED', value: 0 | 1) => ({ deviceId, pin, setup: { pin, mode: 'out' }, value, leaseUntil: null, leaseValue: null, leaseWrite: null, updatedAt: now });
  for (const state of [output('outs-1', 15, 1), output('outs-1', 'LED', 0), output('outs-1', 2, 0), output('outs-3', 7, 1)]) await store.saveOutputState(state);
  const ids = ['outs-3', 'outs-2', 'outs-1'];
  const many = await store.loadOutputStatesOf(ids);
  const one = await Promise.all(ids.map((id) => store.loadOutputStates(id)));
  assert.deepEqual(many, one);
  assert.deepEqual(
    many.map((states) => states.map((state) => state.pin)),
    [[7], [], [2, 15, 'LED']],
  );
});
