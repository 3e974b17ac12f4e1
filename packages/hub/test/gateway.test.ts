import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { dialingDevice, GatewayHub, RawDevice, until } from './gateway-fixture.js';

const DEVICES = { devices: [{ id: 'pico-1', token: 's3cret', config: { label: 'greenhouse' } }, { id: 'pico-2' }, { id: 'pico-3' }] };

test('a TS device dials home: welcome with settings, online in the directory and the store, commands flow hub → device, events flow back', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const device = await dialingDevice(t, hub, 'pico-1', { token: 's3cret' });
  await device.welcomed();
  assert.deepEqual(device.link.welcome?.config, { label: 'greenhouse' });
  assert.equal(device.link.welcome?.heartbeatMs, 1000);
  assert.ok(Math.abs(device.runtime.clockOffset) < 1000, 'the device clock follows the hub clock');
  const link = await until(() => hub.directory.get('pico-1'), 'link in the directory');
  assert.equal(link.mode, 'dial-home');
  assert.ok(link.capabilities.includes('pipeline'));

  // The device record gets its info from the get_info the hub sends after the welcome.
  const record = await until(async () => {
    const stored = await hub.store.getDevice('pico-1');
    return stored?.info ? stored : undefined;
  }, 'device info stored');
  assert.equal(record.mode, 'dial-home');
  assert.equal(record.firmware, '0.1.0');
  assert.equal(record.info?.device_id, 'pico-1');
  assert.match(record.address ?? '', /^127\.0\.0\.1:\d+$/);
  const sessions = await hub.store.listSessions('pico-1');
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0]?.closedAt, null);
  await until(async () => (await hub.storedEvents('pico-1', 'online')).length === 1, 'online event stored');

  const setup = await hub.commands.send('pico-1', { action: 'setup_pin', pin: 2, mode: 'output', value: 0, safe: 0 }, 'api:test');
  assert.equal(setup.ok, true);
  await hub.commands.send('pico-1', { action: 'watch_pin', pin: 2 }, 'api:test');
  const write = await hub.commands.send('pico-1', { id: 'mine', action: 'write_pin', pin: 2, value: 1 }, 'api:test');
  assert.deepEqual([write.ok, write.previous], [true, 0]);
  assert.equal(device.backend.pinState(2).driven, 1);

  const event = await until(() => hub.events.find((e) => e.type === 'pin_change' && e.deviceId === 'pico-1'), 'pin_change on the bus');
  assert.deepEqual([event.data.pin, event.data.value, event.data.cause], [2, 1, 'write']);
  assert.equal(typeof event.deviceTime, 'number');
  assert.ok(Math.abs(event.time - Date.now()) < 2000, 'the event carries the device time, synced to the hub');
  const stored = await until(async () => (await hub.storedEvents('pico-1', 'pin_change'))[0], 'pin_change stored');
  assert.equal(stored.deviceTime, event.deviceTime);

  const audit = await hub.store.listAudit({ deviceId: 'pico-1' });
  assert.deepEqual(
    audit.map((a) => [a.actor, a.action, a.result]).reverse(),
    [
      ['api:test', 'setup_pin', 'ok'],
      ['api:test', 'watch_pin', 'ok'],
      ['api:test', 'write_pin', 'ok'],
    ],
  );
});

test('many requests to one device are pipelined and matched by id', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const device = await dialingDevice(t, hub, 'pico-2');
  await device.welcomed();
  const link = await until(() => hub.directory.get('pico-2'), 'online');
  const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => link.send({ action: 'read_adc', channel: i % 5 })));
  assert.deepEqual(
    replies.map((r) => r.channel),
    Array.from({ length: 200 }, (_, i) => i % 5),
  );
  assert.equal(link.stats?.().requests, 201, '200 plus the get_info after the welcome');
});

test('a device that did not announce "pipeline" gets one request at a time', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const { device, answer } = await RawDevice.hello(t, hub.port, { device: 'pico-3', capabilities: [] });
  assert.equal(answer.ok, true);
  const info = await device.next((m) => m.action === 'get_info');
  const link = await until(() => hub.directory.get('pico-3'), 'online');
  const first = link.send({ action: 'ping' });
  const second = link.send({ action: 'read_pin', pin: 4 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(device.inbox, [], 'nothing more is sent while get_info is unanswered');
  device.send({ ...info, ok: true, time_received: 0, info: {} });
  const ping = await device.next((m) => m.action === 'ping');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(device.inbox, [], 'read_pin waits for the ping');
  device.send({ ...ping, ok: true, time_received: 0 });
  assert.equal((await first).ok, true);
  const read = await device.next((m) => m.action === 'read_pin');
  device.send({ ...read, ok: false, error: 'pin 4 is not set up; send setup_pin first', code: 'PL_ERR_PIN_NOT_SETUP', exception: 'RuntimeError' });
  assert.equal((await second).code, 'PL_ERR_PIN_NOT_SETUP');
});

test('a wrong or missing token gets PL_ERR_UNAUTHORIZED and the connection closes; refusals are counted and the log stays short', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const { device: wrong, answer } = await RawDevice.hello(t, hub.port, { device: 'pico-1', token: 'guess' });
  assert.deepEqual([answer.ok, answer.code, answer.exception], [false, 'PL_ERR_UNAUTHORIZED', 'PermissionError']);
  assert.equal(answer.token, undefined, 'the token is never echoed');
  assert.ok(await wrong.closesWithin(2000));
  const { answer: missing } = await RawDevice.hello(t, hub.port, { device: 'pico-1' });
  assert.equal(missing.code, 'PL_ERR_UNAUTHORIZED');
  for (let i = 0; i < 40; i++) await RawDevice.hello(t, hub.port, { device: 'pico-1', token: `guess-${i}` });
  assert.equal(hub.gateway.stats().unauthorized, 42);
  assert.equal(hub.directory.isOnline('pico-1'), false);
  const lines = hub.logs.filter((line) => line.includes('PL_ERR_UNAUTHORIZED'));
  assert.ok(lines.length >= 1 && lines.length <= 20, `${lines.length} log lines for 42 refusals`);
  assert.ok(!hub.logs.some((line) => line.includes('guess')), 'tokens never reach the log');

  // The TS device reports the refusal and keeps trying with backoff.
  const device = await dialingDevice(t, hub, 'pico-1', { token: 'wrong' });
  const refusal = await new Promise<{ code: string }>((resolve) => device.link.once('refused', resolve));
  assert.equal(refusal.code, 'PL_ERR_UNAUTHORIZED');
});

test('an unknown device id gets PL_ERR_UNKNOWN_DEVICE, unless the hub accepts unknown devices', async (t) => {
  const strict = await GatewayHub.start(t, { config: DEVICES });
  const { device, answer } = await RawDevice.hello(t, strict.port, { device: 'stranger' });
  assert.deepEqual([answer.ok, answer.code], [false, 'PL_ERR_UNKNOWN_DEVICE']);
  assert.ok(await device.closesWithin(2000));
  assert.equal(strict.gateway.stats().unknownDevices, 1);

  const open = await GatewayHub.start(t, { config: { gateway: { acceptUnknownDevices: true } } });
  const { answer: welcome } = await RawDevice.hello(t, open.port, { device: 'stranger', token: 'anything' });
  assert.deepEqual([welcome.ok, welcome.heartbeat_ms, welcome.config], [true, 1000, {}]);
  assert.equal(typeof welcome.server_time, 'number');
  await until(() => open.directory.isOnline('stranger'), 'stranger online');
});

test('a malformed hello, a first frame that is not a hello, and bad JSON each get a coded error and a closed connection', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const { device: a, answer: badId } = await RawDevice.hello(t, hub.port, { device: 'pico 1' });
  assert.equal(badId.code, 'PL_ERR_OUT_OF_RANGE');
  assert.ok(await a.closesWithin(2000));
  const b = await RawDevice.connect(t, hub.port);
  b.send({ id: 1, action: 'get_info' });
  assert.equal((await b.next()).code, 'PL_ERR_UNAUTHORIZED');
  assert.ok(await b.closesWithin(2000));
  const c = await RawDevice.connect(t, hub.port);
  c.send('{"action":"hello",\n');
  assert.equal((await c.next()).code, 'PL_ERR_BAD_JSON');
  assert.ok(await c.closesWithin(2000));
  assert.equal(hub.gateway.stats().badHellos, 2);
});

test('a connection that says nothing is closed after the hello timeout', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES, limits: { helloTimeoutMs: 150 } });
  const silent = await RawDevice.connect(t, hub.port);
  const started = Date.now();
  const closing = await silent.next((m) => m.event === 'closing');
  assert.equal(closing.code, 'PL_ERR_IDLE_TIMEOUT');
  assert.ok(await silent.closesWithin(2000));
  assert.ok(Date.now() - started < 1000);
  assert.equal(hub.gateway.stats().helloTimeouts, 1);
});

test('an oversize frame gets PL_ERR_FRAME_TOO_LARGE and ends that device\'s link only', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES, limits: { maxFrameBytes: 4096 } });
  const good = await dialingDevice(t, hub, 'pico-2');
  await good.welcomed();
  const { device: bad } = await RawDevice.hello(t, hub.port, { device: 'pico-3' });
  await until(() => hub.directory.isOnline('pico-3'), 'pico-3 online');
  bad.send(`{"event":"pin_change","junk":"${'x'.repeat(10_000)}"}\n`);
  const error = await bad.next((m) => m.code === 'PL_ERR_FRAME_TOO_LARGE');
  assert.equal(error.ok, false);
  assert.ok(await bad.closesWithin(2000));
  await until(() => !hub.directory.isOnline('pico-3'), 'pico-3 offline');
  const offline = await until(async () => (await hub.storedEvents('pico-3', 'offline'))[0], 'offline event');
  assert.match(String(offline.data.reason), /limit/);
  assert.equal(hub.gateway.stats().oversizeFrames, 1);
  assert.equal((await hub.commands.send('pico-2', { action: 'ping' }, 'api:test')).ok, true, 'the other device is served');
});

test('a flood from one device is slowed down while another device is served promptly', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES, limits: { maxFramesPerSecond: 500 } });
  const calm = await dialingDevice(t, hub, 'pico-2');
  await calm.welcomed();
  const { device: flooder } = await RawDevice.hello(t, hub.port, { device: 'pico-3' });
  await until(() => hub.directory.isOnline('pico-3'), 'pico-3 online');
  const junk = '{"event":"pin_change","pin":2,"value":1,"cause":"input","t":1}\n'.repeat(2000);
  let flooding = true;
  const flood = (async () => {
    while (flooding) {
      if (!flooder.socket.write(junk)) await Promise.race([new Promise((resolve) => flooder.socket.once('drain', resolve)), flooder.closed]);
    }
  })();
  const rounds: number[] = [];
  const floodStart = performance.now();
  // Half a second of flood (at most 1000 pings meanwhile).
  for (let i = 0; i < 1000 && performance.now() - floodStart < 500; i++) {
    const started = performance.now();
    const reply = await hub.commands.send('pico-2', { action: 'ping' }, 'api:test');
    assert.equal(reply.ok, true);
    rounds.push(performance.now() - started);
  }
  flooding = false;
  flooder.socket.destroy();
  await flood;
  const worst = Math.max(...rounds);
  assert.ok(worst < 250, `the calm device answered every ping, the slowest in ${Math.round(worst)} ms`);
  const stats = hub.gateway.stats();
  assert.ok(stats.throttled > 0, 'the flood was throttled');
  assert.ok(hub.logs.filter((line) => line.includes('PL_ERR_RATE_LIMITED')).length <= 20, 'and logged with a limit');
  const floodMs = performance.now() - floodStart;
  const stored = await until(async () => {
    const list = await hub.storedEvents('pico-3', 'pin_change');
    return list.length > 0 ? list : undefined;
  }, 'flood events stored');
  const allowed = 500 + (500 * floodMs) / 1000 + 100;
  assert.ok(stored.length <= allowed, `only what the rate allowed was read: ${stored.length} events in ${Math.round(floodMs)} ms (at most ${Math.round(allowed)})`);
});

test('a device that stops answering is pinged and dropped within three heartbeats; its session closes with the reason', async (t) => {
  const hub = await GatewayHub.start(t, { config: { ...DEVICES, gateway: { heartbeatMs: 100 } } });
  const { device } = await RawDevice.hello(t, hub.port, { device: 'pico-3' });
  const info = await device.next((m) => m.action === 'get_info');
  device.send({ ...info, ok: true, time_received: 0, info: {} });
  const lastHeard = Date.now();
  const ping = await device.next((m) => m.action === 'ping', 1000);
  assert.equal(ping.id, 'hb');
  // The device never answers: its network is gone, but no FIN arrives.
  await until(() => !hub.directory.isOnline('pico-3'), 'dropped', 2000);
  const silentFor = Date.now() - lastHeard;
  assert.ok(silentFor >= 300 && silentFor < 450, `dropped after ${silentFor} ms of silence (3 x 100 ms, checked every 25 ms)`);
  assert.equal(hub.gateway.stats().halfOpen, 1);
  const sessions = await until(async () => {
    const list = await hub.store.listSessions('pico-3');
    return list[0]?.closedAt !== null ? list : undefined;
  }, 'session closed');
  assert.match(String(sessions[0]?.closeReason), /3 heartbeats/);
});

test('a device that answers the hub\'s pings stays online', async (t) => {
  const hub = await GatewayHub.start(t, { config: { ...DEVICES, gateway: { heartbeatMs: 200 } } });
  const device = await dialingDevice(t, hub, 'pico-2');
  await device.welcomed();
  // Five heartbeat intervals: a link kept only by pings outlives the 3-interval limit.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.ok(hub.directory.isOnline('pico-2'));
  assert.equal(device.link.welcomes, 1);
  assert.equal(hub.gateway.stats().halfOpen, 0);
});

test('a newer connection from the same device replaces the older one without an offline blip', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const { device: old } = await RawDevice.hello(t, hub.port, { device: 'pico-3' });
  const first = await until(() => hub.directory.get('pico-3'), 'first link');
  const { answer } = await RawDevice.hello(t, hub.port, { device: 'pico-3', boot: 2 });
  assert.equal(answer.ok, true);
  assert.ok(await old.closesWithin(2000), 'the older connection is closed');
  const second = await until(() => (hub.directory.get('pico-3') !== first ? hub.directory.get('pico-3') : undefined), 'second link');
  assert.ok(second);
  assert.ok(hub.directory.isOnline('pico-3'));
  const sessions = await until(async () => {
    const list = await hub.store.listSessions('pico-3');
    return list.length === 2 && list.some((s) => s.closedAt !== null) ? list : undefined;
  }, 'two sessions, one closed');
  assert.match(String(sessions.find((s) => s.closedAt !== null)?.closeReason), /replaced/);
  assert.deepEqual(await hub.storedEvents('pico-3', 'offline'), []);
});

test('a request the device never answers times out; its late answer is ignored', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES, limits: { requestTimeoutMs: 100 } });
  const { device } = await RawDevice.hello(t, hub.port, { device: 'pico-3' });
  const link = await until(() => hub.directory.get('pico-3'), 'online');
  await assert.rejects(link.send({ action: 'read_pin', pin: 1 }), (err: { code?: string }) => err.code === 'PL_ERR_TIMEOUT');
  const request = await device.next((m) => m.action === 'read_pin');
  device.send({ ...request, ok: true, time_received: 0, value: 1 });
  await until(() => hub.gateway.stats().unmatchedResponses === 1, 'late answer counted');
  assert.ok(hub.directory.isOnline('pico-3'));
});

test('device requests: ping is answered, other actions are refused, unknown events are ignored', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const { device } = await RawDevice.hello(t, hub.port, { device: 'pico-3' });
  device.send({ event: 'something_new', x: 1 });
  device.send({ event: 'pin_change', pin: 99, value: 7 });
  device.send({ id: 'd1', action: 'ping' });
  device.send({ id: 'd2', action: 'setup_pin', pin: 1, mode: 'output' });
  assert.equal((await device.next((m) => m.id === 'd1')).ok, true);
  assert.equal((await device.next((m) => m.id === 'd2')).code, 'PL_ERR_UNKNOWN_ACTION');
  assert.equal(hub.gateway.stats().badFrames, 1, 'the malformed pin_change is counted, not stored');
});

test('close() tells every device, records them offline and closes their sessions', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const device = await dialingDevice(t, hub, 'pico-2');
  await device.welcomed();
  await until(async () => (await hub.store.listSessions('pico-2')).length === 1, 'session opened');
  await hub.gateway.close();
  const sessions = await hub.store.listSessions('pico-2');
  assert.equal(sessions[0]?.closeReason, 'the hub is shutting down');
  assert.equal((await hub.storedEvents('pico-2', 'offline')).length, 1);
  assert.equal(hub.directory.isOnline('pico-2'), false);
});
