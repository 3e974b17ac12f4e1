/**
 * Devices added, rotated and removed through the API (docs/hub.md#managing-devices), over
 * real HTTP, with simulated devices dialling home to the real gateway and signed
 * telemetry on the real UDP port: what the answer hands out works at once, rotation and
 * removal cut the device off, and added devices survive a restart of the hub.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { agentConfig } from '@picolink/agent';
import { DEFAULT_DEVICE_PORT, ErrorCode } from '@picolink/protocol';
import type { TelemetryDatagram } from '@picolink/protocol';
import { startHub } from '../src/hub.js';
import { sendTelemetry, startTestHub, testConfig, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { startDialHomeDevice } from './sim-devices.js';
import type { SimDevice } from './sim-devices.js';
import { sign } from './telemetry-fixture.js';

interface Credentials {
  id: string;
  token: string;
  telemetryKey: string;
  config: Record<string, unknown>;
}

async function codeOf(response: Response): Promise<{ status: number; code: string }> {
  const body = (await response.json()) as { code: string };
  return { status: response.status, code: body.code };
}

function reading(device: string, seq: number): TelemetryDatagram {
  return { v: 1, device, boot: 9, seq, t: seq * 1000, time: Date.now(), readings: { temp_c: 20 + seq } };
}

describe('managing devices through the API', () => {
  let t: TestHub;
  const running: SimDevice[] = [];

  before(async () => {
    t = await startTestHub({ devices: [{ id: 'pico-file', token: 'file-token' }] });
  });
  after(async () => {
    for (const device of running) await device.device.close();
    await t.close();
  });

  async function add(id: string, body: Record<string, unknown> = {}): Promise<Credentials> {
    const response = await t.post('/api/devices', { id, ...body });
    assert.equal(response.status, 201, await response.clone().text());
    assert.equal(response.headers.get('cache-control'), 'no-store');
    return (await response.json()) as Credentials;
  }

  test('an added device gets a token and telemetry key that work at once, and the config.json of picolink agent bundle', async () => {
    const added = await add('pico-new', { ssid: 'home-net', password: 'wifi-secret' });
    assert.equal(added.id, 'pico-new');
    assert.match(added.token, /^[A-Za-z0-9_-]{43}$/);
    assert.match(added.telemetryKey, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      added.config,
      agentConfig({
        ssid: 'home-net',
        password: 'wifi-secret',
        deviceId: 'pico-new',
        port: DEFAULT_DEVICE_PORT,
        token: added.token,
        telemetry: { target: `127.0.0.1:${t.hub.telemetryPort}`, key: added.telemetryKey },
        hub: { address: `127.0.0.1:${t.hub.gatewayPort}` },
      }),
    );

    const listed = (await t.json<{ devices: Array<{ id: string; managed: boolean; configured: boolean }> }>('/api/devices')).devices;
    assert.deepEqual(listed.find((d) => d.id === 'pico-new'), { ...listed.find((d) => d.id === 'pico-new'), managed: true, configured: false });
    assert.equal(listed.find((d) => d.id === 'pico-file')?.managed, false);

    running.push(await startDialHomeDevice(t.hub, 'pico-new', added.token));
    await sendTelemetry(t.hub.telemetryPort, [reading('pico-new', 1)], sign(added.telemetryKey));
    await until(() => (t.hub.telemetry.stats('pico-new')?.accepted ?? 0) === 1, 'signed telemetry accepted');
    await sendTelemetry(t.hub.telemetryPort, [reading('pico-new', 2)], sign('ab'.repeat(32)));
    await until(() => (t.hub.telemetry.stats('pico-new')?.rejected[ErrorCode.TELEMETRY_BAD_MAC] ?? 0) === 1, 'wrongly signed telemetry refused');
  });

  test('an id taken (added, or in the configuration) gets 409 PL_ERR_DEVICE_EXISTS; a bad id or field 400', async () => {
    await add('pico-twice');
    assert.deepEqual(await codeOf(await t.post('/api/devices', { id: 'pico-twice' })), { status: 409, code: ErrorCode.DEVICE_EXISTS });
    assert.deepEqual(await codeOf(await t.post('/api/devices', { id: 'pico-file' })), { status: 409, code: ErrorCode.DEVICE_EXISTS });
    for (const id of ['', 'has space', 'x'.repeat(65), 'a/b', 7]) {
      assert.deepEqual(await codeOf(await t.post('/api/devices', { id })), { status: 400, code: ErrorCode.OUT_OF_RANGE }, `id ${String(id)}`);
    }
    assert.deepEqual(await codeOf(await t.post('/api/devices', { id: 'pico-x', token: 'mine' })), { status: 400, code: ErrorCode.OUT_OF_RANGE });
    assert.deepEqual(await codeOf(await t.post('/api/devices', { id: 'pico-x', ssid: 'y'.repeat(33) })), { status: 400, code: ErrorCode.OUT_OF_RANGE });
  });

  test('rotating a token disconnects the device; its old token is refused, the new one admitted', async () => {
    const first = await add('pico-rot');
    const device = await startDialHomeDevice(t.hub, 'pico-rot', first.token);
    const refusedBefore = t.hub.gateway.stats().unauthorized;
    const rotated = await t.post('/api/devices/pico-rot/token', {});
    assert.equal(rotated.status, 200);
    const second = (await rotated.json()) as Credentials;
    assert.notEqual(second.token, first.token);
    assert.notEqual(second.telemetryKey, first.telemetryKey);
    assert.equal(second.config.token, second.token);
    await until(() => t.hub.gateway.stats().unauthorized > refusedBefore, 'the old token refused on reconnect');
    assert.equal(t.hub.directory.isOnline('pico-rot'), false);
    await device.device.close();
    running.push(await startDialHomeDevice(t.hub, 'pico-rot', second.token));
    await until(() => t.hub.directory.isOnline('pico-rot'), 'online with the new token');

    const bodiless = await t.api('/api/devices/pico-rot/token', { method: 'POST' });
    assert.equal(bodiless.status, 200, 'a rotation with no body at all, as the dashboard sends it');
    assert.deepEqual(await codeOf(await t.post('/api/devices/pico-rot/token', { id: 'x' })), { status: 400, code: ErrorCode.UNKNOWN_FIELD });
    assert.deepEqual(await codeOf(await t.post('/api/devices/pico-file/token', {})), { status: 400, code: ErrorCode.NOT_SUPPORTED });
    assert.deepEqual(await codeOf(await t.post('/api/devices/pico-none/token', {})), { status: 404, code: ErrorCode.UNKNOWN_DEVICE });
  });

  test('removing a device closes its link, refuses it and takes it off the list, keeping its telemetry; unknown 404, configured 400', async () => {
    const added = await add('pico-gone');
    const device = await startDialHomeDevice(t.hub, 'pico-gone', added.token);
    await sendTelemetry(t.hub.telemetryPort, [reading('pico-gone', 1)], sign(added.telemetryKey));
    await until(() => (t.hub.telemetry.stats('pico-gone')?.accepted ?? 0) === 1, 'telemetry accepted');
    await t.hub.telemetry.flush();
    const unknownBefore = t.hub.gateway.stats().unknownDevices;
    const removed = await t.api('/api/devices/pico-gone', { method: 'DELETE' });
    assert.equal(removed.status, 204);
    await until(() => t.hub.gateway.stats().unknownDevices > unknownBefore, 'the removed device refused on reconnect');
    assert.equal(t.hub.directory.isOnline('pico-gone'), false);
    await device.device.close();
    assert.equal((await t.json<{ devices: Array<{ id: string }> }>('/api/devices')).devices.find((d) => d.id === 'pico-gone'), undefined, 'no longer listed');
    assert.equal((await t.api('/api/devices/pico-gone')).status, 404);
    assert.equal((await t.hub.store.queryTelemetry({ deviceId: 'pico-gone', from: 0, to: Date.now() + 1000 })).length, 1, 'its stored telemetry stays');
    // Added again under the same id, its history is there again.
    await add('pico-gone');
    const rows = await t.json<{ rows: unknown[] }>('/api/devices/pico-gone/telemetry?from=-1h');
    assert.equal(rows.rows.length, 1);
    assert.equal((await t.api('/api/devices/pico-gone', { method: 'DELETE' })).status, 204);

    const { audit } = await t.json<{ audit: Array<{ action: string; request: Record<string, unknown>; result: string }> }>('/api/audit?device=pico-gone');
    assert.deepEqual(
      audit.map((r) => r.action),
      ['remove_device', 'add_device', 'remove_device', 'add_device'],
      'each change is in the audit log, newest first',
    );
    assert.ok(!JSON.stringify(audit).includes(added.token), 'no secret in the audit log');
    assert.deepEqual(await codeOf(await t.api('/api/devices/pico-gone', { method: 'DELETE' })), { status: 404, code: ErrorCode.UNKNOWN_DEVICE });
    assert.deepEqual(await codeOf(await t.api('/api/devices/pico-file', { method: 'DELETE' })), { status: 400, code: ErrorCode.NOT_SUPPORTED });
  });

  test('added devices persist across a restart of the hub; the configuration still seeds its own', async () => {
    const added = await add('pico-kept');
    await t.hub.close();
    const hub = await startHub({ config: testConfig(t.dir, { devices: [{ id: 'pico-file', token: 'file-token' }] }) });
    try {
      assert.equal(hub.credentials.get('pico-kept')?.managed, true);
      assert.equal(hub.credentials.get('pico-file')?.managed, false);
      const device = await startDialHomeDevice(hub, 'pico-kept', added.token);
      await device.stop();
    } finally {
      await hub.close();
    }
  });
});
