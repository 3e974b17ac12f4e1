import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { dialHome, DeviceRuntime, SimulatedBackend } from '../src/index.js';
import type { DialHome } from '../src/index.js';
import type { DialHomeOptions, WelcomeInfo } from '../src/index.js';
import { HubStandIn } from './hub-stand-in.js';
import { delay } from '@picolink/test-kit/line-client';
import { makeTestCert } from './tls-cert.js';
import { startTestDevice } from './fixtures.js';

interface TestContext {
  after(fn: () => unknown): void;
}

async function setup(t: TestContext, options: Partial<DialHomeOptions> = {}) {
  const hub = await HubStandIn.start();
  const backend = new SimulatedBackend();
  const runtime = new DeviceRuntime({ deviceId: 'pico-dial', actionDelayMs: 30, backend });
  await runtime.start();
  const logs: string[] = [];
  const link = dialHome({ runtime, hub: { host: '127.0.0.1', port: hub.port }, backoff: { baseMs: 20, maxMs: 200 }, log: (line) => logs.push(line), ...options });
  t.after(async () => {
    await link.close();
    await runtime.close();
    await hub.close();
  });
  return { hub, runtime, backend, link, logs };
}

test('the device says hello with its id, token, protocol, firmware, capabilities and boot id', async (t) => {
  const { hub, runtime, link } = await setup(t, { token: 's3cret' });
  const { hello } = await hub.acceptDevice();
  assert.equal(typeof hello.id, 'string');
  assert.deepEqual(
    { ...hello, id: 0 },
    { id: 0, action: 'hello', device: 'pico-dial', token: 's3cret', protocol: 1, firmware: '0.1.0', capabilities: ['pipeline', 'events', 'leases', 'failsafe', 'pwm', 'adc', 'update', 'telemetry'], boot: runtime.bootId },
  );
  await new Promise((resolve) => link.once('welcome', resolve));
  assert.equal(link.state, 'online');
});

test('after the welcome the hub drives the device over the same connection, and events carry the hub-synced clock', async (t) => {
  const { hub, runtime, link } = await setup(t);
  const hourAhead = Date.now() + 3_600_000;
  const welcomed = new Promise((resolve) => link.once('welcome', resolve));
  const { link: conn } = await hub.acceptDevice({ serverTime: hourAhead, config: { label: 'greenhouse' } });
  await welcomed;
  assert.ok(Math.abs(runtime.clockOffset - 3_600_000) < 1000, `clock offset ${runtime.clockOffset}`);
  assert.deepEqual(link.welcome?.config, { label: 'greenhouse' });

  const setupReply = await conn.request({ id: 1, action: 'setup_pin', pin: 2, mode: 'output', value: 0, safe: 0 });
  assert.equal(setupReply.ok, true);
  assert.ok(Math.abs(Number(setupReply.time_received) / 1e6 - hourAhead) < 5000, 'time_received is on the hub clock');
  await conn.request({ id: 2, action: 'watch_pin', pin: 2 });
  const write = await conn.request({ id: 3, action: 'write_pin', pin: 2, value: 1 });
  assert.deepEqual([write.id, write.ok, write.previous], [3, true, 0]);
  const event = await conn.event('pin_change');
  assert.deepEqual([event.pin, event.value, event.cause], [2, 1, 'write']);
  assert.ok(Math.abs(Number(event.time) - (Date.now() + 3_600_000)) < 1000, `event time ${String(event.time)}`);
});

test('pipelined hub requests are answered in order', async (t) => {
  const { hub, link } = await setup(t);
  const welcomed = new Promise((resolve) => link.once('welcome', resolve));
  const { link: conn } = await hub.acceptDevice();
  await welcomed;
  conn.send([1, 2, 3, 4, 5].map((id) => JSON.stringify({ id, action: 'ping' })).join('\n') + '\n');
  const ids: unknown[] = [];
  for (let i = 0; i < 5; i++) ids.push((await conn.response()).id);
  assert.deepEqual(ids, [1, 2, 3, 4, 5]);
});

test('the device pings a quiet hub every heartbeat and drops the link after three heartbeats of silence, then dials again', async (t) => {
  const { hub, link } = await setup(t);
  const { link: first } = await hub.acceptDevice({ heartbeatMs: 60 });
  await new Promise((resolve) => link.once('welcome', resolve));
  const ping = await first.next((m) => m.action === 'ping', 1000);
  assert.match(String(ping.id), /^d\d+$/);
  first.send({ ...ping, ok: true, time_received: Date.now() * 1e6 });
  // From now on the hub says nothing at all, as if its network had vanished.
  const started = performance.now();
  await new Promise((resolve) => link.once('disconnect', resolve));
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 150 && elapsed < 1200, `closed after ${Math.round(elapsed)} ms (3 x 60 ms of silence expected)`);
  const closing = await first.event('closing');
  assert.equal(closing.code, 'PL_ERR_IDLE_TIMEOUT');
  const { hello } = await hub.acceptDevice();
  assert.equal(hello.device, 'pico-dial');
});

test('a hub that refuses the hello is retried with growing, jittered waits, and a welcome resets the backoff', async (t) => {
  const { hub, link } = await setup(t, { random: () => 0.999, backoff: { baseMs: 40, maxMs: 160 } });
  const refusals: string[] = [];
  link.on('refused', (err) => refusals.push(err.code));
  for (let i = 0; i < 5; i++) {
    const conn = await hub.nextConnection();
    const hello = await conn.next((m) => m.action === 'hello');
    conn.send({ id: hello.id, action: 'hello', device: hello.device, ok: false, error: 'wrong token', code: 'PL_ERR_UNAUTHORIZED', exception: 'PermissionError' });
    conn.socket.end();
  }
  const { hello } = await hub.acceptDevice();
  assert.equal(hello.action, 'hello');
  await new Promise((resolve) => link.once('welcome', resolve));
  assert.deepEqual(refusals, Array(5).fill('PL_ERR_UNAUTHORIZED'));
  const gaps = hub.arrivals.slice(1).map((at, i) => at - (hub.arrivals[i] as number));
  // Waits before attempts 1..5 are 0.999 x min(160, 40 x 2^n): about 79, 159, 159, 159, 159 ms.
  const expected = [79, 159, 159, 159, 159];
  gaps.forEach((gap, i) => assert.ok(gap >= (expected[i] as number) - 2, `gap ${i}: ${Math.round(gap)} ms < ${expected[i]} ms`));
  assert.equal(link.consecutiveFailures, 0);
  // The hub goes away after the welcome: the next attempt comes within the first bound (40 ms).
  const conn = hub.connections.at(-1);
  const before = performance.now();
  conn?.close();
  await hub.nextConnection();
  assert.ok(performance.now() - before < 40 + 100, 'reconnected within the first backoff bound');
});

test('when the hub link drops, outputs the hub set with a safe value go to it', async (t) => {
  const { hub, backend, link } = await setup(t);
  const { link: conn } = await hub.acceptDevice();
  await new Promise((resolve) => link.once('welcome', resolve));
  await conn.request({ id: 1, action: 'setup_pin', pin: 5, mode: 'output', value: 0, safe: 0 });
  await conn.request({ id: 2, action: 'write_pin', pin: 5, value: 1 });
  assert.equal(backend.pinState(5).driven, 1);
  conn.socket.resetAndDestroy();
  const deadline = Date.now() + 2000;
  while (backend.pinState(5).driven !== 0 && Date.now() < deadline) await delay(5);
  assert.equal(backend.pinState(5).driven, 0, 'failsafe applied');
});

test('the device dials again after the hub restarts on the same port', async (t) => {
  const { hub, link } = await setup(t);
  await hub.acceptDevice();
  await new Promise((resolve) => link.once('welcome', resolve));
  const port = hub.port;
  await hub.close();
  const restarted = await HubStandIn.start(port);
  t.after(() => restarted.close());
  const { hello } = await restarted.acceptDevice();
  assert.equal(hello.device, 'pico-dial');
  await new Promise((resolve) => link.once('welcome', resolve));
  assert.equal(link.welcomes, 2);
});

test('after a reset the device dials home again once it has restarted', async (t) => {
  const { hub, runtime, link } = await setup(t);
  const { link: conn, hello: first } = await hub.acceptDevice();
  await new Promise((resolve) => link.once('welcome', resolve));
  const reply = await conn.request({ id: 1, action: 'reset' });
  assert.equal(reply.ok, true);
  const closing = await conn.event('closing');
  assert.equal(closing.code, 'PL_ERR_CONNECTION_CLOSED');
  const { hello } = await hub.acceptDevice();
  assert.notEqual(hello.boot, first.boot, 'a new boot id after the restart');
  assert.equal(hello.boot, runtime.bootId);
});

test('TLS to the hub with a pinned fingerprint; a wrong fingerprint is never welcomed', async (t) => {
  const cert = await makeTestCert();
  const server = createTlsServer({ cert: cert.cert, key: cert.key });
  const hellos: string[] = [];
  server.on('secureConnection', (socket) => {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const hello = JSON.parse(text.split('\n')[0] as string) as Record<string, unknown>;
      hellos.push(String(hello.device));
      socket.write(JSON.stringify({ ...hello, ok: true, time_received: 0, server_time: Date.now(), heartbeat_ms: 15000, config: {} }) + '\n');
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const port = (server.address() as AddressInfo).port;
  const fingerprint = new X509Certificate(cert.cert).fingerprint256;
  const runtime = new DeviceRuntime({ deviceId: 'pico-tls' });
  await runtime.start();
  t.after(() => runtime.close());

  const wrong = dialHome({ runtime, hub: { host: '127.0.0.1', port, tls: { fingerprint: 'AA'.repeat(32) } }, backoff: { baseMs: 10, maxMs: 20 } });
  await delay(150);
  assert.equal(wrong.welcomes, 0);
  assert.ok(wrong.consecutiveFailures >= 2, 'retried');
  await wrong.close();
  assert.deepEqual(hellos, [], 'nothing was sent to a hub with the wrong certificate');

  const right = dialHome({ runtime, hub: { host: '127.0.0.1', port, tls: { fingerprint: fingerprint.replace(/:/g, '').toLowerCase() } } });
  await new Promise((resolve) => right.once('welcome', resolve));
  assert.deepEqual(hellos, ['pico-tls']);
  await right.close();
  assert.equal(right.state, 'stopped');
});

test('startDevice({ hub }) listens as usual and dials home too; close() ends both', async (t) => {
  const hub = await HubStandIn.start();
  t.after(() => hub.close());
  const device = await startTestDevice(t, { hub: { hub: { host: '127.0.0.1', port: hub.port }, token: 't' } });
  const { hello } = await hub.acceptDevice();
  assert.equal(hello.device, 'test-pico');
  await new Promise((resolve) => device.hub?.once('welcome', resolve));
  const local = await device.connect();
  assert.equal((await local.request({ action: 'ping' })).ok, true);
  await device.close();
  assert.equal(device.hub?.state, 'stopped');
});

/** A port on 127.0.0.1 that refuses connections (a hub that is down). */
async function deadPort(): Promise<number> {
  const gone = await HubStandIn.start();
  const { port } = gone;
  await gone.close();
  return port;
}

async function startRuntime(t: TestContext): Promise<DeviceRuntime> {
  const runtime = new DeviceRuntime({ deviceId: 'pico-list', backend: new SimulatedBackend() });
  await runtime.start();
  t.after(() => runtime.close());
  return runtime;
}

/** A device dialling the hubs on these 127.0.0.1 ports, in this order; closed when the test ends. */
async function dialList(t: TestContext, ports: readonly number[], options: Partial<DialHomeOptions>): Promise<DialHome> {
  const runtime = await startRuntime(t);
  const link = dialHome({ runtime, hub: ports.map((port) => ({ host: '127.0.0.1', port })), ...options });
  t.after(() => link.close());
  return link;
}

test('given a dead address first and a live hub second, the device comes online on the second; when that hub stops it comes back on the next live one', async (t) => {
  const dead = await deadPort();
  const second = await HubStandIn.start();
  const third = await HubStandIn.start();
  t.after(() => Promise.all([second.close(), third.close()]));
  const logs: string[] = [];
  const link = await dialList(t, [dead, second.port, third.port], { addressPauseMs: 20, backoff: { baseMs: 20, maxMs: 200 }, log: (line) => logs.push(line) });
  assert.deepEqual(link.hubAddresses, [`127.0.0.1:${dead}`, `127.0.0.1:${second.port}`, `127.0.0.1:${third.port}`]);
  const welcomed = new Promise<WelcomeInfo>((resolve) => link.once('welcome', resolve));
  const { link: conn } = await second.acceptDevice();
  assert.equal((await welcomed).hub, `127.0.0.1:${second.port}`);
  assert.equal(link.hubAddress, `127.0.0.1:${second.port}`);
  assert.equal((await conn.request({ id: 1, action: 'ping' })).ok, true);
  assert.ok(logs.some((line) => line.startsWith(`hub 127.0.0.1:${dead}: `)), logs.join('\n'));

  const again = new Promise<WelcomeInfo>((resolve) => link.once('welcome', resolve));
  await second.close();
  const { link: moved } = await third.acceptDevice();
  assert.equal((await again).hub, `127.0.0.1:${third.port}`);
  assert.equal((await moved.request({ id: 1, action: 'get_info' })).ok, true);
  assert.equal(link.welcomes, 2);
});

test('the addresses are an order of preference: after a lost link the device dials the first again', async (t) => {
  const preferred = await HubStandIn.start();
  const fallback = await HubStandIn.start();
  t.after(() => Promise.all([preferred.close(), fallback.close()]));
  const link = await dialList(t, [preferred.port, fallback.port], { addressPauseMs: 20, backoff: { baseMs: 20, maxMs: 200 } });
  // The preferred hub is not ready yet: it drops the first connection before any welcome.
  (await preferred.nextConnection()).close();
  const { link: served } = await fallback.acceptDevice();
  await new Promise((resolve) => link.once('welcome', resolve));
  assert.equal(link.welcome?.hub, `127.0.0.1:${fallback.port}`);
  // The fallback's link drops: the next round starts at the preferred hub, which now answers.
  const welcomed = new Promise<WelcomeInfo>((resolve) => link.once('welcome', resolve));
  served.close();
  await preferred.acceptDevice();
  assert.equal((await welcomed).hub, `127.0.0.1:${preferred.port}`);
  assert.equal(fallback.connections.length, 1, 'the fallback was not dialled again');
});

test('a short pause separates the addresses of a round; the backoff grows with each round that got no welcome', async (t) => {
  // Two hubs that drop every connection before its welcome.
  const first = await HubStandIn.start();
  const second = await HubStandIn.start();
  t.after(() => Promise.all([first.close(), second.close()]));
  const arrivals: Array<{ hub: 'first' | 'second'; at: number }> = [];
  const refuseAll = async (hub: HubStandIn, name: 'first' | 'second'): Promise<void> => {
    for (let i = 0; i < 4; i++) {
      const conn = await hub.nextConnection(5000);
      arrivals.push({ hub: name, at: performance.now() });
      conn.close();
    }
  };
  const refusing = Promise.all([refuseAll(first, 'first'), refuseAll(second, 'second')]);
  const link = await dialList(t, [first.port, second.port], { addressPauseMs: 150, backoff: { baseMs: 100, maxMs: 10_000 }, random: () => 0.999 });
  await refusing;
  assert.deepEqual(arrivals.map((a) => a.hub), ['first', 'second', 'first', 'second', 'first', 'second', 'first', 'second']);
  const gaps = arrivals.slice(1).map((a, i) => a.at - (arrivals[i]?.at ?? 0));
  // first -> second: the pause (150 ms). second -> first: the backoff before rounds 1, 2, 3,
  // 0.999 x 100 x 2^n ms: about 199, 399, 799.
  const expected = [150, 199, 150, 399, 150, 799, 150];
  gaps.forEach((gap, i) => assert.ok(gap >= (expected[i] as number) - 3, `gap ${i}: ${Math.round(gap)} ms < ${expected[i]} ms`));
  // Counted by rounds, not by addresses: counting each failed address would wait 1598 ms before round 3.
  assert.ok((gaps[5] as number) < 1500, `the wait before round 3 was ${Math.round(gaps[5] as number)} ms`);
  assert.equal(link.consecutiveFailures >= 6, true);
});

test('an empty list of hub addresses is a usage error', async (t) => {
  const runtime = await startRuntime(t);
  assert.throws(() => dialHome({ runtime, hub: [] }), { code: 'PL_ERR_USAGE', message: /at least one hub address/ });
});
