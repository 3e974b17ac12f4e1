/**
 * Two hubs in one process sharing one PostgreSQL (a real throwaway server), each with
 * real dial-home devices (the TS device runtime over real sockets): each hub's API lists
 * every device online with the hub that holds it, a live stream on one hub sees a device
 * on the other go offline, and when the same device id connects to the second hub while
 * connected to the first, the first closes its link without recording the device offline
 * and only the second holds it. Events recorded on one hub reach the other's live stream
 * and are stored once. A hub whose listening connection dropped reloads what it missed; a
 * server-mode device configured on both hubs is connected by one.
 */
import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { SimulatedBackend, startDevice } from '@picolink/device';
import type { RunningDevice } from '@picolink/device';
import { startPostgres } from '@picolink/test-kit/postgres';
import type { DeviceDetail, DeviceView } from '../src/api-types.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { JsonSocket, startTestHub, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import type { StartHubOptions } from '../src/hub.js';

const cluster = await startPostgres();
after(() => cluster.stop());

let databases = 0;

/** A fresh database and two hubs on it, "hub-a" and "hub-b". */
async function twoHubs(t: TestContext, optionsA: Partial<StartHubOptions> = {}, devices: unknown[] = []): Promise<{ a: TestHub; b: TestHub; url: string }> {
  databases += 1;
  const url = await cluster.createDatabase(`presence_${databases}`);
  const raw = (hubId: string): Record<string, unknown> => ({ hubId, store: { postgres: url }, gateway: { heartbeatMs: 1000, acceptUnknownDevices: true }, devices });
  const serverLinkBackoff = { baseMs: 100, maxMs: 200 };
  const a = await startTestHub(raw('hub-a'), { serverLinkBackoff, ...optionsA });
  t.after(() => a.close());
  const b = await startTestHub(raw('hub-b'), { serverLinkBackoff });
  t.after(() => b.close());
  return { a, b, url };
}

/** A device dialing home to `hub`, online there when this resolves. `patient`: it waits about a minute before dialing again. */
async function dialing(t: TestContext, hub: TestHub, id: string, patient = false): Promise<RunningDevice<SimulatedBackend>> {
  const device = await startDevice({
    host: '127.0.0.1',
    port: 0,
    deviceId: id,
    backend: new SimulatedBackend(),
    hub: {
      hub: { host: '127.0.0.1', port: hub.hub.gatewayPort },
      ...(patient ? { backoff: { baseMs: 60_000, maxMs: 60_000 }, random: () => 0.99 } : { backoff: { baseMs: 50, maxMs: 200 } }),
    },
  });
  t.after(() => device.close());
  await until(() => hub.hub.directory.isOnline(id), `"${id}" online on ${hub.hub.cluster?.hubId}`);
  return device;
}

async function listed(hub: TestHub): Promise<Map<string, DeviceView>> {
  const { devices } = await hub.json<{ devices: DeviceView[] }>('/api/devices');
  return new Map(devices.map((device) => [device.id, device]));
}

/** Waits until `hub`'s API shows `id` with `want` (online and holder). */
async function shown(hub: TestHub, id: string, want: { online: boolean; hub: string | null }): Promise<DeviceView> {
  return until(async () => {
    const device = (await listed(hub)).get(id);
    return device?.online === want.online && device.hub === want.hub ? device : undefined;
  }, `"${id}" shown ${want.online ? `online on ${want.hub}` : 'offline'}`);
}

test('each hub lists the devices of both, online, with the hub holding each', async (t) => {
  const { a, b } = await twoHubs(t);
  assert.equal((await a.json<{ hubId: string }>('/api/health')).hubId, 'hub-a');
  await dialing(t, a, 'on-a');
  await dialing(t, b, 'on-b-1');
  await dialing(t, b, 'on-b-2');
  for (const hub of [a, b]) {
    await shown(hub, 'on-a', { online: true, hub: 'hub-a' });
    await shown(hub, 'on-b-1', { online: true, hub: 'hub-b' });
    await shown(hub, 'on-b-2', { online: true, hub: 'hub-b' });
  }
  // The other hub's view of a device is the holder's: mode, address, times, protocol, capabilities.
  const fromA = (await a.json<DeviceDetail>('/api/devices/on-b-1')).device;
  const fromB = (await b.json<DeviceDetail>('/api/devices/on-b-1')).device;
  for (const key of ['online', 'hub', 'mode', 'address', 'connectedAt', 'protocol', 'capabilities'] as const) {
    assert.deepEqual(fromA[key], fromB[key], `"${key}" of on-b-1 seen from hub-a`);
  }
  assert.equal(fromA.mode, 'dial-home');
  assert.ok(fromA.connectedAt !== null && fromA.capabilities.length > 0);
  // Only the holder has the link: commands go through it.
  assert.equal(a.hub.directory.isOnline('on-b-1'), false);
});

test('a live stream on one hub sees a device on the other go offline', async (t) => {
  const { a, b } = await twoHubs(t);
  const device = await dialing(t, b, 'leaving');
  await shown(a, 'leaving', { online: true, hub: 'hub-b' });
  const stream = await JsonSocket.open(`${a.hub.httpUrl.replace('http', 'ws')}/api/stream?types=status&token=${a.hub.token}`);
  t.after(() => stream.close());
  await device.close();
  const status = await until(() => stream.find((m) => m.type === 'status' && m.device === 'leaving'), 'the status on hub-a\'s stream');
  assert.equal(status.online, false);
  assert.equal(status.hub, 'hub-b', 'the status names the hub whose connection ended');
  await shown(a, 'leaving', { online: false, hub: null });
  await shown(b, 'leaving', { online: false, hub: null });
});

test('the same device id connecting to hub-b while on hub-a: hub-a gives up its link, only hub-b holds it', async (t) => {
  const { a, b, url } = await twoHubs(t);
  const first = await dialing(t, a, 'twin', true);
  await shown(b, 'twin', { online: true, hub: 'hub-a' });
  const stream = await JsonSocket.open(`${a.hub.httpUrl.replace('http', 'ws')}/api/stream?types=status&token=${a.hub.token}`);
  t.after(() => stream.close());
  await dialing(t, b, 'twin');
  await until(() => !a.hub.directory.isOnline('twin'), 'hub-a\'s link closed');
  await until(() => first.hub?.state !== 'online', 'the first device told its link is closed');
  for (const hub of [a, b]) await shown(hub, 'twin', { online: true, hub: 'hub-b' });
  // hub-a's stream says the device is online on hub-b, never that it went offline.
  await until(() => stream.find((m) => m.type === 'status' && m.device === 'twin' && m.online === true), 'the take-over on hub-a\'s stream');
  assert.equal(stream.find((m) => m.type === 'status' && m.device === 'twin' && m.online === false), undefined);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  t.after(() => db.end());
  const { rows } = await db.query<{ hub_id: string; epoch: string }>("SELECT hub_id, epoch FROM device_presence WHERE device_id = 'twin'");
  assert.deepEqual(rows, [{ hub_id: 'hub-b', epoch: '2' }]);
  // Both hubs store events in the one database (in batches): two onlines, no offline.
  await until(async () => (await b.hub.store.listEvents({ deviceId: 'twin' })).length >= 2, 'both online events stored');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const events = await b.hub.store.listEvents({ deviceId: 'twin' });
  assert.deepEqual(events.map((event) => event.type), ['online', 'online']);
  const sessions = await until(async () => {
    const found = await b.hub.store.listSessions('twin');
    return found.length === 2 && found.some((session) => session.closedAt !== null) ? found : undefined;
  }, 'hub-a\'s session closed');
  assert.equal(sessions.filter((session) => session.closedAt === null).length, 1, 'only hub-b\'s session is open');
});

test('a device reconnecting to the same hub replaces its link there and stays held by it', async (t) => {
  const { a, b, url } = await twoHubs(t);
  await dialing(t, a, 'again', true);
  const first = a.hub.directory.get('again');
  await dialing(t, a, 'again');
  await until(() => a.hub.directory.get('again') !== first && a.hub.directory.isOnline('again'), 'the newer link in place');
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  t.after(() => db.end());
  // The row names the newer link (its epoch depends on whether the older one was released first).
  const newer = a.hub.directory.get('again')?.address;
  const row = async (): Promise<{ hub_id: string; address: string } | undefined> =>
    (await db.query<{ hub_id: string; address: string }>("SELECT hub_id, address FROM device_presence WHERE device_id = 'again'")).rows[0];
  await until(async () => (await row())?.address === newer, 'the newer link claimed');
  // Renewals (every heartbeat / 3) find the row this hub holds: its newer link is not fenced.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(a.hub.directory.get('again')?.address, newer);
  assert.deepEqual(await row(), { hub_id: 'hub-a', address: newer });
  await shown(b, 'again', { online: true, hub: 'hub-a' });
});

test('a hub whose listening connection dropped learns on reconnecting what it missed', async (t) => {
  // Hub-a listens again 2 s after the drop (fixed jitter): long enough for a device to come online on hub-b meanwhile.
  const { a, b, url } = await twoHubs(t, { clusterBackoff: { baseMs: 2000, maxMs: 2000, random: () => 0.999 } });
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  t.after(() => db.end());
  const { rows } = await db.query<{ ok: boolean }>("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'picolink-listen hub-a'");
  assert.deepEqual(rows, [{ ok: true }]);
  await until(() => a.hub.cluster?.channel.connected === false, 'hub-a\'s channel down');
  await dialing(t, b, 'meanwhile');
  await until(async () => (await db.query("SELECT 1 FROM device_presence WHERE device_id = 'meanwhile'")).rowCount === 1, 'hub-b\'s claim');
  assert.equal(a.hub.cluster?.channel.connected, false, 'hub-a was still not listening when hub-b announced the device');
  assert.equal(a.hub.directory.remote('meanwhile'), undefined);
  await shown(a, 'meanwhile', { online: true, hub: 'hub-b' });
  assert.equal(a.hub.cluster?.channel.connected, true);
});

test('a server-mode device configured on both hubs is connected by one of them only', async (t) => {
  const device = await startDevice({ host: '127.0.0.1', port: 0, deviceId: 'listener', backend: new SimulatedBackend() });
  t.after(() => device.close());
  const { a, b, url } = await twoHubs(t, {}, [{ id: 'listener', address: device.url }]);
  const holder = await until(() => (a.hub.directory.isOnline('listener') ? a : b.hub.directory.isOnline('listener') ? b : undefined), 'a hub linked');
  const other = holder === a ? b : a;
  const holderId = holder.hub.cluster?.hubId ?? '';
  for (const hub of [a, b]) await shown(hub, 'listener', { online: true, hub: holderId });
  // Several reconnect waits later the other hub still leaves it alone, and no claim took it over.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(other.hub.directory.isOnline('listener'), false);
  assert.equal(holder.hub.directory.isOnline('listener'), true);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  t.after(() => db.end());
  const { rows } = await db.query<{ hub_id: string; epoch: string }>("SELECT hub_id, epoch FROM device_presence WHERE device_id = 'listener'");
  assert.deepEqual(rows, [{ hub_id: holderId, epoch: '1' }]);
});

test('a hub on SQLite joins no cluster', async (t) => {
  const hub = await startTestHub({ hubId: 'alone', gateway: { acceptUnknownDevices: true } });
  t.after(() => hub.close());
  assert.equal(hub.hub.cluster, null);
  const device = await dialing(t, hub, 'solo');
  assert.equal((await shown(hub, 'solo', { online: true, hub: 'alone' })).mode, 'dial-home');
  await device.close();
  await shown(hub, 'solo', { online: false, hub: null });
});

test('events recorded on one hub reach the live streams of the other, stored once; a burst past one notification is counted and dropped', async (t) => {
  const { a, b, url } = await twoHubs(t);
  const stream = await JsonSocket.open(`${a.hub.httpUrl.replace('http', 'ws')}/api/stream?types=event&token=${a.hub.token}`);
  t.after(() => stream.close());
  await dialing(t, b, 'eventful');
  const online = await until(() => stream.find((m) => m.type === 'event' && m.device === 'eventful'), 'hub-b\'s online event on hub-a\'s stream');
  assert.equal((online.event as { type: string }).type, 'online');

  // A burst within one batch: what fits in one notification is sent, the rest counted as dropped.
  const relay = b.hub.cluster?.events;
  assert.ok(relay);
  const before = relay.stats();
  const BURST = 300;
  for (let i = 0; i < BURST; i += 1) {
    b.hub.bus.emit('event', { deviceId: 'burst', type: 'pin_change', time: Date.now(), deviceTime: null, data: { pin: 5, value: i % 2, note: 'x'.repeat(100) } });
  }
  await until(() => relay.stats().sent + relay.stats().dropped - before.sent - before.dropped === BURST, 'the burst sent or dropped');
  const sent = relay.stats().sent - before.sent;
  assert.ok(sent > 10 && sent < BURST, `${sent} of ${BURST} events fit in the batch`);
  await until(() => stream.messages.filter((m) => m.device === 'burst').length === sent, 'the sent ones on hub-a\'s stream');

  // Stored by the hub that recorded it, never again by the one that relayed it.
  await a.hub.close();
  await b.hub.close();
  const store = await openPostgresStore({ url });
  t.after(() => store.close());
  const events = await store.listEvents({ deviceId: 'eventful' });
  assert.deepEqual(events.map((event) => event.type).sort(), ['offline', 'online']);
});
