/**
 * Child process for bench/flood.ts: the legitimate device, the device runtime's real
 * TelemetrySender (acks on, its resend buffer) sending one signed reading per ms. The
 * device clock advances 1 ms per reading (`time` = start + seq), so the hub's stored row
 * times name the sequence numbers stored. Waits for {cmd:"go"}; sends for `durationMs`,
 * then goes on (so resends can fill what was lost) until {cmd:"stop"} or `drainLimitMs`,
 * and reports {measured, counters, unacked}: `measured` readings were sent in the first
 * `durationMs`.
 */
import { SimulatedBackend, TelemetrySender } from '@picolink/device';
import type { TelemetryCounters, TelemetryDevice } from '@picolink/device';

export interface FloodDeviceOptions {
  port: number;
  device: string;
  key: string;
  boot: number;
  /** Unix ms of reading 0. */
  time: number;
  ratePerSecond: number;
  durationMs: number;
  /** Longest time to go on after durationMs without a stop, in ms. */
  drainLimitMs: number;
  /** The sender's resend buffer (maxUnacked); undefined: its default. */
  maxUnacked?: number;
  /** Resend after this long without an ack, in ms; undefined: the sender's default. */
  resendAfterMs?: number;
}

export interface FloodDeviceResult {
  /** Readings sent during the flood (sequence numbers 0 to measured - 1). */
  measured: number;
  counters: TelemetryCounters;
  unacked: number;
  startedAt: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as FloodDeviceOptions;
let seq = 0;
const started = performance.now();
const device: TelemetryDevice = {
  deviceId: options.device,
  bootId: options.boot,
  state: 'running',
  backend: new SimulatedBackend(),
  pins: { peek: () => undefined },
  uptimeMs: () => Math.round(performance.now() - started),
  now: () => options.time + seq++,
};
const sender = new TelemetrySender(device, {
  host: '127.0.0.1',
  port: options.port,
  intervalMs: 1000 / options.ratePerSecond,
  key: options.key,
  ack: true,
  ...(options.maxUnacked === undefined ? {} : { maxUnacked: options.maxUnacked }),
  ...(options.resendAfterMs === undefined ? {} : { resendAfterMs: options.resendAfterMs }),
});

/** One tick per reading due, caught up each ms, as a device with a steady clock would. */
let stopped = false;
async function run(ms: number, from: number, startedAt: number): Promise<void> {
  let ticks = from;
  while (performance.now() - startedAt < ms && !stopped) {
    const due = from + Math.floor(((performance.now() - startedAt) * options.ratePerSecond) / 1000);
    for (; ticks < due; ticks++) sender.tick();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stop') stopped = true;
  if (message.cmd !== 'go') return;
  const startedAt = Date.now();
  void (async () => {
    const t0 = performance.now();
    await run(options.durationMs, 0, t0);
    const measured = seq;
    process.send?.({ measured });
    await run(options.drainLimitMs, measured, performance.now());
    const result: FloodDeviceResult = { measured, counters: sender.counters, unacked: sender.unackedCount, startedAt };
    await sender.close();
    process.send?.(result, () => process.disconnect());
  })();
});
process.send?.({ ready: true });
