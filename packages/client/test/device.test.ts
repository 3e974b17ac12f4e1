/**
 * The Device API against a scripted picolink peer: what each method sends and what it
 * makes of the answer.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { connect } from '../src/index.js';
import type { Device } from '../src/index.js';
import { ScriptedPeer } from './fixtures/scripted-peer.js';
import type { PeerConnection, Reply } from './fixtures/scripted-peer.js';

const ALL = ['pipeline', 'events', 'leases', 'failsafe', 'pwm', 'adc', 'update', 'telemetry'];
/** get_info fields whose names are the same on the wire and in the SDK. */
const INFO_SAME = { board: 'sim', platform: 'sim', firmware: '1.0.0', protocol: 1, capabilities: ALL, rssi: null, pins: [0, 1, 2] };
const INFO = {
  ...INFO_SAME,
  mem_free: 1000,
  mem_alloc: 2000,
  uptime_ms: 5,
  last_update: { status: 'rolled_back', files: ['main.py'] },
  device_id: 'pico-1',
};

const RESULTS: Record<string, object> = {
  setup_pin: { value: 0 },
  write_pin: { previous: 0, reverts_to: 0, lease_ms: 1500 },
  read_pin: { value: 1 },
  set_pwm: { duty_u16: 32768 },
  read_adc: { value: 13107, volts: 0.66, temperature_c: 48.1 },
  get_info: { info: INFO },
  list_actions: { actions: ['ping', 'read_pin'] },
  reset: { delay_ms: 1000 },
  sleep: { delay_ms: 1000 },
  update: { updated: ['main.py'], delay_ms: 500 },
};

async function withDevice(run: (device: Device, connection: PeerConnection) => Promise<void>, capabilities = ALL): Promise<void> {
  const peer = await ScriptedPeer.start({
    capabilities,
    onRequest: (request): Reply | undefined => {
      const results = RESULTS[String(request.action)];
      return results ? { results } : undefined;
    },
  });
  const device = await connect(peer.url, { timeoutMs: 1000, heartbeatMs: 0 });
  try {
    await run(device, await peer.nextConnection(0));
  } finally {
    await device.close();
    await peer.close();
  }
}

function lastRequest(connection: PeerConnection, action: string): Record<string, unknown> {
  const found = connection.frames.filter((f) => f.action === action).at(-1);
  assert.ok(found, `no ${action} request was sent`);
  const { id: _id, ...fields } = found;
  return fields;
}

test('pin methods send the protocol fields and read the results', async () => {
  await withDevice(async (device, connection) => {
    const relay = device.pin(5);
    await relay.setup('output', { value: true, safe: 0, pull: 'none' });
    assert.deepEqual(lastRequest(connection, 'setup_pin'), { action: 'setup_pin', pin: 5, mode: 'output', value: 1, pull: 'none', safe: 0 });
    assert.deepEqual(await relay.write(1, { timeoutS: 1.5 }), { previous: 0, revertsTo: 0, leaseMs: 1500 });
    assert.deepEqual(lastRequest(connection, 'write_pin'), { action: 'write_pin', pin: 5, value: 1, timeout: 1.5 });
    await relay.write(false);
    assert.deepEqual(lastRequest(connection, 'write_pin'), { action: 'write_pin', pin: 5, value: 0 });
    assert.equal(await relay.read(), 1);
    await relay.pwm(1000, 0.5);
    assert.deepEqual(lastRequest(connection, 'set_pwm'), { action: 'set_pwm', pin: 5, freq: 1000, duty: 0.5 });
    await device.pin('led').setup('output');
    assert.deepEqual(lastRequest(connection, 'setup_pin'), { action: 'setup_pin', pin: 'LED', mode: 'output' });
  });
});

test('bad pin and channel numbers are refused locally with protocol codes', async () => {
  await withDevice(async (device) => {
    assert.throws(() => device.pin(64), (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.OUT_OF_RANGE);
    assert.throws(() => device.pin('GP2'), (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.BAD_TYPE);
    assert.throws(() => device.adc(5), (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.OUT_OF_RANGE);
    await assert.rejects(device.pin(2).write(1, { timeoutS: -1 }), (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.OUT_OF_RANGE);
  });
});

test('adc, info, listActions, ping, reset and sleep', async () => {
  await withDevice(async (device, connection) => {
    assert.deepEqual(await device.adc(4).read(), { value: 13107, volts: 0.66, temperatureC: 48.1 });
    assert.deepEqual(lastRequest(connection, 'read_adc'), { action: 'read_adc', channel: 4 });
    assert.deepEqual(await device.info(), {
      ...INFO_SAME,
      memFree: 1000,
      memAlloc: 2000,
      uptimeMs: 5,
      lastUpdate: { status: 'rolledBack', files: ['main.py'] },
      deviceId: 'pico-1',
    });
    assert.deepEqual(await device.listActions(), ['ping', 'read_pin']);
    const rtt = await device.ping();
    assert.ok(rtt >= 0 && rtt < 1000);
    await device.reset();
    await device.sleep(250, { deep: true });
    assert.deepEqual(lastRequest(connection, 'sleep'), { action: 'sleep', time_ms: 250, deep: true });
    const typed = await device.request('read_pin', { pin: 2 });
    assert.equal(typed.value, 1);
    assert.equal(typed.action, 'read_pin');
  });
});

test('request() takes and returns camelCase names; the wire keeps snake_case; send() stays raw', async () => {
  await withDevice(async (device, connection) => {
    const setup = await device.request('setup_pin', { pin: 5, mode: 'output', safe: 0, safeAfterMs: 200 });
    assert.deepEqual(lastRequest(connection, 'setup_pin'), { action: 'setup_pin', pin: 5, mode: 'output', safe: 0, safe_after_ms: 200 });
    assert.equal(setup.safeAfterMs, 200, 'the echoed request is camelCase too');
    assert.equal(typeof setup.timeReceived, 'number');
    assert.equal('time_received' in setup, false);
    const pwm = await device.request('set_pwm', { pin: 5, freq: 1000, duty: 0.5 });
    assert.equal(pwm.dutyU16, 32768);
    await device.request('watch_pin', { pin: 5, debounceMs: 7 });
    assert.deepEqual(lastRequest(connection, 'watch_pin'), { action: 'watch_pin', pin: 5, debounce_ms: 7 });
    const raw = await device.send({ action: 'write_pin', pin: 5, value: 1, timeout: 1 });
    assert.equal(raw.reverts_to, 0);
    assert.equal(typeof raw.time_received, 'number');
  });
});

test('update sends each file\'s SHA-256, and zlib+base64 contents when compressing', async () => {
  await withDevice(async (device, connection) => {
    const main = 'print("hello")\n';
    const blob = new Uint8Array([0, 1, 2, 255]);
    const result = await device.update({ 'main.py': main, 'lib/blob.bin': blob }, { compress: true });
    assert.deepEqual(result, { updated: ['main.py'], delayMs: 500 });
    const sent = lastRequest(connection, 'update') as { files: Record<string, string>; compress: boolean; sha256: Record<string, string> };
    assert.equal(sent.compress, true);
    assert.equal(inflateSync(Buffer.from(sent.files['main.py'] ?? '', 'base64')).toString(), main);
    assert.deepEqual([...inflateSync(Buffer.from(sent.files['lib/blob.bin'] ?? '', 'base64'))], [...blob]);
    assert.deepEqual(sent.sha256, {
      'main.py': createHash('sha256').update(main).digest('hex'),
      'lib/blob.bin': createHash('sha256').update(blob).digest('hex'),
    });

    await device.update({ 'main.py': new TextEncoder().encode('x = 1\n') });
    const plain = lastRequest(connection, 'update');
    assert.deepEqual(plain.files, { 'main.py': 'x = 1\n' });
    assert.equal(plain.compress, false);
    await assert.rejects(device.update({ 'a.bin': blob }), (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.UPDATE_FILE && /compress: true/.test(err.message));
  });
});

test('features the device did not announce are refused with PL_ERR_NOT_SUPPORTED', async () => {
  await withDevice(async (device, connection) => {
    const refused = (err: unknown): boolean => err instanceof PicolinkError && err.code === ErrorCode.NOT_SUPPORTED && /does not offer/.test(err.message);
    await assert.rejects(device.pin(2).pwm(100, 0.1), refused);
    await assert.rejects(device.adc(0).read(), refused);
    await assert.rejects(device.pin(2).watch(() => undefined), refused);
    await assert.rejects(device.update({ 'main.py': '' }), refused);
    assert.equal(connection.frames.length, 1);
  }, ['pipeline']);
});

test('without an error listener, device problems become process warnings rather than crashes', async () => {
  await withDevice(async (device, connection) => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      connection.sendRaw('garbage\n');
      await device.request('ping');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(warnings.length, 1);
      assert.equal((warnings[0] as Error & { code?: string }).code, ErrorCode.BAD_JSON);
      assert.match(warnings[0]?.message ?? '', /sent a frame that cannot be read/);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
