import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { encodeTelemetryAck, ErrorCode, parseTelemetry, telemetryKeyBytes } from '@picolink/protocol';
import type { TelemetryDatagram } from '@picolink/protocol';
import { SimulatedBackend } from '../gpio/simulated.js';
import { DeviceRuntime } from '../runtime.js';
import { TelemetrySender } from './sender.js';
import type { TelemetryOptions } from './sender.js';

const KEY = 'correct horse battery staple';

/** A UDP receiver on 127.0.0.1:0 that queues what it gets. */
class Receiver {
  readonly received: Array<{ text: string; from: RemoteInfo }> = [];
  private waiters: Array<() => void> = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (data, from) => {
      this.received.push({ text: data.toString('utf8'), from });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }
  static async open(): Promise<Receiver> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new Receiver(socket);
  }
  get port(): number {
    return this.socket.address().port;
  }
  /** Waits until `count` datagrams have arrived in total (2 s at most). */
  async count(count: number): Promise<void> {
    const deadline = Date.now() + 2000;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.received.length} of ${count} datagrams arrived`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
  reply(text: string, to: RemoteInfo): void {
    this.socket.send(text, to.port, to.address);
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

function macWith(key: string) {
  return (_device: string, text: string) => createHmac('sha256', telemetryKeyBytes(key)).update(text).digest('hex');
}

async function fixture(t: { after(fn: () => Promise<void>): void }, options: Partial<TelemetryOptions>) {
  const receiver = await Receiver.open();
  const runtime = new DeviceRuntime({ deviceId: 'pico-test', backend: new SimulatedBackend() });
  await runtime.start();
  const sender = new TelemetrySender(runtime, { host: '127.0.0.1', port: receiver.port, intervalMs: 60_000, ...options });
  t.after(async () => {
    await sender.close();
    await receiver.close();
    await runtime.close();
  });
  return { receiver, runtime, sender };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('datagrams carry the readings, device id, boot id and sequence, signed with the key', async (t) => {
  const { receiver, runtime, sender } = await fixture(t, { intervalMs: 20, sensors: ['temp_c', 'adc3', 'pin2', 'pin3'], key: KEY });
  runtime.pins.setup(2, { mode: 'output', pull: 'none', value: 1 }, 1);
  sender.start();
  await receiver.count(3);
  const datagrams: TelemetryDatagram[] = receiver.received.slice(0, 3).map(({ text }) => {
    const parsed = parseTelemetry(text, macWith(KEY));
    assert.equal(parsed.authenticated, true);
    return parsed.message;
  });
  assert.deepEqual(datagrams.map((d) => d.seq), [0, 1, 2]);
  for (const d of datagrams) {
    assert.equal(d.device, 'pico-test');
    assert.equal(d.boot, runtime.bootId);
    assert.ok(Math.abs((d.readings.temp_c ?? 0) - 25) < 5, `temp_c ${d.readings.temp_c}`);
    assert.ok(Math.abs((d.readings.adc3 ?? 0) - 1.65) < 0.05, `adc3 ${d.readings.adc3}`);
    assert.equal(d.readings.pin2, 1);
    assert.equal('pin3' in d.readings, false, 'a pin that is not set up is left out');
    assert.ok(Math.abs((d.time ?? 0) - Date.now()) < 5000);
    assert.equal(d.ack, undefined);
  }
  const first = receiver.received[0]?.text ?? '';
  assert.throws(() => parseTelemetry(first, macWith('another key')), { code: ErrorCode.TELEMETRY_BAD_MAC });
});

test('unknown sensors are refused when the sender is made', async () => {
  const runtime = new DeviceRuntime({ deviceId: 'pico-test' });
  try {
    assert.throws(() => new TelemetrySender(runtime, { host: '127.0.0.1', port: 9, sensors: ['humidity'] }), /unknown telemetry sensor "humidity"/);
    assert.throws(() => new TelemetrySender(runtime, { host: '127.0.0.1', port: 9, sensors: ['pin23'] }), { code: ErrorCode.NO_SUCH_PIN });
  } finally {
    await runtime.close();
  }
});

test('with acks, unacknowledged datagrams are resent with the same bytes until acknowledged', async (t) => {
  const { receiver, runtime, sender } = await fixture(t, { ack: true, resendAfterMs: 0, key: KEY });
  sender.tick();
  await receiver.count(1);
  sender.tick(); // no ack yet: seq 0 again, then seq 1
  await receiver.count(3);
  const [first, again, second] = receiver.received.map((r) => r.text);
  assert.equal(again, first, 'the resend is byte-identical, same seq');
  assert.equal(parseTelemetry(second ?? '', macWith(KEY)).message.seq, 1);
  assert.equal(parseTelemetry(first ?? '', macWith(KEY)).message.ack, true);

  const sign = (text: string) => macWith(KEY)('', text);
  const from = receiver.received[0]?.from as RemoteInfo;
  // A forged ack (wrong key) changes nothing; real acks stop the resends.
  receiver.reply(encodeTelemetryAck({ v: 1, device: 'pico-test', boot: runtime.bootId, ack: 0 }, (text) => macWith('forged')('', text)), from);
  receiver.reply(encodeTelemetryAck({ v: 1, device: 'pico-test', boot: runtime.bootId, ack: 0 }, sign), from);
  receiver.reply(encodeTelemetryAck({ v: 1, device: 'pico-test', boot: runtime.bootId, ack: 1 }, sign), from);
  await until(() => sender.counters.acked === 2);
  assert.equal(sender.unackedCount, 0);
  sender.tick();
  await receiver.count(4);
  assert.equal(parseTelemetry(receiver.received[3]?.text ?? '', macWith(KEY)).message.seq, 2, 'only the new datagram is sent');
  assert.deepEqual(sender.counters, { sent: 3, resent: 1, acked: 2, dropped: 0 });
});

test('the resend buffer is bounded: the oldest unacknowledged datagram is dropped and counted', async (t) => {
  const { receiver, runtime, sender } = await fixture(t, { ack: true, maxUnacked: 3, resendAfterMs: 3_600_000 });
  for (let i = 0; i < 5; i++) sender.tick();
  await receiver.count(5);
  assert.equal(sender.unackedCount, 3);
  assert.deepEqual(sender.counters, { sent: 5, resent: 0, acked: 0, dropped: 2 });
  const from = receiver.received[0]?.from as RemoteInfo;
  // seq 0 was dropped: its late ack counts for nothing. seq 4 is still held.
  receiver.reply(encodeTelemetryAck({ v: 1, device: 'pico-test', boot: runtime.bootId, ack: 0 }), from);
  receiver.reply(encodeTelemetryAck({ v: 1, device: 'pico-test', boot: runtime.bootId, ack: 4 }), from);
  await until(() => sender.counters.acked === 1);
  assert.equal(sender.unackedCount, 2);
});

test('nothing is sent while the device is not running', async (t) => {
  const { receiver, runtime, sender } = await fixture(t, {});
  await runtime.close();
  sender.tick();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(receiver.received.length, 0);
  assert.equal(sender.counters.sent, 0);
});
