/**
 * The dial-home gateway against hostile peers (issue 8): deeply nested JSON before any
 * token check and from a welcomed device (findings 1), sockets held open without a hello
 * (finding 6), and a failure inside the handling of one connection. In every case the
 * hub lives and other devices keep being served.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { SquatterProcess } from '@picolink/test-kit/squatter-process';
import { dialingDevice, GatewayHub, RawDevice, until } from './gateway-fixture.js';

const DEVICES = { devices: [{ id: 'pico-1', token: 's3cret' }, { id: 'pico-2' }, { id: 'pico-3' }] };
const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** A simulated device that is welcomed and answers a command through the hub. */
async function deviceServed(t: { after(fn: () => unknown): void }, hub: GatewayHub, id: string, token?: string): Promise<void> {
  const device = await dialingDevice(t, hub, id, token === undefined ? {} : { token });
  await device.welcomed();
  const link = await until(() => hub.directory.get(id), `${id} online`);
  assert.equal((await link.send({ action: 'read_adc', channel: 3 })).ok, true);
}

test('a hello whose capabilities nest 6,000 deep is refused with PL_ERR_JSON_TOO_COMPLEX before any token check; the hub serves others', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  await deviceServed(t, hub, 'pico-2');
  const attacker = await RawDevice.connect(t, hub.port);
  attacker.send(`{"id":1,"action":"hello","device":"pico-1","protocol":1,"firmware":"x","capabilities":${nested(6000)},"boot":1}\n`);
  const answer = await attacker.next((m) => typeof m.ok === 'boolean');
  assert.equal(answer.code, 'PL_ERR_JSON_TOO_COMPLEX');
  assert.equal(answer.exception, 'ValueError');
  assert.equal(await attacker.closesWithin(3000), true, 'a first frame that is not a hello ends the connection');
  assert.equal(hub.gateway.stats().unauthorized, 0, 'refused before the token was looked at');
  await deviceServed(t, hub, 'pico-1', 's3cret');
  assert.equal((await hub.directory.get('pico-2')?.send({ action: 'ping' }))?.ok, true);
});

test('a welcomed device sending frames nested 6,000 deep gets PL_ERR_JSON_TOO_COMPLEX and stays online', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const { device, answer } = await RawDevice.hello(t, hub.port, { device: 'pico-3' });
  assert.equal(answer.ok, true);
  const info = await device.next((m) => m.action === 'get_info');
  device.send({ ...info, ok: true, time_received: 0, info: {} });
  const link = await until(() => hub.directory.get('pico-3'), 'online');
  // A request, an event and a response, each nested far past the limit.
  device.send(`{"id":"r","action":"ping","x":${nested(6000)}}\n`);
  device.send(`{"event":"pin_change","pin":${nested(6000)}}\n`);
  device.send(`{"id":"${String(info.id)}","ok":true,"x":${nested(6000)}}\n`);
  for (let i = 0; i < 3; i++) assert.equal((await device.next((m) => m.ok === false)).code, 'PL_ERR_JSON_TOO_COMPLEX');
  const pending = link.send({ action: 'ping' });
  const request = await device.next((m) => m.action === 'ping');
  device.send({ ...request, ok: true, time_received: 0 });
  assert.equal((await pending).ok, true, 'the link still carries commands');
  await deviceServed(t, hub, 'pico-2');
});

test('past maxConnections, the oldest connection without a hello is evicted: a device gets in within 1 s while 500 idle sockets are held open', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES, limits: { maxConnections: 100 } });
  const squatters = await SquatterProcess.start(hub.port, 500);
  t.after(() => squatters.stop());
  const started = performance.now();
  await deviceServed(t, hub, 'pico-2');
  const ms = performance.now() - started;
  t.diagnostic(`device welcomed and answering in ${ms.toFixed(0)} ms; ${hub.gateway.stats().evictedBeforeHello} idle connections evicted`);
  assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
  assert.ok(hub.gateway.stats().evictedBeforeHello > 0);
  assert.ok(hub.gateway.stats().connections <= 100);
});

test('past maxPendingHellos, the oldest connection without a hello is evicted, told why and held until its hello timeout; welcomed devices are never evicted', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES, limits: { maxPendingHellos: 3, helloTimeoutMs: 800 } });
  await deviceServed(t, hub, 'pico-2');
  const idle = [];
  for (let i = 0; i < 3; i++) idle.push(await RawDevice.connect(t, hub.port));
  await until(() => hub.gateway.stats().connections === 4, 'three idle connections accepted');
  const { answer } = await RawDevice.hello(t, hub.port, { device: 'pico-3' });
  assert.equal(answer.ok, true);
  const closing = await (idle[0] as RawDevice).next((m) => m.event === 'closing');
  assert.equal(closing.code, 'PL_ERR_TOO_MANY_CLIENTS');
  assert.match(closing.error as string, /not said hello, and this one is the oldest/);
  const evictedAt = performance.now();
  (idle[0] as RawDevice).send({ id: 9, action: 'hello', device: 'pico-1', protocol: 1, firmware: 'x', capabilities: [], boot: 1, token: 's3cret' });
  assert.equal(await (idle[0] as RawDevice).closesWithin(3000), true, 'closed at its hello timeout');
  assert.ok(performance.now() - evictedAt > 200, 'held, not closed at once (a re-opening squatter would churn)');
  assert.equal((idle[0] as RawDevice).inbox.some((m) => m.id === 9), false, 'a hello after the eviction is not read');
  assert.equal(hub.directory.get('pico-1'), undefined);
  assert.equal((await hub.directory.get('pico-2')?.send({ action: 'ping' }))?.ok, true, 'the welcomed device is untouched');
});

test('a failure inside the handling of one device connection closes it with PL_ERR_INTERNAL, logged once; the hub and other devices go on', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  await deviceServed(t, hub, 'pico-2');
  const { device, answer } = await RawDevice.hello(t, hub.port, { device: 'pico-3' });
  assert.equal(answer.ok, true);
  // A subscriber with a bug: it throws on pico-3's events, inside the gateway's handling of its frames.
  hub.bus.on('event', (event) => {
    if (event.deviceId === 'pico-3' && event.type === 'pin_change') throw new Error('subscriber bug');
  });
  device.send({ event: 'pin_change', pin: 2, value: 1, cause: 'input', t: 5 });
  const closing = await device.next((m) => m.event === 'closing');
  assert.equal(closing.code, 'PL_ERR_INTERNAL');
  assert.equal(await device.closesWithin(3000), true);
  assert.equal(hub.gateway.stats().internalErrors, 1);
  assert.equal(hub.logs.filter((line) => line.includes('PL_ERR_INTERNAL')).length, 1);
  assert.match(hub.logs.find((line) => line.includes('PL_ERR_INTERNAL')) ?? '', /subscriber bug/);
  await until(() => hub.directory.get('pico-3') === undefined || undefined, 'pico-3 offline');
  assert.equal((await hub.directory.get('pico-2')?.send({ action: 'read_adc', channel: 1 }))?.ok, true, 'the other device is still served');
});
