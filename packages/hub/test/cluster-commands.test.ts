/**
 * Commands across hubs (docs/scaling.md#commands-across-hubs), on a real PostgreSQL with
 * two in-process hubs and a real dial-home device on hub B; every command goes to hub A's
 * HTTP API. What a user sees: the same answers as from hub B's own API, one audit record
 * each, outputs remembered and set again when the device comes back, a clear error when
 * the device goes offline or its hub falls silent, and an update too big for a
 * notification delivered through cluster_mail.
 */
import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import type { TestContext } from 'node:test';
import { connect } from '@picolink/client';
import type { PinChange } from '@picolink/client';
import type { DeviceDetail } from '../src/api-types.js';
import { startPostgres } from '@picolink/test-kit/postgres';
import { ClusterChannel } from '../src/cluster/channel.js';
import { PresenceTable } from '../src/cluster/presence-table.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { startTestHub, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { startDialHomeDevice } from './sim-devices.js';

const cluster = await startPostgres();
after(() => cluster.stop());

/** Device answer timeout on both hubs, ms: the origin gives up 2 s after it. */
const DEVICE_TIMEOUT_MS = 1000;
/** The gateway heartbeat: presence rows live this long without renewal, ms. */
const HEARTBEAT_MS = 1000;

let databases = 0;

/** A fresh database of the cluster, for one test's hubs. */
async function freshDatabase(): Promise<string> {
  databases += 1;
  return cluster.createDatabase(`commands_${databases}`);
}

async function twoHubs(t: TestContext): Promise<{ a: TestHub; b: TestHub; url: string }> {
  const url = await freshDatabase();
  const start = (hubId: string): Promise<TestHub> =>
    startTestHub({ store: { postgres: url }, hubId, gateway: { acceptUnknownDevices: true, heartbeatMs: HEARTBEAT_MS } }, { gatewayLimits: { requestTimeoutMs: DEVICE_TIMEOUT_MS } });
  const a = await start('hub-a');
  t.after(() => a.close());
  const b = await start('hub-b');
  t.after(() => b.close());
  return { a, b, url };
}

/** Waits until `hub`'s API shows the device online held by `holder`, or offline (null). */
async function heldBy(hub: TestHub, deviceId: string, holder: string | null): Promise<void> {
  await until(async () => {
    const response = await hub.api(`/api/devices/${deviceId}`);
    if (response.status !== 200) return false;
    const { device: view } = (await response.json()) as DeviceDetail;
    return view.online === (holder !== null) && view.hub === holder;
  }, `"${deviceId}" held by ${String(holder)} as ${hub.hub.httpUrl} sees it`);
}

async function command(hub: TestHub, deviceId: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await hub.post(`/api/devices/${deviceId}/commands`, body);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** An answer without the device's receive time, the one field two runs of a command never share. */
function timeless(answer: { status: number; body: Record<string, unknown> }): { status: number; body: Record<string, unknown> } {
  const { time_received: _time, ...body } = answer.body;
  return { status: answer.status, body };
}

async function auditCount(hub: TestHub, deviceId: string): Promise<number> {
  return (await hub.hub.store.listAudit({ deviceId, limit: 1000 })).length;
}

test('commands posted to hub A for a device on hub B: the same answers as from hub B, one audit record each, the outputs remembered and set again when it comes back', async (t) => {
  const { a, b } = await twoHubs(t);
  const first = await startDialHomeDevice(b.hub, 'pico-r');
  t.after(() => first.device.close());
  await heldBy(a, 'pico-r', 'hub-b');

  // Each run starts from the same pin state (setup_pin sets value 0), so both hubs must answer alike.
  const sequence: unknown[] = [
    { action: 'setup_pin', pin: 'LED', mode: 'output', value: 0 },
    { id: 7, action: 'write_pin', pin: 'LED', value: 1 },
    { action: 'read_pin', pin: 'LED' },
    { action: 'write_pin', pin: 8, value: 1 },
    { action: 'get_version' },
  ];
  const viaA: Array<{ status: number; body: Record<string, unknown> }> = [];
  for (const item of sequence) viaA.push(timeless(await command(a, 'pico-r', item)));
  const viaB: Array<{ status: number; body: Record<string, unknown> }> = [];
  for (const item of sequence) viaB.push(timeless(await command(b, 'pico-r', item)));
  assert.deepEqual(viaA, viaB);
  assert.equal(viaA[1]?.body.id, 7, "the caller's id comes back");
  assert.deepEqual(viaA[1]?.body, { id: 7, action: 'write_pin', ok: true, pin: 'LED', previous: 0, value: 1 });
  assert.equal(viaA[3]?.body.code, 'PL_ERR_PIN_NOT_SETUP', "the device's own coded error");
  assert.equal(first.device.backend.read('LED'), 1);

  // A list in one body works too, answered in order.
  const list = await command(a, 'pico-r', [{ action: 'ping' }, { action: 'read_pin', pin: 'LED' }]);
  assert.equal(list.status, 200);
  assert.deepEqual(
    (list.body as unknown as Array<Record<string, unknown>>).map((item) => item.ok),
    [true, true],
  );

  // Malformed: refused by hub A itself with 400, nothing forwarded, nothing audited.
  const audited = await auditCount(a, 'pico-r');
  assert.equal(audited, 2 * sequence.length + 2, 'one audit record per command, whichever hub it was posted to');
  const malformed = await command(a, 'pico-r', { action: 'write_pin', pin: 'LED' });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.code, 'PL_ERR_MISSING_FIELD');
  const records = await a.hub.store.listAudit({ deviceId: 'pico-r', limit: 1000 });
  assert.equal(records.length, audited);
  assert.ok(records.every((record) => record.actor === 'api:127.0.0.1'), 'the API caller is the actor, not a hub');

  // The output is remembered (by hub B) and set again when the device comes back to hub B.
  await command(a, 'pico-r', { action: 'write_pin', pin: 'LED', value: 1 });
  assert.deepEqual(
    (await a.hub.commands.outputs('pico-r')).map((state) => [state.pin, state.value]),
    [['LED', 1]],
  );
  await first.device.close();
  await heldBy(a, 'pico-r', null);
  const again = await startDialHomeDevice(b.hub, 'pico-r');
  t.after(() => again.device.close());
  await until(() => again.device.backend.read('LED') === 1, 'the LED set again on the new connection');
  await heldBy(a, 'pico-r', 'hub-b');
  assert.equal((await command(a, 'pico-r', { action: 'read_pin', pin: 'LED' })).body.value, 1);
});

test('a device that goes offline while a command waits: hub A answers at once that it is gone, not after the timeout', async (t) => {
  const { a, b } = await twoHubs(t);
  const sim = await startDialHomeDevice(b.hub, 'pico-sleepy');
  t.after(() => sim.device.close());
  await heldBy(a, 'pico-sleepy', 'hub-b');
  // Light sleep: the device answers, then reads nothing until it wakes.
  assert.equal((await command(a, 'pico-sleepy', { action: 'sleep', time_ms: 60_000 })).body.ok, true);
  await until(() => sim.device.runtime.sleepGate() !== undefined, 'asleep');
  const started = Date.now();
  const waiting = command(a, 'pico-sleepy', { action: 'ping' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await sim.device.close();
  const answer = await waiting;
  const tookMs = Date.now() - started;
  assert.ok(
    (answer.status === 503 && answer.body.code === 'PL_ERR_DEVICE_OFFLINE') || (answer.status === 502 && answer.body.code === 'PL_ERR_CONNECTION_CLOSED'),
    `offline or link closed, as hub B itself would say: ${JSON.stringify(answer)}`,
  );
  assert.ok(tookMs < DEVICE_TIMEOUT_MS + 2000, `answered in ${tookMs} ms, before the relay's timeout`);
  // Once the device is offline everywhere, hub A says so as for a local device.
  await until(async () => (await command(a, 'pico-sleepy', { action: 'ping' })).status === 503, 'offline on hub A');
});

test('an update too big for a notification reaches the device on hub B through cluster_mail', async (t) => {
  const { a, b, url } = await twoHubs(t);
  const sim = await startDialHomeDevice(b.hub, 'pico-big');
  t.after(() => sim.device.close());
  await heldBy(a, 'pico-big', 'hub-b');
  const source = `# ${'x'.repeat(30_000)}\nprint("hello")\n`;
  const answer = await command(a, 'pico-big', { action: 'update', files: { 'main.py': source } });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.deepEqual(answer.body.updated, ['main.py']);
  const [record] = await a.hub.store.listAudit({ deviceId: 'pico-big' });
  assert.deepEqual(record?.request.files, ['main.py']);
  const store = await openPostgresStore({ url });
  try {
    // Both the command and nothing else were mail: the addressed rows are gone once read.
    await until(async () => (await store.cluster.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cluster_mail')).rows[0]?.n === 0, 'no mail left');
  } finally {
    await store.close();
  }
});

/**
 * A hub that holds a device but never answers a command: a presence row of its own (renewed
 * like a live hub's until `stopRenewing`) announced on its channel, which hears commands and
 * drops them.
 */
async function silentHolder(t: TestContext, url: string, deviceId: string): Promise<{ heard: string[]; stopRenewing(): void }> {
  const store = await openPostgresStore({ url });
  t.after(() => store.close());
  const hubId = 'hub-silent';
  const channel = new ClusterChannel({ hubId, ...store.cluster });
  await channel.start();
  t.after(() => channel.close());
  const heard: string[] = [];
  channel.on('command', (message) => void heard.push(String(message.deviceId)));
  await store.upsertDevice({ id: deviceId, mode: 'dial-home', address: '127.0.0.1:1', seenAt: Date.now() });
  const table = new PresenceTable(store.cluster.pool, hubId, HEARTBEAT_MS);
  const row = { deviceId, mode: 'dial-home' as const, address: '127.0.0.1:1', protocol: 1, capabilities: [], connectedAt: Date.now(), sessionId: null };
  const epoch = (await table.claimMany([{ row, takeOver: true }]))[0]?.epoch;
  const renewing = setInterval(() => void table.renew(Date.now(), 'test').catch(() => {}), HEARTBEAT_MS / 4);
  t.after(() => clearInterval(renewing));
  await channel.publish({ kind: 'presence', ...row, hubId, epoch, online: true, time: Date.now() });
  return { heard, stopRenewing: () => clearInterval(renewing) };
}

test('a holder hub that never answers: PL_ERR_TIMEOUT after the device timeout plus 2 s, recorded by hub A', async (t) => {
  const { a, url } = await twoHubs(t);
  const silent = await silentHolder(t, url, 'pico-ghost');
  await heldBy(a, 'pico-ghost', 'hub-silent');
  const started = Date.now();
  const answer = await command(a, 'pico-ghost', { action: 'ping' });
  const tookMs = Date.now() - started;
  assert.equal(answer.status, 504);
  assert.equal(answer.body.code, 'PL_ERR_TIMEOUT');
  assert.deepEqual(silent.heard, ['pico-ghost'], 'the command reached the holder');
  assert.ok(tookMs >= DEVICE_TIMEOUT_MS + 2000 - 50 && tookMs < DEVICE_TIMEOUT_MS + 2000 + 3000, `gave up after ${tookMs} ms`);
  const records = await a.hub.store.listAudit({ deviceId: 'pico-ghost' });
  assert.deepEqual(
    records.map((record) => [record.actor, record.result]),
    [['api:127.0.0.1', 'PL_ERR_TIMEOUT']],
    'hub A records the command no hub answered',
  );
});

test('a holder hub that stops renewing while a command waits: PL_ERR_DEVICE_OFFLINE once its device is swept, before the timeout', async (t) => {
  const { a, url } = await twoHubs(t);
  const silent = await silentHolder(t, url, 'pico-lost');
  await heldBy(a, 'pico-lost', 'hub-silent');
  const started = Date.now();
  const waiting = command(a, 'pico-lost', { action: 'ping' });
  await until(() => silent.heard.length === 1, 'the command at the holder');
  silent.stopRenewing();
  const answer = await waiting;
  const tookMs = Date.now() - started;
  assert.equal(answer.status, 503, JSON.stringify(answer.body));
  assert.equal(answer.body.code, 'PL_ERR_DEVICE_OFFLINE');
  assert.ok(tookMs < DEVICE_TIMEOUT_MS + 2000, `answered in ${tookMs} ms`);
});

test('an SDK hub:// link opened on hub A to a device on hub B: commands answer and watched pin changes arrive', async (t) => {
  const { a, b } = await twoHubs(t);
  const sim = await startDialHomeDevice(b.hub, 'pico-sdk');
  t.after(() => sim.device.close());
  await heldBy(a, 'pico-sdk', 'hub-b');
  const device = await connect(`hub://127.0.0.1:${a.hub.httpPort}/devices/pico-sdk`, { token: a.hub.token ?? '' });
  t.after(() => device.close());
  assert.ok(device.capabilities.includes('pipeline'));
  const led = device.pin('LED');
  await led.setup('output');
  await led.write(1);
  assert.equal(sim.device.backend.read('LED'), 1);
  assert.equal(await led.read(), 1);
  const button = device.pin(15);
  await button.setup('input', { pull: 'up' });
  const changes: PinChange[] = [];
  await button.watch((change) => changes.push(change), { edge: 'falling', debounceMs: 0 });
  sim.device.backend.setInputLevel(15, 0);
  await until(() => changes.length === 1 || undefined, 'the falling edge, relayed from hub B, on the link to hub A');
  assert.equal(changes[0]?.value, 0);
  // Audited once, on the hub that sent it to the device, with the SDK link as the actor.
  const writes = (await b.hub.store.listAudit({ deviceId: 'pico-sdk', limit: 100 })).filter((record) => record.action === 'write_pin');
  assert.equal(writes.length, 1);
  assert.match(writes[0]?.actor ?? '', /^sdk:/);
});
