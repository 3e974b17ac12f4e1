/**
 * The SDK against the real device runtime (simulated Pico W) over loopback: what a
 * user of `connect()` sees end to end.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { startDevice, SimulatedBackend } from '@picolink/device';
import type { DeviceOptions, RunningDevice } from '@picolink/device';
import { connect, generateCertificate } from '../src/index.js';
import type { DeviceInfo, PinChange } from '../src/index.js';

async function withDevice(
  options: Omit<DeviceOptions, 'backend'>,
  body: (device: RunningDevice<SimulatedBackend>) => Promise<void>,
): Promise<void> {
  const device = await startDevice({ host: '127.0.0.1', port: 0, ...options, backend: new SimulatedBackend() });
  try {
    await body(device);
  } finally {
    await device.close();
  }
}

function nextEvent(events: PinChange[], predicate: (e: PinChange) => boolean, timeoutMs = 3000): Promise<PinChange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const found = events.find(predicate);
      if (found) {
        clearInterval(poll);
        resolve(found);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`no matching event within ${timeoutMs} ms; saw ${JSON.stringify(events)}`));
      }
    }, 5);
  });
}

test('the SDK detects a picolink device and pipelines requests', async () => {
  await withDevice({}, async (running) => {
    const pico = await connect(running.url);
    assert.equal(pico.protocol, 1);
    assert.ok(pico.capabilities.includes('pipeline'));
    await pico.pin(2).setup('output', { value: 1 });
    const reads = await Promise.all(Array.from({ length: 1000 }, () => pico.pin(2).read()));
    assert.equal(reads.length, 1000);
    assert.ok(reads.every((v) => v === 1));
    await pico.close();
  });
});

test('a lease reverts to the previous level and a watcher sees why', async () => {
  await withDevice({}, async (running) => {
    const pico = await connect(running.url);
    const relay = pico.pin(5);
    await relay.setup('output', { value: 0 });
    const events: PinChange[] = [];
    const unwatch = await relay.watch((event) => events.push(event));
    const lease = await relay.write(1, { timeoutS: 0.2 });
    assert.deepEqual([lease.previous, lease.revertsTo, lease.leaseMs], [0, 0, 200]);
    assert.equal(await relay.read(), 1);
    const reverted = await nextEvent(events, (e) => e.cause === 'lease');
    assert.equal(reverted.value, 0);
    assert.equal(await relay.read(), 0);
    assert.equal(running.backend.pinState(5).driven, 0, 'the simulated pin really went low');
    await unwatch();
    await pico.close();
  });
});

test('an output goes to its safe value when the controlling client disconnects', async () => {
  await withDevice({}, async (running) => {
    const controller = await connect(running.url);
    const observer = await connect(running.url);
    await controller.pin(7).setup('output', { value: 0, safe: 0 });
    await controller.pin(7).write(1);
    const events: PinChange[] = [];
    await observer.pin(7).watch((event) => events.push(event));
    await controller.close();
    const failsafe = await nextEvent(events, (e) => e.cause === 'failsafe');
    assert.equal(failsafe.value, 0);
    assert.equal(await observer.pin(7).read(), 0);
    await observer.close();
  });
});

test('input changes are pushed, debounced, with device timestamps', async () => {
  await withDevice({}, async (running) => {
    const pico = await connect(running.url);
    const button = pico.pin(15);
    await button.setup('input', { pull: 'up' });
    const events: PinChange[] = [];
    await button.watch((event) => events.push(event), { edge: 'falling', debounceMs: 30 });
    // A bounce shorter than the debounce is not reported.
    running.backend.setInputLevel(15, 0);
    running.backend.setInputLevel(15, 1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(events.length, 0, `bounce reported: ${JSON.stringify(events)}`);
    running.backend.setInputLevel(15, 0);
    const pressed = await nextEvent(events, () => true);
    assert.equal(pressed.value, 0);
    assert.equal(pressed.cause, 'input');
    assert.equal(typeof pressed.t, 'number');
    await pico.close();
  });
});

test('ADC, info and version describe the simulated Pico W', async () => {
  await withDevice({ deviceId: 'bench-pico' }, async (running) => {
    const pico = await connect(running.url);
    const temperature = await pico.adc(4).read();
    assert.ok(temperature.temperatureC !== undefined && temperature.temperatureC > 10 && temperature.temperatureC < 45);
    running.backend.setAdcVoltage(0, 1.5);
    const adc0 = await pico.adc(0).read();
    assert.ok(Math.abs(adc0.volts - 1.5) < 0.05, `adc0 ${adc0.volts} V`);
    const info = await pico.info();
    assert.equal((info as DeviceInfo).deviceId, 'bench-pico');
    assert.ok((info as DeviceInfo).memFree > 0 && (info as DeviceInfo).uptimeMs >= 0);
    assert.match(pico.version, /\d+\.\d+\.\d+/);
    await pico.close();
  });
});

test('update installs verified files and the device comes back with them', async () => {
  await withDevice({ actionDelayMs: 50 }, async (running) => {
    const pico = await connect(running.url);
    const closed = once(pico, 'close');
    const result = await pico.update({ 'main.py': 'print("v2")\n', 'picolink/extra.py': 'X = 1\n' }, { compress: true });
    assert.deepEqual([...result.updated].sort(), ['main.py', 'picolink/extra.py']);
    await closed;
    const again = await connect(running.url);
    const info = (await again.info()) as DeviceInfo;
    assert.equal(info.lastUpdate.status, 'ok');
    await again.close();
  });
});

test('TLS with a pinned fingerprint from generateCertificate', async () => {
  const cert = generateCertificate({ commonName: 'pico-tls', hosts: ['127.0.0.1'] });
  await withDevice({ tls: { cert: cert.certPem, key: cert.keyPem } }, async (running) => {
    assert.match(running.url, /^tls:/);
    const pico = await connect(running.url, { fingerprint: cert.fingerprint });
    assert.equal(typeof (await pico.ping()), 'number');
    await pico.close();
  });
});

test('heartbeats keep an otherwise idle connection open past the device idle timeout', async () => {
  await withDevice({ idleTimeoutMs: 300 }, async (running) => {
    const pico = await connect(running.url, { heartbeatMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 900));
    assert.equal(pico.closed, false);
    assert.equal(await pico.pin('LED').setup('output', { value: 1 }).then(() => pico.pin('LED').read()), 1);
    await pico.close();
  });
});
