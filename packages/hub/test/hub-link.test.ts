/**
 * The SDK's `hub://` transport against a real hub: the same Device calls as over a direct
 * connection, refusals with their codes, and a device that goes away mid-session.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { connect } from '@picolink/client';
import type { Device, PinChange } from '@picolink/client';
import { DEVICE_FIRMWARE_VERSION } from '@picolink/device';
import { ErrorCode } from '@picolink/protocol';
import { WebSocket } from 'ws';
import { startTestHub, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { serverDeviceOnline, startDialHomeDevice, startServerDevice } from './sim-devices.js';
import type { SimDevice } from './sim-devices.js';

describe('hub:// device links', () => {
  let t: TestHub;
  let pico: SimDevice;
  let hubUrl: string;

  before(async () => {
    pico = await startServerDevice('pico-1');
    t = await startTestHub({ devices: [{ id: 'pico-1', address: pico.device.url }, { id: 'pico-off' }, { id: 'sensor-k', telemetryKey: 'ab'.repeat(32) }] });
    await serverDeviceOnline(t.hub, 'pico-1');
    hubUrl = `hub://127.0.0.1:${t.hub.httpPort}/devices/pico-1`;
  });
  after(async () => {
    await t.close();
    await pico.stop();
  });

  async function both<T>(body: (device: Device) => Promise<T>): Promise<{ direct: T; viaHub: T }> {
    const direct = await connect(pico.device.url);
    const viaHub = await connect(hubUrl, { token: t.hub.token ?? '' });
    try {
      return { direct: await body(direct), viaHub: await body(viaHub) };
    } finally {
      await direct.close();
      await viaHub.close();
    }
  }

  test('the handshake reports the device through the hub', async () => {
    const device = await connect(hubUrl, { token: t.hub.token ?? '' });
    try {
      assert.equal(device.url, hubUrl);
      assert.equal(device.protocol, 1);
      assert.equal(device.version, DEVICE_FIRMWARE_VERSION);
      assert.ok(device.capabilities.includes('pipeline'));
      const direct = await connect(pico.device.url);
      for (const capability of direct.capabilities) assert.ok(device.capabilities.includes(capability), capability);
      await direct.close();
    } finally {
      await device.close();
    }
  });

  test('info, actions, ADC and ping answer as over a direct connection', async () => {
    const { direct, viaHub } = await both(async (device) => {
      const info = (await device.info()) as unknown as Record<string, unknown>;
      const adc = await device.adc(3).read();
      return { infoKeys: Object.keys(info).sort(), board: info.board, actions: await device.listActions(), adcKeys: Object.keys(adc).sort(), ping: typeof (await device.ping()) };
    });
    assert.deepEqual(viaHub, direct);
  });

  test('pins: setup, write with a lease, read, PWM; the device really changes', async () => {
    const device = await connect(hubUrl, { token: t.hub.token ?? '' });
    try {
      const relay = device.pin(5);
      await relay.setup('output', { value: 0 });
      const write = await relay.write(1, { timeoutS: 0.2 });
      assert.equal(write.previous, 0);
      assert.equal(write.revertsTo, 0);
      assert.equal(await relay.read(), 1);
      assert.equal(pico.device.backend.pinState(5).driven, 1);
      await until(() => pico.device.backend.pinState(5).driven === 0 || undefined, 'the lease reverts on the device');
      assert.equal(await relay.read(), 0);
      await device.pin(6).pwm(1000, 0.5);
      assert.equal(pico.device.backend.pinState(6).mode, 'pwm');
      const pipelined = await Promise.all(Array.from({ length: 200 }, () => relay.read()));
      assert.ok(pipelined.every((level) => level === 0));
      await assert.rejects(device.pin(7).read(), (err: Error & { code?: string }) => err.code === ErrorCode.PIN_NOT_SETUP);
      const audit = await t.json<{ audit: Array<{ actor: string; action: string; result: string }> }>('/api/audit?device=pico-1&limit=1');
      assert.deepEqual(
        audit.audit.map((r) => [r.action, r.result]),
        [['read_pin', ErrorCode.PIN_NOT_SETUP]],
        'requests through hub:// are in the audit log',
      );
      assert.match(audit.audit[0]?.actor ?? '', /^sdk:/);
    } finally {
      await device.close();
    }
  });

  test("watch events arrive for the pins this link watches, with this link's edge", async () => {
    const device = await connect(hubUrl, { token: t.hub.token ?? '' });
    const other = await connect(hubUrl, { token: t.hub.token ?? '' });
    try {
      const button = device.pin(15);
      await button.setup('input', { pull: 'up' });
      const falling: PinChange[] = [];
      const unwatch = await button.watch((event) => falling.push(event), { edge: 'falling', debounceMs: 0 });
      const everything: PinChange[] = [];
      await other.pin(15).watch((event) => everything.push(event), { edge: 'both', debounceMs: 0 });
      pico.device.backend.setInputLevel(15, 0);
      await until(() => falling.length === 1 || undefined, 'falling edge on the first link');
      pico.device.backend.setInputLevel(15, 1);
      await until(() => everything.length === 2 || undefined, 'both edges on the second link');
      assert.deepEqual(
        everything.map((e) => e.value),
        [0, 1],
      );
      assert.equal(falling.length, 1, 'the rising edge is not delivered to a falling-edge watch');
      assert.equal(falling[0]?.pin, 15);
      assert.equal(falling[0]?.cause, 'input');
      assert.equal(typeof falling[0]?.t, 'number');
      await unwatch();
      pico.device.backend.setInputLevel(15, 0);
      await until(() => everything.length === 3 || undefined, 'the second link still watches');
      assert.equal(falling.length, 1, 'unwatched on the first link');
    } finally {
      await device.close();
      await other.close();
    }
  });

  test('bad frames on a link get coded errors; an oversize one ends only that link', async () => {
    const healthy = await connect(hubUrl, { token: t.hub.token ?? '' });
    const raw = new WebSocket(`ws://127.0.0.1:${t.hub.httpPort}/api/devices/pico-1/link?token=${t.hub.token}`);
    const frames: Array<Record<string, unknown>> = [];
    raw.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    await once(raw, 'open');
    try {
      raw.send('{"id":1,"action":');
      raw.send('[1,2]');
      raw.send('{"id":3,"action":"blink"}');
      raw.send('{"id":4,"action":"write_pin","pin":2}');
      raw.send('{"id":5,"action":"hello","device":"pico-1"}\n{"id":6,"action":"ping"}');
      await until(() => frames.length === 6 || undefined, 'six answers');
      assert.deepEqual(
        frames.map((f) => [f.id, f.ok, f.code]),
        [
          [undefined, false, ErrorCode.BAD_JSON],
          [undefined, false, ErrorCode.NOT_OBJECT],
          [3, false, ErrorCode.UNKNOWN_ACTION],
          [4, false, ErrorCode.MISSING_FIELD],
          [5, false, ErrorCode.UNKNOWN_ACTION],
          [6, true, undefined],
        ],
      );
      raw.send('x'.repeat(70_000));
      const [code] = (await once(raw, 'close')) as [number];
      assert.equal(code, 1009, 'message too big');
      assert.ok((await healthy.info()).firmware, 'another link to the same device is unaffected');
    } finally {
      raw.terminate();
      await healthy.close();
    }
  });

  test('a wrong or missing token is refused with PL_ERR_UNAUTHORIZED', async () => {
    for (const token of ['wrong', '']) {
      await assert.rejects(connect(hubUrl, { token }), (err: Error & { code?: string }) => err.code === ErrorCode.UNAUTHORIZED && /token/.test(err.message));
    }
  });

  test('an offline device is PL_ERR_DEVICE_OFFLINE, an unknown one PL_ERR_UNKNOWN_DEVICE', async () => {
    const token = t.hub.token ?? '';
    await assert.rejects(connect(`hub://127.0.0.1:${t.hub.httpPort}/devices/pico-off`, { token }), (err: Error & { code?: string }) => err.code === ErrorCode.DEVICE_OFFLINE);
    await assert.rejects(connect(`hub://127.0.0.1:${t.hub.httpPort}/devices/ghost`, { token }), (err: Error & { code?: string }) => err.code === ErrorCode.UNKNOWN_DEVICE);
  });

  test('a device that only sends telemetry is PL_ERR_DEVICE_NO_COMMANDS, not offline', async () => {
    const token = t.hub.token ?? '';
    const refused = (err: Error & { code?: string }): boolean => err.code === ErrorCode.DEVICE_NO_COMMANDS && /only sends telemetry/.test(err.message);
    // Configured with a telemetry key only, and heard only through telemetry so far.
    await assert.rejects(connect(`hub://127.0.0.1:${t.hub.httpPort}/devices/sensor-k`, { token }), refused);
    await t.hub.store.upsertDevice({ id: 'pico-off', mode: 'telemetry', seenAt: Date.now() });
    await assert.rejects(connect(`hub://127.0.0.1:${t.hub.httpPort}/devices/pico-off`, { token }), refused);
    await t.hub.store.upsertDevice({ id: 'pico-off', mode: 'dial-home', seenAt: Date.now() });
    await assert.rejects(connect(`hub://127.0.0.1:${t.hub.httpPort}/devices/pico-off`, { token }), (err: Error & { code?: string }) => err.code === ErrorCode.DEVICE_OFFLINE);
  });

  test('when the device goes offline the link says so and requests fail with PL_ERR_DEVICE_OFFLINE', async () => {
    const second = await startDialHomeDevice(t.hub, 'pico-off');
    const device = await connect(`hub://127.0.0.1:${t.hub.httpPort}/devices/pico-off`, { token: t.hub.token ?? '' });
    try {
      const events: Array<Record<string, unknown>> = [];
      device.on('event', (event) => events.push(event as Record<string, unknown>));
      await device.pin(2).setup('output', { value: 1 });
      assert.equal(await device.pin(2).read(), 1);
      await second.stop();
      await until(() => events.find((e) => e.event === 'status' && e.online === false), 'offline status event');
      await assert.rejects(device.pin(2).read(), (err: Error & { code?: string }) => err.code === ErrorCode.DEVICE_OFFLINE);
      assert.equal(device.closed, false, 'the link to the hub stays open');
    } finally {
      await device.close();
      await second.stop();
    }
  });

  test('a hub that is not there is PL_ERR_CONNECT_FAILED', async () => {
    const closedPort = await (async () => {
      const { createServer } = await import('node:net');
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    })();
    await assert.rejects(connect(`hub://127.0.0.1:${closedPort}/devices/pico-1`, { token: 'x' }), (err: Error & { code?: string }) => err.code === ErrorCode.CONNECT_FAILED);
  });
});
