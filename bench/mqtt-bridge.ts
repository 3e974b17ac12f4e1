/**
 * `npm run bench -- mqtt-bridge`: what the hub's MQTT bridge costs and how fast it passes
 * things on, each figure beside a reference measured in the same run, against a throwaway
 * Mosquitto (`@picolink/test-kit/mosquitto`).
 *
 * 1. Republishing. Unpaced UDP telemetry (bench/ingest-load.ts, 10 devices, one reading
 *    per datagram) into a whole hub (bench/mqtt-bridge-hub.ts, `startHub` on SQLite) with
 *    the bridge on, while a subscriber in its own process counts the readings arriving on
 *    `picolink/+/telemetry/#`; the reference is the same hub and sender without the
 *    bridge. Figures: readings stored per second with and without the bridge, readings
 *    per second delivered to the subscriber, the hub's CPU per datagram, and the bridge's
 *    own counters. Then one run of each paced at 20,000 datagrams/s (5 s): what is stored
 *    and republished when the hub is not flooded.
 * 2. Latency. A simulated device (the real device runtime) in this process dials the hub
 *    and watches an input pin (debounce 0); the bench flips the input and times until a
 *    subscriber in this process has the new `picolink/bench-pin/pin/5/state`. The
 *    reference, interleaved round by round: a bare MQTT.js publish → subscribe through the
 *    same broker, from this process to itself.
 *
 * Options: `--count N` datagrams per republishing run (default 200,000), `--rounds N`
 * republishing runs of each kind, alternating (default 1), `--flips N` latency rounds
 * (default 500). Every loop is bounded in time as well (60 s for the latency rounds).
 */
import { cpus, loadavg } from 'node:os';
import { startDevice, SimulatedBackend } from '@picolink/device';
import { findMosquitto, startMosquitto } from '@picolink/test-kit/mosquitto';
import type { MosquittoBroker } from '@picolink/test-kit/mosquitto';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { DEVICES, fmt, forkChild, ingestInto, median, settle } from './ingest.js';
import type { Child, IngestResult } from './ingest.js';
import type { BridgeHubPorts } from './mqtt-bridge-hub.js';

const PIN = 5;
const DEVICE_ID = 'bench-pin';
const ROUND_TIMEOUT_MS = 2000;
/** Datagrams per second of the paced runs (five seconds of them at most). */
const PACED_RATE = 20_000;
const LATENCY_LIMIT_MS = 60_000;
const ONLINE_TIMEOUT_MS = 15_000;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? NaN : Number(process.argv[index + 1]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

interface RepublishResult {
  ingest: IngestResult;
  /** Readings the subscriber received, and per second from the first datagram sent to the last one received. */
  delivered: number;
  deliveredPerSecond: number;
  /** The bridge's counters from `/api/health`. */
  bridge: Record<string, unknown> | null;
}

async function startHubChild(mqttUrl?: string): Promise<{ hub: Child; ports: BridgeHubPorts }> {
  const { child, hello } = await forkChild<{ ports: BridgeHubPorts }>('./mqtt-bridge-hub.js', mqttUrl ? { mqttUrl } : {});
  return { hub: child, ports: hello.ports };
}

async function health(httpUrl: string): Promise<{ mqtt?: Record<string, unknown> | null }> {
  const response = await fetch(`${httpUrl}/api/health`);
  return (await response.json()) as { mqtt?: Record<string, unknown> | null };
}

/** One run into a hub child (unpaced with `ratePerSecond` 0), with the bridge to `broker` or (reference) without one. */
async function republishRun(count: number, ratePerSecond: number, broker: MosquittoBroker | undefined): Promise<RepublishResult> {
  const { hub, ports } = await startHubChild(broker?.url);
  let subscriber: Child | undefined;
  try {
    if (broker) {
      subscriber = (await forkChild<{ ready: true }>('./ingest-load.js', { mode: 'mqtt-sub', port: broker.port, count, ratePerSecond: 0, devices: DEVICES, topicFilter: 'picolink/+/telemetry/#' })).child;
    }
    const ingest = await ingestInto(hub, ports.telemetryPort, count, ratePerSecond, false);
    if (!subscriber) return { ingest, delivered: 0, deliveredPerSecond: 0, bridge: null };
    const sub = subscriber;
    const counted = await settle(
      () => sub.request<{ count: number; lastAt: number }>({ cmd: 'count' }),
      (a, b) => a.count === b.count,
      1000,
    );
    const seconds = Math.max(0.001, (counted.lastAt - ingest.send.startedAt) / 1000);
    return { ingest, delivered: counted.count, deliveredPerSecond: counted.count / seconds, bridge: (await health(ports.httpUrl)).mqtt ?? null };
  } finally {
    await subscriber?.stop();
    await hub.stop();
  }
}

/** Resolves with performance.now() when `topic` carries `payload`, or undefined after ROUND_TIMEOUT_MS. */
class Arrivals {
  private waiting: { topic: string; payload: string; resolve: (at: number | undefined) => void } | undefined;

  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => this.arrived(topic, payload.toString()));
  }

  next(topic: string, payload: string): Promise<number | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve(undefined);
      }, ROUND_TIMEOUT_MS);
      this.waiting = {
        topic,
        payload,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
    });
  }

  private arrived(topic: string, payload: string): void {
    const at = performance.now();
    const waiting = this.waiting;
    if (!waiting || waiting.topic !== topic || waiting.payload !== payload) return;
    this.waiting = undefined;
    waiting.resolve(at);
  }
}

async function postCommands(httpUrl: string, requests: object[]): Promise<void> {
  const response = await fetch(`${httpUrl}/api/devices/${DEVICE_ID}/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(requests),
  });
  if (!response.ok) throw new Error(`commands to ${DEVICE_ID}: HTTP ${response.status} ${await response.text()}`);
}

async function waitOnline(httpUrl: string): Promise<void> {
  const deadline = Date.now() + ONLINE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const response = await fetch(`${httpUrl}/api/devices/${DEVICE_ID}`);
    if (response.ok && ((await response.json()) as { device?: { online?: boolean } }).device?.online === true) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${DEVICE_ID} was not online at the hub within ${ONLINE_TIMEOUT_MS} ms`);
}

interface LatencyResult {
  pin: number[];
  reference: number[];
  missed: { pin: number; reference: number };
}

async function latencyRun(broker: MosquittoBroker, flips: number): Promise<LatencyResult> {
  const { hub, ports } = await startHubChild(broker.url);
  const backend = new SimulatedBackend();
  backend.setInputLevel(PIN, 0);
  const device = await startDevice({ host: '127.0.0.1', port: 0, deviceId: DEVICE_ID, backend, hub: { hub: { host: '127.0.0.1', port: ports.gatewayPort } } });
  const subscriber = await connectAsync(broker.url, { clientId: `bench-latency-sub-${process.pid}`, reconnectPeriod: 0 });
  const publisher = await connectAsync(broker.url, { clientId: `bench-latency-pub-${process.pid}`, reconnectPeriod: 0 });
  try {
    await waitOnline(ports.httpUrl);
    await postCommands(ports.httpUrl, [
      { action: 'setup_pin', pin: PIN, mode: 'input' },
      { action: 'watch_pin', pin: PIN, debounce_ms: 0 },
    ]);
    const arrivals = new Arrivals(subscriber);
    const stateTopic = `picolink/${DEVICE_ID}/pin/${PIN}/state`;
    await subscriber.subscribeAsync([stateTopic, 'bench/reference'], { qos: 0 });
    const result: LatencyResult = { pin: [], reference: [], missed: { pin: 0, reference: 0 } };
    const started = performance.now();
    for (let round = 0; round < flips && performance.now() - started < LATENCY_LIMIT_MS; round++) {
      const marker = String(round);
      const referenceArrival = arrivals.next('bench/reference', marker);
      const sentAt = performance.now();
      publisher.publish('bench/reference', marker, { qos: 0 });
      const referenceAt = await referenceArrival;
      if (referenceAt === undefined) result.missed.reference += 1;
      else result.reference.push(referenceAt - sentAt);

      const level = round % 2 === 0 ? 1 : 0;
      const pinArrival = arrivals.next(stateTopic, level === 1 ? 'ON' : 'OFF');
      const flippedAt = performance.now();
      backend.setInputLevel(PIN, level);
      const pinAt = await pinArrival;
      if (pinAt === undefined) result.missed.pin += 1;
      else result.pin.push(pinAt - flippedAt);
    }
    return result;
  } finally {
    await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    await device.close();
    await hub.stop();
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;

function printRepublish(label: string, run: RepublishResult): void {
  const { ingest } = run;
  const line = `${label.padEnd(30)} sent ${fmt(ingest.send.sent)}  stored ${fmt(ingest.hub.accepted)}  ${fmt(ingest.perSecond).padStart(8)}/s stored  hub CPU ${ingest.hubCpuPerDatagram.toFixed(1)} µs/datagram`;
  if (!run.bridge) return console.log(`${line}  (reference: no bridge)`);
  console.log(`${line}  delivered ${fmt(run.delivered)}  ${fmt(run.deliveredPerSecond)}/s to the subscriber  bridge ${JSON.stringify(run.bridge)}`);
}

export async function benchMqttBridge(): Promise<void> {
  const count = option('count', 200_000);
  const rounds = option('rounds', 1);
  const flips = option('flips', 500);
  console.log(`${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(2)} at start; ${fmt(count)} datagrams per run (${DEVICES} devices, one reading each), ${rounds} run(s) of each kind; ${flips} latency rounds`);
  if (!findMosquitto()) {
    console.log('mqtt-bridge: skipped — the mosquitto binary is not installed (Debian: apt-get install mosquitto)');
    return;
  }
  const broker = await startMosquitto();
  try {
    const plain: RepublishResult[] = [];
    const bridged: RepublishResult[] = [];
    for (let round = 0; round < rounds; round++) {
      plain.push(await republishRun(count, 0, undefined));
      bridged.push(await republishRun(count, 0, broker));
    }
    for (const run of plain) printRepublish('hub, no bridge', run);
    for (const run of bridged) printRepublish('hub with the MQTT bridge', run);
    const plainRate = median(plain.map((r) => r.ingest.perSecond));
    const bridgedRate = median(bridged.map((r) => r.ingest.perSecond));
    const deliveredRate = median(bridged.map((r) => r.deliveredPerSecond));
    const plainCpu = median(plain.map((r) => r.ingest.hubCpuPerDatagram));
    const bridgedCpu = median(bridged.map((r) => r.ingest.hubCpuPerDatagram));
    console.log(
      `medians: stored ${fmt(plainRate)}/s without the bridge, ${fmt(bridgedRate)}/s with it (${(bridgedRate / plainRate).toFixed(2)}×); republished to the subscriber ${fmt(deliveredRate)}/s (${(deliveredRate / plainRate).toFixed(2)}× the ingest rate without the bridge)`,
    );
    console.log(`hub CPU per datagram (medians): ${plainCpu.toFixed(1)} µs without the bridge, ${bridgedCpu.toFixed(1)} µs with it (the bridge: ${(bridgedCpu - plainCpu).toFixed(1)} µs per reading republished)`);

    // Paced, at a rate the hub takes whole without the bridge on this machine: does the
    // bridge still keep up with every reading?
    const pacedCount = Math.min(count, PACED_RATE * 5);
    printRepublish(`paced ${fmt(PACED_RATE)}/s, no bridge`, await republishRun(pacedCount, PACED_RATE, undefined));
    printRepublish(`paced ${fmt(PACED_RATE)}/s, bridge`, await republishRun(pacedCount, PACED_RATE, broker));

    const latency = await latencyRun(broker, flips);
    const row = (label: string, values: number[], missed: number): void =>
      console.log(`${label.padEnd(44)} n ${values.length}  p50 ${ms(percentile(values, 50))}  p99 ${ms(percentile(values, 99))}  max ${ms(Math.max(...values))}  missed ${missed}`);
    row('input flip → subscriber has pin/N/state', latency.pin, latency.missed.pin);
    row('MQTT.js publish → subscribe (reference)', latency.reference, latency.missed.reference);
  } finally {
    await broker.stop();
  }
}
