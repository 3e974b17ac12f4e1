/**
 * Failover between two hub processes (hub-process.ts) sharing one PostgreSQL (a real
 * throwaway server). Dial-home devices (the TS runtime, real sockets) have the hub list
 * [A, B]; one holds an output under a lease with time left, one whose lease ran out, and
 * one knows only hub A. Hub A is killed with SIGKILL (no clean shutdown, nothing
 * released): the first two are online on B within the heartbeat window, B sets the
 * leased output again for the time it has left and leaves the expired one at its
 * resting level, and the device that does not come back is shown offline on B once A's
 * presence rows expire, with one offline event naming the hub that stopped renewing.
 */
import { strict as assert } from 'node:assert';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SimulatedBackend, startDevice } from '@picolink/device';
import type { RunningDevice } from '@picolink/device';
import { startPostgres } from '@picolink/test-kit/postgres';
import type { DeviceView, HubEventRecord } from '../src/api-types.js';
import { tempDir, until } from './api-fixture.js';
import type { HubProcessReady } from './hub-process.js';

const HEARTBEAT_MS = 1500;
/** A hub process has this long to start. */
const START_TIMEOUT_MS = 30_000;

const cluster = await startPostgres();
after(() => cluster.stop());

interface HubProcess {
  child: ChildProcess;
  ready: HubProcessReady;
  /** GET path from the hub's API (auth off on loopback). */
  json<T>(path: string): Promise<T>;
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
}

async function hubProcess(t: TestContext, hubId: string): Promise<HubProcess> {
  const dir = tempDir('picolink-failover-');
  const configPath = join(dir.path, 'picolink.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      hubId,
      dataDir: dir.path,
      store: { postgres: cluster.url },
      http: { host: '127.0.0.1', port: 0, auth: false },
      gateway: { host: '127.0.0.1', port: 0, heartbeatMs: HEARTBEAT_MS, acceptUnknownDevices: true },
      telemetry: { host: '127.0.0.1', port: 0 },
    }),
  );
  const stderr: string[] = [];
  const child = fork(fileURLToPath(new URL('./hub-process.js', import.meta.url)), [configPath], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  t.after(() => {
    child.kill('SIGKILL');
    dir.remove();
  });
  const ready = await new Promise<HubProcessReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${hubId} did not start: ${stderr.join('')}`)), START_TIMEOUT_MS);
    child.once('message', (message: HubProcessReady) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code) => reject(new Error(`${hubId} exited with ${String(code)}: ${stderr.join('')}`)));
  });
  const base = `http://127.0.0.1:${ready.httpPort}`;
  return {
    child,
    ready,
    json: async <T>(path: string): Promise<T> => (await (await fetch(base + path)).json()) as T,
    post: async (path, body) =>
      (await (await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as Record<string, unknown>,
  };
}

async function dialing(t: TestContext, id: string, hubs: readonly HubProcess[]): Promise<RunningDevice<SimulatedBackend>> {
  const device = await startDevice({
    host: '127.0.0.1',
    port: 0,
    deviceId: id,
    backend: new SimulatedBackend(),
    hub: { hub: hubs.map((hub) => ({ host: '127.0.0.1', port: hub.ready.gatewayPort })), addressPauseMs: 50, backoff: { baseMs: 50, maxMs: 200 } },
  });
  t.after(() => device.close());
  return device;
}

async function view(hub: HubProcess, id: string): Promise<DeviceView | undefined> {
  const { devices } = await hub.json<{ devices: DeviceView[] }>('/api/devices');
  return devices.find((device) => device.id === id);
}

async function events(hub: HubProcess, id: string, type: string): Promise<HubEventRecord[]> {
  return (await hub.json<{ events: HubEventRecord[] }>(`/api/devices/${id}/events?type=${type}`)).events;
}

interface Step {
  pin: number | string;
  action: string;
  request: Record<string, unknown>;
  result: string;
}

test('kill -9 of a hub: its devices come online on the other, leased outputs set again only with time left, a device that does not come back goes offline', async (t) => {
  const a = await hubProcess(t, 'hub-a');
  const b = await hubProcess(t, 'hub-b');
  const leased = await dialing(t, 'leased', [a, b]);
  const expired = await dialing(t, 'expired', [a, b]);
  await dialing(t, 'only-a', [a]);
  for (const id of ['leased', 'expired', 'only-a']) await until(async () => (await view(b, id))?.hub === 'hub-a', `"${id}" shown on hub-b as held by hub-a`, 10_000);

  for (const id of ['leased', 'expired']) {
    assert.equal((await a.post(`/api/devices/${id}/commands`, { action: 'setup_pin', pin: 3, mode: 'output', value: 0, safe: 0 })).ok, true);
  }
  assert.equal((await a.post('/api/devices/leased/commands', { action: 'write_pin', pin: 3, value: 1, timeout: 120 })).ok, true);
  assert.equal((await a.post('/api/devices/expired/commands', { action: 'write_pin', pin: 3, value: 1, timeout: 0.3 })).ok, true);
  await until(() => expired.backend.pinState(3).driven === 0, 'the short lease ended on the device');
  assert.equal(leased.backend.pinState(3).driven, 1);

  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  await new Promise((resolve) => a.child.once('exit', resolve));

  for (const id of ['leased', 'expired']) {
    await until(async () => (await view(b, id))?.hub === 'hub-b', `"${id}" online on hub-b`, 4 * HEARTBEAT_MS);
  }
  const movedMs = Date.now() - killedAt;
  assert.ok(movedMs < 4 * HEARTBEAT_MS, `both devices on hub-b ${movedMs} ms after the kill`);

  // Hub-b set the leased output again, for what was left of its 120 s.
  const [reapplied] = await until(async () => {
    const found = await events(b, 'leased', 'state_reapplied');
    return found.length > 0 ? found : undefined;
  }, 'state_reapplied for "leased" on hub-b');
  const leaseStep = (reapplied?.data.steps as Step[]).find((step) => step.action === 'write_pin' && step.request.value === 1);
  assert.ok(leaseStep, 'the lease was written again');
  assert.equal(leaseStep.result, 'ok');
  const remainingS = Number(leaseStep.request.timeout);
  assert.ok(remainingS > 100 && remainingS < 120, `the lease re-applied for its remaining ${remainingS} s`);
  await until(() => leased.backend.pinState(3).driven === 1, 'the leased pin on again');
  assert.ok(leased.runtime.pins.snapshot(3).lease, 'the pin holds a lease again');

  // The expired lease is not set again: the pin stays at its resting level.
  const [notReapplied] = await until(async () => {
    const found = await events(b, 'expired', 'state_reapplied');
    return found.length > 0 ? found : undefined;
  }, 'state_reapplied for "expired" on hub-b');
  assert.equal((notReapplied?.data.steps as Step[]).find((step) => step.action === 'write_pin' && step.request.value === 1), undefined);
  assert.equal(expired.backend.pinState(3).driven, 0);
  assert.equal(expired.runtime.pins.snapshot(3).lease, undefined);

  // The device that knows only hub-a: offline on hub-b once hub-a's rows expire.
  await until(async () => (await view(b, 'only-a'))?.online === false, '"only-a" offline on hub-b', 3 * HEARTBEAT_MS + 5000);
  const offlineMs = Date.now() - killedAt;
  // Hub-a renewed at most a third of a heartbeat before it died; its rows lived a heartbeat from then.
  assert.ok(offlineMs >= HEARTBEAT_MS - HEARTBEAT_MS / 3 - 100, `not before hub-a's rows expired (${offlineMs} ms)`);
  assert.equal((await view(b, 'only-a'))?.hub, null);
  // Events are stored in batches: wait for the first, then look at them all.
  await until(async () => (await events(b, 'only-a', 'offline')).length > 0, 'the offline event stored');
  await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS));
  const offline = await events(b, 'only-a', 'offline');
  assert.deepEqual(
    offline.map((event) => event.data.reason),
    ['hub hub-a stopped renewing'],
  );
});
