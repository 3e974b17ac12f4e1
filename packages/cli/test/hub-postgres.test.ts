/**
 * `picolink hub --store postgres://…` as a person runs it, against a throwaway PostgreSQL
 * cluster: a simulated device dials home and sends UDP telemetry, commands go through the
 * API, and everything the hub records (device, telemetry, audit, outputs) is in the
 * database and still there for the next hub on it, with no SQLite file written.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openPostgresStore } from '@picolink/hub';
import { startPostgres } from '@picolink/test-kit/postgres';
import { startPicolink } from './background-process.js';
import type { BackgroundPicolink } from './background-process.js';
import { startDeviceProcess } from './cli-process.js';

const FREE_PORTS = ['--http-port', '0', '--gateway-port', '0', '--telemetry-port', '0'];
const cluster = await startPostgres();
after(() => cluster.stop());

interface HubInfo {
  url: string;
  token: string;
  gatewayPort: number;
  telemetryPort: number;
}

async function startHub(dataDir: string): Promise<{ hub: BackgroundPicolink; info: HubInfo; api: <T>(path: string, body?: unknown) => Promise<T> }> {
  const hub = startPicolink(['hub', '--data-dir', dataDir, '--store', cluster.url, '--accept-unknown-devices', ...FREE_PORTS, '--json']);
  const [line = ''] = await hub.waitFor(/^\{.*\}\n/, 'stdout', 20_000);
  const info = JSON.parse(line) as HubInfo;
  const api = async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${info.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${info.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.equal(response.status, 200, `${path}: ${text}`);
    return JSON.parse(text) as T;
  };
  return { hub, info, api };
}

/** Polls `probe` every 100 ms until it returns something, for at most `timeoutMs`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type Devices = { devices: Array<{ id: string; online: boolean }> };
type Telemetry = { rows: Array<{ metric: string; time: number; value: number }> };
type Buckets = { buckets: Array<{ metric: string; count: number }> };

test('picolink hub --store postgres://… serves a dial-home device, its commands and telemetry from PostgreSQL', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'picolink-hub-pg-'));
  try {
    const { hub, info, api } = await startHub(dataDir);
    let device: Awaited<ReturnType<typeof startDeviceProcess>> | undefined;
    try {
      device = await startDeviceProcess(['--hub', `127.0.0.1:${info.gatewayPort}`, '--id', 'pico-pg', '--telemetry', `127.0.0.1:${info.telemetryPort}`, '--telemetry-interval', '50']);
      await eventually('the device online', async () => ((await api<Devices>('/api/devices')).devices.find((d) => d.id === 'pico-pg' && d.online) ? true : undefined));

      const setup = await api<{ ok: boolean }>('/api/devices/pico-pg/commands', { action: 'setup_pin', pin: 2, mode: 'output', value: 0 });
      assert.equal(setup.ok, true);
      const write = await api<{ ok: boolean }>('/api/devices/pico-pg/commands', { action: 'write_pin', pin: 2, value: 1 });
      assert.equal(write.ok, true);
      const read = await api<{ value: number }>('/api/devices/pico-pg/commands', { action: 'read_pin', pin: 2 });
      assert.equal(read.value, 1);

      const rows = await eventually('telemetry rows', async () => {
        const answer = await api<Telemetry>('/api/devices/pico-pg/telemetry?from=-1m');
        return answer.rows.length >= 5 ? answer.rows : undefined;
      });
      const metric = rows[0]?.metric ?? '';
      const buckets = await api<Buckets>(`/api/devices/pico-pg/telemetry?from=-1m&metric=${metric}&bucket=1h`);
      assert.ok((buckets.buckets[0]?.count ?? 0) >= rows.filter((row) => row.metric === metric).length, JSON.stringify(buckets));
      const audit = await api<{ audit: Array<{ action: string; result: string }> }>('/api/audit');
      assert.ok(audit.audit.some((entry) => entry.action === 'write_pin' && entry.result === 'ok'), JSON.stringify(audit));
    } finally {
      await device?.stop();
      assert.equal(await hub.stop(), 0, hub.stderr());
    }
    assert.equal(existsSync(join(dataDir, 'picolink.db')), false, 'no SQLite file beside PostgreSQL');

    // What the hub recorded is in the database itself.
    const store = await openPostgresStore({ url: cluster.url });
    try {
      assert.equal((await store.getDevice('pico-pg'))?.mode, 'dial-home');
      assert.ok((await store.listMetrics('pico-pg')).length > 0);
      assert.deepEqual(
        (await store.loadOutputStates('pico-pg')).map((state) => [state.pin, state.value]),
        [[2, 1]],
      );
      assert.ok((await store.listSessions('pico-pg'))[0]?.closedAt, 'the session was closed when the device left');
    } finally {
      await store.close();
    }

    // A second hub on the same database lists the device and its audit (offline now).
    const again = await startHub(dataDir);
    try {
      const devices = await again.api<Devices>('/api/devices');
      assert.deepEqual(
        devices.devices.filter((d) => d.id === 'pico-pg').map((d) => d.online),
        [false],
      );
      const audit = await again.api<{ audit: Array<{ action: string }> }>('/api/audit?device=pico-pg');
      assert.ok(audit.audit.some((entry) => entry.action === 'write_pin'));
    } finally {
      assert.equal(await again.hub.stop(), 0, again.hub.stderr());
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('picolink hub --store with a PostgreSQL server that does not answer exits with status 2 and one line, without the password', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'picolink-hub-pg-'));
  try {
    const hub = startPicolink(['hub', '--data-dir', dataDir, '--store', 'postgres://hub:s3cret@127.0.0.1:1/picolink', ...FREE_PORTS]);
    const code = await new Promise<number | null>((resolve) => hub.child.once('exit', resolve));
    assert.equal(code, 2, hub.stderr());
    assert.match(hub.stderr(), /^picolink: cannot use the hub database postgres:\/\/hub:\*\*\*@127\.0\.0\.1:1\/picolink: /);
    assert.doesNotMatch(hub.stderr(), /s3cret/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
