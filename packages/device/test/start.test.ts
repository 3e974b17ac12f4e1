import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { ErrorCode, parseTelemetry } from '@picolink/protocol';
import { startDevice, SimulatedBackend } from '../src/index.js';
import { LineClient } from '@picolink/test-kit/line-client';

test('startDevice reports where it listens; close() releases everything', async () => {
  const device = await startDevice({ host: '127.0.0.1', port: 0 });
  assert.equal(device.url, `tcp://127.0.0.1:${device.port}`);
  assert.equal(device.host, '127.0.0.1');
  assert.ok(device.backend instanceof SimulatedBackend, 'a simulated Pico W by default');
  assert.match(device.runtime.deviceId, /^sim-[0-9a-f]{8}$/);
  const client = await LineClient.connect(device.port);
  assert.equal((await client.request({ action: 'ping' })).ok, true);
  await device.close();
  await device.close(); // idempotent
  assert.equal(await client.closesWithin(1000), true);
});

test('aborting the signal closes the device', async () => {
  const controller = new AbortController();
  const device = await startDevice({ host: '127.0.0.1', port: 0, signal: controller.signal });
  const client = await LineClient.connect(device.port);
  await client.request({ action: 'ping' });
  controller.abort();
  assert.equal(await client.closesWithin(1000), true);
  await device.close();
});

test('a port already in use is reported and nothing is left running', async () => {
  const first = await startDevice({ host: '127.0.0.1', port: 0 });
  try {
    await assert.rejects(startDevice({ host: '127.0.0.1', port: first.port }), {
      code: ErrorCode.LISTEN_FAILED,
      message: `cannot listen on tcp 127.0.0.1:${first.port}: the port is already in use; stop the program using it or choose another port`,
    });
  } finally {
    await first.close();
  }
});

test('with telemetry configured, the device sends datagrams until closed', async () => {
  const receiver = createSocket('udp4');
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
  const texts: string[] = [];
  receiver.on('message', (data) => texts.push(data.toString('utf8')));
  const device = await startDevice({
    host: '127.0.0.1',
    port: 0,
    deviceId: 'tele-pico',
    telemetry: { host: '127.0.0.1', port: receiver.address().port, intervalMs: 20, sensors: ['temp_c', 'adc3'] },
  });
  try {
    const deadline = Date.now() + 2000;
    while (texts.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const first = parseTelemetry(texts[0] ?? '').message;
    assert.equal(first.device, 'tele-pico');
    assert.equal(first.boot, device.runtime.bootId);
    assert.deepEqual(Object.keys(first.readings), ['temp_c', 'adc3']);
    assert.ok((device.telemetry?.counters.sent ?? 0) >= 2);
  } finally {
    await device.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
});
