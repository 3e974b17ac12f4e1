/**
 * Telemetry that boards publish to the MQTT broker instead of sending it over UDP (the
 * agent's `telemetry.mqtt`, agent/README.md "Telemetry over MQTT"): subscribes
 * `<prefix>/+/up/telemetry` on the bridge's client and hands each message's payload, the
 * same signed datagram a board would send over UDP, to the telemetry ingest
 * (`TelemetryIngest.receive`), which checks, stores and publishes it exactly as one from the
 * UDP socket. MQTT has no way back to the board, so nothing is acked (the agent turns
 * resending off). A message whose topic names another device than its datagram is dropped
 * and counted: with per-device topic ACLs on the broker, a board cannot publish as another.
 */
import type { RemoteInfo } from 'node:dgram';
import type { MqttClient } from 'mqtt';
import { peekTelemetry } from '@picolink/protocol';

export interface MqttUplinkOptions {
  /** The bridge's MQTT client; the subscription is made now if it is connected, and on every connect. */
  client: MqttClient;
  /** Topic prefix, as the boards are configured (`telemetry.mqtt.prefix`). Default "picolink". */
  prefix?: string;
  /** Where datagrams go: the hub's telemetry ingest. */
  ingest: { receive(message: Buffer, from: RemoteInfo): void };
  /** Receives a log line when the subscription fails. Default: none. */
  log?: (line: string) => void;
}

export interface MqttUplinkStats {
  /** Messages received on the uplink topics. */
  received: number;
  /** Messages dropped because the topic's device is not the datagram's. */
  mismatched: number;
}

export interface MqttUplink {
  /** The subscription's topic filter. */
  readonly topic: string;
  stats(): MqttUplinkStats;
  /** Unsubscribes and stops handing messages to the ingest. */
  stop(): void;
}

const SUFFIX = '/up/telemetry';

/** Subscribes the uplink topics on `options.client`. */
export function startMqttUplink(options: MqttUplinkOptions): MqttUplink {
  const { client, ingest } = options;
  const prefix = options.prefix ?? 'picolink';
  const topic = `${prefix}/+${SUFFIX}`;
  const counts: MqttUplinkStats = { received: 0, mismatched: 0 };
  const onMessage = (name: string, payload: Buffer): void => {
    if (!name.startsWith(`${prefix}/`) || !name.endsWith(SUFFIX)) return;
    const device = name.slice(prefix.length + 1, -SUFFIX.length);
    if (device.includes('/')) return;
    counts.received += 1;
    const position = peekTelemetry(payload.toString('utf8'));
    if (position !== undefined && position.device !== device) {
      counts.mismatched += 1;
      return;
    }
    // Port 0: there is no way back to the board, so the ingest sends no ack.
    ingest.receive(payload, { address: 'mqtt', family: 'IPv4', port: 0, size: payload.length });
  };
  // On every connect, as the bridge subscribes its own topics: the sessions are clean.
  const subscribe = (): void => {
    client.subscribe(topic, { qos: 0 }, (err) => {
      if (err) options.log?.(`mqtt: cannot subscribe ${topic}: ${err.message}`);
    });
  };
  client.on('message', onMessage);
  client.on('connect', subscribe);
  if (client.connected) subscribe();
  return {
    topic,
    stats: () => ({ ...counts }),
    stop() {
      client.off('message', onMessage);
      client.off('connect', subscribe);
      if (client.connected) client.unsubscribe(topic);
    },
  };
}
