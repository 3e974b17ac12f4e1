// Dial-home end to end: the TS device over TLS with a pinned hub certificate, a device
// coming back after the hub restarts, and the real `picolink device --sim --hub` process.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { generateCertificate } from '@picolink/client';
import { dialingDevice, GatewayHub, until } from './gateway-fixture.js';

const CLI_MAIN = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

test('a device dials a TLS gateway, pinning its certificate by fingerprint', async (t) => {
  const certificate = generateCertificate({ commonName: 'hub' });
  const hub = await GatewayHub.start(t, { tls: { cert: certificate.certPem, key: certificate.keyPem }, config: { devices: [{ id: 'tls-pico', token: 't' }] } });
  const device = await dialingDevice(t, hub, 'tls-pico', { token: 't', hub: { host: '127.0.0.1', port: hub.port, tls: { fingerprint: certificate.fingerprint } } });
  await device.welcomed();
  const link = await until(() => hub.directory.get('tls-pico'), 'online');
  assert.ok(link.capabilities.includes('tls'), 'the device says its link is encrypted');
  assert.equal((await hub.commands.send('tls-pico', { action: 'read_adc', channel: 4 }, 'api:test')).ok, true);
});

test('devices come back on their own after the hub restarts: a new session, the old one closed', async (t) => {
  const hub = await GatewayHub.start(t, { config: { devices: [{ id: 'pico-a' }, { id: 'pico-b' }] } });
  const a = await dialingDevice(t, hub, 'pico-a');
  const b = await dialingDevice(t, hub, 'pico-b');
  await Promise.all([a.welcomed(), b.welcomed()]);
  await until(() => hub.directory.list().length === 2, 'both online');
  await hub.restart(300);
  await until(() => a.link.welcomes === 2 && b.link.welcomes === 2, 'both welcomed again', 5000);
  await until(() => hub.directory.list().length === 2, 'both online again', 5000);
  const sessions = await until(async () => {
    const list = await hub.store.listSessions('pico-a');
    return list.length === 2 ? list : undefined;
  }, 'two sessions');
  assert.equal(sessions[0]?.closedAt, null);
  assert.equal(sessions[1]?.closeReason, 'the hub is shutting down');
  await until(async () => (await hub.storedEvents('pico-a', 'online')).length === 2, 'two online events stored');
});

test('picolink device --sim --hub (a real process) dials home, is driven through the hub and comes back after the hub restarts', async (t) => {
  const hub = await GatewayHub.start(t, { config: { devices: [{ id: 'cli-pico', token: 'cli-secret' }] } });
  const child = spawn(process.execPath, [CLI_MAIN, 'device', '--sim', '--hub', hub.url, '--token', 'cli-secret', '--id', 'cli-pico', '--json']);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  await until(() => hub.directory.isOnline('cli-pico'), `the device process is online (${stderr})`, 10_000);
  const setup = await hub.commands.send('cli-pico', { action: 'setup_pin', pin: 'LED', mode: 'output', value: 1 }, 'api:test');
  assert.equal(setup.ok, true);
  await hub.restart(100);
  await until(() => hub.directory.isOnline('cli-pico'), 'online again', 10_000);
  assert.match(stderr, /welcome/);
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
  await until(() => !hub.directory.isOnline('cli-pico'), 'offline after the process stopped');
});
