/** The device runtime's TelemetrySender against the hub's ingest: signed datagrams and acks both ways. */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { DeviceRuntime, SimulatedBackend, TelemetrySender } from '@picolink/device';
import { KEY, startIngestFixture, until } from './telemetry-fixture.js';

it('a sender asking for acks gets them and stops resending; every datagram is stored once', async (t) => {
  const hub = await startIngestFixture({ devices: [{ id: 'pico-sim', telemetryKey: KEY }] });
  const runtime = new DeviceRuntime({ deviceId: 'pico-sim', backend: new SimulatedBackend() });
  await runtime.start();
  const sender = new TelemetrySender(runtime, { host: '127.0.0.1', port: hub.port, intervalMs: 15, resendAfterMs: 100, key: KEY, ack: true, sensors: ['temp_c', 'adc3'] });
  t.after(async () => {
    await sender.close();
    await runtime.close();
    await hub.close();
  });
  sender.start();
  await until(() => sender.counters.acked >= 10, 'ten datagrams acknowledged');
  // Stop between two ticks with nothing in flight (no macrotask runs before close()).
  await until(() => sender.unackedCount === 0, 'nothing waiting for an ack');
  await sender.close();
  assert.equal(sender.counters.acked, sender.counters.sent, 'every datagram acknowledged');
  const { sent, resent } = sender.counters;
  assert.ok(resent <= sent / 2, `resent ${resent} of ${sent}: only datagrams whose ack was late`);
  const stats = hub.ingest.stats('pico-sim');
  assert.equal(stats?.accepted, sent);
  assert.equal(stats?.duplicates, resent, 'a resend is recognised and acked, not stored again');
  assert.deepEqual(stats?.rejected, {});
  await hub.ingest.flush();
  const rows = await hub.store.queryTelemetry({ deviceId: 'pico-sim', from: 0, to: Date.now() + 1 });
  assert.equal(rows.length, 2 * sent);
  assert.deepEqual(await hub.store.listMetrics('pico-sim'), ['adc3', 'temp_c']);
});

it('a sender whose datagrams the hub rejects keeps resending them, unacked', async (t) => {
  const hub = await startIngestFixture({ devices: [{ id: 'pico-sim', telemetryKey: KEY }] });
  const runtime = new DeviceRuntime({ deviceId: 'pico-sim', backend: new SimulatedBackend() });
  await runtime.start();
  const sender = new TelemetrySender(runtime, { host: '127.0.0.1', port: hub.port, intervalMs: 15, resendAfterMs: 15, key: 'not the key', ack: true });
  t.after(async () => {
    await sender.close();
    await runtime.close();
    await hub.close();
  });
  sender.start();
  await until(() => sender.counters.resent >= 3, 'resends');
  assert.equal(sender.counters.acked, 0);
  assert.equal(hub.ingest.stats('pico-sim')?.accepted, 0);
  assert.ok((hub.ingest.stats('pico-sim')?.rejected.PL_ERR_TELEMETRY_BAD_MAC ?? 0) >= 3);
});
