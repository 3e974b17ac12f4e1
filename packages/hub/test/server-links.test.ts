import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { SimulatedBackend, startDevice } from '@picolink/device';
import type { RunningDevice } from '@picolink/device';
import { generateCertificate } from '@picolink/client';
import { startServerLinks } from '../src/links/server-links.js';
import type { ServerLinks, ServerLinksOptions } from '../src/links/server-links.js';
import type { ConfiguredDevice } from '../src/config.js';
import { GatewayHub, until } from './gateway-fixture.js';
import { PiconetcontrolServer } from '@picolink/test-kit/piconetcontrol-server';

interface TestContext {
  after(fn: () => unknown): void;
}

async function simulatedDevice(t: TestContext, deviceId: string, options: { port?: number; tls?: { cert: string; key: string } } = {}): Promise<RunningDevice<SimulatedBackend>> {
  const device = await startDevice({ host: '127.0.0.1', port: options.port ?? 0, deviceId, backend: new SimulatedBackend(), actionDelayMs: 30, ...(options.tls ? { tls: options.tls } : {}) });
  t.after(() => device.close());
  return device;
}

function links(t: TestContext, hub: GatewayHub, devices: ConfiguredDevice[], options: Partial<ServerLinksOptions> = {}): ServerLinks {
  const running = startServerLinks({ devices, directory: hub.directory, presence: hub.presence, events: hub.recorder, log: hub.limitedLog, heartbeatMs: 1000, backoff: { baseMs: 20, maxMs: 200 }, ...options });
  t.after(() => running.close());
  return running;
}

test('a picolink device in server mode: the hub connects, records it, drives it and hears its events', async (t) => {
  const hub = await GatewayHub.start(t);
  const device = await simulatedDevice(t, 'lab-1');
  const running = links(t, hub, [{ id: 'lab-1', address: device.url }, { id: 'dial-only' }]);
  const link = await until(() => hub.directory.get('lab-1'), 'online');
  assert.equal(link.mode, 'server');
  assert.equal(link.protocol, 1);
  assert.equal(link.address, `127.0.0.1:${device.port}`);
  assert.deepEqual(running.status().map((s) => [s.deviceId, s.state]), [['lab-1', 'online']]);
  const record = await until(async () => {
    const stored = await hub.store.getDevice('lab-1');
    return stored?.info ? stored : undefined;
  }, 'info stored');
  assert.deepEqual([record.mode, record.firmware, record.info?.device_id], ['server', '0.1.0', 'lab-1']);

  await hub.commands.send('lab-1', { action: 'setup_pin', pin: 15, mode: 'input', pull: 'up' }, 'api:test');
  await hub.commands.send('lab-1', { action: 'watch_pin', pin: 15, debounce_ms: 0 }, 'api:test');
  device.backend.setInputLevel(15, 0);
  const event = await until(() => hub.events.find((e) => e.type === 'pin_change' && e.deviceId === 'lab-1'), 'pin_change');
  assert.deepEqual([event.data.pin, event.data.value, event.data.cause], [15, 0, 'input']);
  await until(async () => (await hub.storedEvents('lab-1', 'pin_change')).length === 1, 'stored');
});

test('a server-mode device that restarts is reconnected with backoff and gets its outputs back', async (t) => {
  const hub = await GatewayHub.start(t);
  const device = await simulatedDevice(t, 'lab-2');
  links(t, hub, [{ id: 'lab-2', address: device.url }]);
  await until(() => hub.directory.isOnline('lab-2'), 'online');
  await hub.commands.send('lab-2', { action: 'setup_pin', pin: 9, mode: 'output', value: 0, safe: 0 }, 'api:test');
  await hub.commands.send('lab-2', { action: 'write_pin', pin: 9, value: 1 }, 'api:test');
  await hub.commands.send('lab-2', { action: 'reset' }, 'api:test');
  await until(async () => (await hub.storedEvents('lab-2', 'offline')).length === 1, 'offline recorded');
  const event = await until(() => hub.events.find((e) => e.type === 'state_reapplied' && e.deviceId === 'lab-2'), 'state re-applied');
  assert.equal((event.data.steps as unknown[]).length, 2);
  assert.equal(device.backend.pinState(9).driven, 1);
  const sessions = await hub.store.listSessions('lab-2');
  assert.equal(sessions.length, 2);
  assert.match(String(sessions[1]?.closeReason), /restart/);
});

test('a device that is down at first is retried until it comes up', async (t) => {
  const hub = await GatewayHub.start(t);
  const placeholder = await simulatedDevice(t, 'lab-3');
  const port = placeholder.port;
  await placeholder.close();
  const running = links(t, hub, [{ id: 'lab-3', address: `tcp://127.0.0.1:${port}` }]);
  await until(() => running.status()[0]!.failures >= 2, 'failed attempts');
  assert.match(String(running.status()[0]?.lastError), /refused/);
  await simulatedDevice(t, 'lab-3', { port });
  await until(() => hub.directory.isOnline('lab-3'), 'online', 3000);
  assert.equal(running.status()[0]?.failures, 0);
});

test('a stock piconetcontrol server in server mode: driven one request at a time, its state re-applied after it restarts', async (t) => {
  const hub = await GatewayHub.start(t);
  const server = await PiconetcontrolServer.start({ restartDelayMs: 30 });
  t.after(() => server.close());
  links(t, hub, [{ id: 'legacy-1', address: server.url }]);
  const link = await until(() => hub.directory.get('legacy-1'), 'online');
  assert.equal(link.protocol, null);
  const record = await until(async () => {
    const stored = await hub.store.getDevice('legacy-1');
    return stored?.info ? stored : undefined;
  }, 'info stored');
  assert.equal(record.info?.micropython, '1.23.0');
  const [setup, write, read] = await Promise.all([
    hub.commands.send('legacy-1', { action: 'setup_pin', pin: 4, mode: 'output', value: 0 }, 'api:test'),
    hub.commands.send('legacy-1', { action: 'write_pin', pin: 4, value: 1, timeout: 60 }, 'api:test'),
    hub.commands.send('legacy-1', { action: 'read_pin', pin: 4 }, 'api:test'),
  ]);
  assert.equal(setup.error, undefined);
  assert.equal(write.error, undefined);
  assert.equal(read.value, 1);
  assert.deepEqual(server.parseFailures, [], 'never two requests in one read');
  const audit = await hub.store.listAudit({ deviceId: 'legacy-1' });
  assert.deepEqual(audit.map((a) => a.result), ['ok', 'ok', 'ok']);

  await hub.commands.send('legacy-1', { action: 'reset' }, 'api:test');
  const event = await until(() => hub.events.find((e) => e.type === 'state_reapplied' && e.deviceId === 'legacy-1'), 'state re-applied');
  assert.deepEqual(
    (event.data.steps as Array<{ action: string; request: Record<string, unknown>; result: string }>).map((s) => [s.action, s.request, s.result]),
    [
      ['setup_pin', { pin: 4, mode: 'output', value: 0 }, 'ok'],
      ['write_pin', { pin: 4, value: 1, timeout: (event.data.steps as Array<{ request: { timeout: number } }>)[1]?.request.timeout }, 'ok'],
    ],
  );
  assert.equal(server.pins.get(4)?.value, 1, 'the lease is on again');
});

test('a TLS device is reached only with the pinned fingerprint', async (t) => {
  const hub = await GatewayHub.start(t);
  const certificate = generateCertificate({ commonName: 'lab-tls' });
  const device = await simulatedDevice(t, 'lab-tls', { tls: { cert: certificate.certPem, key: certificate.keyPem } });
  const fingerprint = new X509Certificate(certificate.certPem).fingerprint256;
  const running = links(t, hub, [
    { id: 'lab-tls', address: device.url, fingerprint },
    { id: 'lab-impostor', address: device.url, fingerprint: 'AB'.repeat(32) },
  ]);
  await until(() => hub.directory.isOnline('lab-tls'), 'online');
  await until(() => running.status()[1]!.failures >= 1, 'impostor refused');
  assert.match(String(running.status()[1]?.lastError), /fingerprint/);
  assert.equal(hub.directory.isOnline('lab-impostor'), false);
});
