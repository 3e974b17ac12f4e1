/**
 * Child process for bench/ingest.ts: the load side, in its own process so it has its own
 * core. Modes:
 *   udp       send telemetry datagrams to the hub (paced or as fast as possible)
 *   mqtt-pub  publish the same payloads, QoS 0, to Mosquitto (MQTT.js, the `mqtt` package)
 *   mqtt-sub  subscribe (to `topicFilter`) and count what Mosquitto delivers
 * Waits for {cmd:"go"}, then reports {done, sent, startedAt, endedAt} (wall clock ms);
 * the subscriber answers {cmd:"count"} with {count, firstAt, lastAt}.
 */
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';

export interface LoadOptions {
  mode: 'udp' | 'mqtt-pub' | 'mqtt-sub';
  port: number;
  /** Messages to send. */
  count: number;
  /** Messages per second; 0 sends as fast as the process can. */
  ratePerSecond: number;
  /** Devices the messages are spread over (round robin). */
  devices: number;
  /** HMAC key shared by every device, or none for unsigned datagrams. */
  key?: string;
  /** mqtt-sub: the topic filter it counts messages on. Default "picolink/#". */
  topicFilter?: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const TIME_LIMIT_MS = 60_000;
const PER_TURN = 1000;
const BOOT = 1;

function payload(i: number, now: number): string {
  const device = i % options.devices;
  const seq = Math.floor(i / options.devices);
  return `{"v":1,"device":"bench-${device}","boot":${BOOT},"seq":${seq},"t":${seq * 10},"time":${now},"readings":{"temp_c":${(20 + (i % 100) / 10).toFixed(1)}}}`;
}

function topic(i: number): string {
  return `picolink/bench-${i % options.devices}/telemetry`;
}

/** How many messages should have been sent by now. */
function due(startedAt: number): number {
  if (options.ratePerSecond <= 0) return options.count;
  return Math.min(options.count, Math.floor(((performance.now() - startedAt) * options.ratePerSecond) / 1000));
}

/** Yields to the event loop; a paced sender with nothing due sleeps 1 ms instead of spinning. */
const turn = (idle = false): Promise<void> => new Promise((resolve) => (idle ? setTimeout(resolve, 1) : setImmediate(resolve)));

async function sendUdp(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.connect(options.port, '127.0.0.1', resolve));
  const key = options.key === undefined ? undefined : Buffer.from(options.key, 'hex');
  const started = performance.now();
  let sent = 0;
  while (sent < options.count && performance.now() - started < TIME_LIMIT_MS) {
    const target = Math.min(due(started), sent + PER_TURN);
    const now = Date.now();
    for (; sent < target; sent++) {
      let text = payload(sent, now);
      if (key) text = `${text.slice(0, -1)},"mac":"${createHmac('sha256', key).update(text).digest('hex')}"}`;
      socket.send(text);
    }
    await turn(options.ratePerSecond > 0);
  }
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return sent;
}

/** Connects to the broker (MQTT 3.1.1, clean session) and resolves once it accepted the connection. */
function openMqtt(clientId: string): Promise<MqttClient> {
  return connectAsync({ host: '127.0.0.1', port: options.port, protocolVersion: 4, clientId, clean: true, reconnectPeriod: 0 });
}

async function publishMqtt(): Promise<number> {
  const client = await openMqtt(`bench-pub-${process.pid}`);
  const started = performance.now();
  let sent = 0;
  while (sent < options.count && performance.now() - started < TIME_LIMIT_MS) {
    const target = Math.min(due(started), sent + PER_TURN);
    const now = Date.now();
    let last: Promise<unknown> | undefined;
    // Many packets per turn, as a fast publisher does. The last one's callback comes once
    // the socket took it (after 'drain' when it was full), so the client's buffer stays bounded.
    for (; sent < target; sent++) last = client.publishAsync(topic(sent), payload(sent, now), { qos: 0 });
    if (last) await last;
    else await turn(options.ratePerSecond > 0);
  }
  await client.endAsync();
  return sent;
}

async function subscribeMqtt(): Promise<void> {
  let count = 0;
  let firstAt = 0;
  let lastAt = 0;
  const client = await openMqtt(`bench-sub-${process.pid}`);
  client.on('message', function subscriberOnMessage() {
    count += 1;
    lastAt = Date.now();
    if (count === 1) firstAt = lastAt;
  });
  await client.subscribeAsync(options.topicFilter ?? 'picolink/#', { qos: 0 });
  process.on('message', (message: { cmd: string }) => {
    if (message.cmd === 'count') process.send?.({ count, firstAt, lastAt });
    if (message.cmd === 'stop') void client.endAsync().then(() => process.exit(0));
  });
  process.send?.({ ready: true });
}

if (options.mode === 'mqtt-sub') {
  await subscribeMqtt();
} else {
  process.once('message', (message: { cmd: string }) => {
    if (message.cmd !== 'go') return;
    const startedAt = Date.now();
    void (options.mode === 'udp' ? sendUdp() : publishMqtt()).then((sent) => {
      process.send?.({ done: true, sent, startedAt, endedAt: Date.now() });
      process.disconnect();
    });
  });
  process.send?.({ ready: true });
}
