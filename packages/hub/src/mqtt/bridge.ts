/**
 * The MQTT bridge (docs/mqtt.md): the hub's presence, telemetry, events and pin levels
 * published to a broker, and `…/pin/<pin>/set` commands taken from it through the same
 * commands service as the API (validation, leases, audit).
 *
 * The broker never holds the hub up: `startMqttBridge` returns before the first connect,
 * MQTT.js reconnects with our backoff, anything published while disconnected (or while
 * the socket already holds MAX_BUFFERED_BYTES) is dropped and counted rather than queued,
 * and on every connect the retained state (hub and device status, pin levels) is
 * published again, since a restarted broker may have lost it.
 */
import { readFile } from 'node:fs/promises';
import type { IClientOptions, IClientPublishOptions, MqttClient } from 'mqtt';
import { reconnectDelayMs } from '@picolink/net';
import type { BackoffOptions, RateLimitedLog } from '@picolink/net';
import { ErrorCode, PicolinkError, toPicolinkError } from '@picolink/protocol';
import type { HealthMqtt } from '../api-types.js';
import type { CommandAnswer, DeviceStatusChange, HubBus } from '../bus.js';
import type { MqttConfig } from '../config.js';
import type { DeviceCredentials } from '../credentials.js';
import type { DeviceDirectory } from '../directory.js';
import type { DeviceCommands } from '../state/device-commands.js';
import type { HubEventRecord, HubStore, TelemetryRow } from '../store/store.js';
import { knownDeviceIds, requireKnownDevice } from '../known-devices.js';
import { DiscoveryPublisher } from './discovery-publisher.js';
import { DISCOVERY_DELIVERY } from './discovery.js';
import { PinStates } from './pin-state.js';
import type { PinLevel } from './pin-state.js';
import { resultFromError, resultFromResponse, setRequest, topicPin } from './set-command.js';
import { DELIVERY, OFFLINE, ONLINE, pinStatePayload, Topics } from './topics.js';
import type { Delivery } from './topics.js';
import { brokerClient } from './tls.js';
import type { BrokerTls } from './tls.js';
import { startMqttUplink } from './uplink.js';
import type { MqttUplink, MqttUplinkOptions } from './uplink.js';

/** Bytes the socket may hold unsent before further publishes are dropped and counted. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** MQTT.js takes 0 for "never reconnect": the shortest wait it is given, ms. */
const MIN_RECONNECT_MS = 100;
/** Time for the broker to answer CONNECT, ms. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Keepalive interval, s. */
const KEEPALIVE_S = 30;
/** The actor in the audit log for commands that came through the broker. */
export const MQTT_ACTOR = 'mqtt:broker';

/** The bridge's counters, as GET /api/health shows them (api-types.ts). */
export type MqttStats = HealthMqtt;

export interface MqttBridgeOptions {
  config: MqttConfig;
  bus: HubBus;
  commands: DeviceCommands;
  directory: DeviceDirectory;
  store: HubStore;
  /** The devices of the configuration and those added through the API: known even before they first connect. */
  credentials: DeviceCredentials;
  hubId: string;
  /** The dashboard's URL, for Home Assistant's device page link. */
  dashboardUrl: string;
  /** The hub's version, named in Home Assistant discovery configs as their origin. */
  version: string;
  log: RateLimitedLog;
  /** Waits between reconnects. Default 1 s doubling to 60 s with full jitter (@picolink/net). */
  backoff?: BackoffOptions;
  /** The telemetry ingest: boards' datagrams on `<prefix>/+/up/telemetry` go to it (uplink.ts). Default: none. */
  telemetry?: MqttUplinkOptions['ingest'];
  /**
   * The hub is one of several on one PostgreSQL, each with a bridge to the same broker: set
   * commands come through a shared subscription (each to one hub, which relays it to the
   * holder), events relayed from other hubs are left to their own bridges, and Home
   * Assistant's availability follows the device's status alone. Default false.
   */
  cluster?: boolean;
}

export class MqttBridge {
  readonly topics: Topics;
  private readonly client: MqttClient;
  private readonly pins: PinStates;
  /** Home Assistant discovery (`homeAssistant: true`), else undefined. */
  private readonly discovery: DiscoveryPublisher | undefined;
  private readonly counters = { published: 0, dropped: 0, received: 0, commands: 0, errors: 0, reconnects: 0 };
  private inFlight = 0;
  private attempt = 0;
  private connects = 0;
  private closing: Promise<void> | undefined;
  /** Boards' telemetry from the broker, when the bridge was given the ingest. */
  readonly uplink: MqttUplink | undefined;

  constructor(
    private readonly options: MqttBridgeOptions,
    tls: BrokerTls,
  ) {
    const { config, bus, hubId } = options;
    this.topics = new Topics(config.prefix);
    this.pins = new PinStates(this.publishPin);
    this.discovery = config.homeAssistant
      ? new DiscoveryPublisher({
          store: options.store,
          bus,
          context: { discoveryPrefix: config.discoveryPrefix, topics: this.topics, hubId: options.cluster ? null : hubId, hubVersion: options.version, dashboardUrl: options.dashboardUrl },
          publish: (message) => this.publish(message.topic, message.payload, DISCOVERY_DELIVERY),
          log: options.log,
        })
      : undefined;
    const clientOptions: IClientOptions = {
      clientId: config.clientId,
      clean: true,
      keepalive: KEEPALIVE_S,
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectPeriod: this.nextReconnectMs(),
      queueQoSZero: false,
      will: { topic: this.topics.hubStatus(hubId), payload: Buffer.from(OFFLINE), qos: DELIVERY.hubStatus.qos, retain: DELIVERY.hubStatus.retain },
      ...(config.username === undefined ? {} : { username: config.username }),
      ...(config.password === undefined ? {} : { password: config.password }),
    };
    this.client = brokerClient(config.url, clientOptions, tls);
    this.client.on('connect', this.clientOnConnect);
    this.client.on('close', this.clientOnClose);
    this.client.on('error', this.clientOnError);
    this.client.on('message', this.clientOnMessage);
    if (options.telemetry) {
      this.uplink = startMqttUplink({ client: this.client, prefix: config.prefix, ingest: options.telemetry, log: (line) => options.log.limited('mqtt', line) });
    }
    bus.on('telemetry', this.busOnTelemetry);
    bus.on('event', this.busOnEvent);
    bus.on('status', this.busOnStatus);
    bus.on('command', this.busOnCommand);
  }

  stats(): MqttStats {
    return { connected: this.client.connected, ...this.counters };
  }

  /** Learns the lasting outputs the hub remembers, so that their levels are published on connect. */
  async seedPinStates(): Promise<void> {
    const { store } = this.options;
    const ids = (await store.listDevices()).map((device) => device.id);
    for (const states of await store.loadOutputStatesOf(ids)) this.pins.seed(states);
  }

  /** Marks the hub offline (as its will would), then disconnects; later publishes are dropped. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const { bus, hubId } = this.options;
      bus.off('telemetry', this.busOnTelemetry);
      bus.off('event', this.busOnEvent);
      bus.off('status', this.busOnStatus);
      bus.off('command', this.busOnCommand);
      this.pins.close();
      this.discovery?.close();
      this.uplink?.stop();
      if (this.client.connected) {
        await this.client.publishAsync(this.topics.hubStatus(hubId), OFFLINE, DELIVERY.hubStatus).catch(() => undefined);
      }
      await this.client.endAsync(!this.client.connected);
    })();
    return this.closing;
  }

  private nextReconnectMs(): number {
    return Math.max(MIN_RECONNECT_MS, reconnectDelayMs(this.attempt, Math.random(), this.options.backoff));
  }

  private readonly clientOnConnect = (): void => {
    if (this.connects++ > 0) this.counters.reconnects++;
    this.attempt = 0;
    this.client.options.reconnectPeriod = this.nextReconnectMs();
    const { hubId, log } = this.options;
    this.publish(this.topics.hubStatus(hubId), ONLINE, DELIVERY.hubStatus);
    const setFilter = this.options.cluster ? `$share/picolink-hubs/${this.topics.setFilter}` : this.topics.setFilter;
    this.client.subscribe(setFilter, { qos: 1 }, (err) => {
      if (err) log.limited('mqtt', `mqtt: subscribing to ${setFilter} failed: ${err.message}`);
    });
    this.republish().catch((err: unknown) => log.limited('mqtt', `mqtt: publishing the retained state again failed: ${toPicolinkError(err).message}`));
  };

  private readonly clientOnClose = (): void => {
    // MQTT.js reads reconnectPeriod when it schedules the next attempt, after 'close'.
    this.attempt++;
    this.client.options.reconnectPeriod = this.nextReconnectMs();
  };

  private readonly clientOnError = (err: Error): void => {
    this.options.log.limited('mqtt', `mqtt: ${this.options.config.url}: ${err.message}`);
  };

  /** Every device's status and every known pin level, as they are now. */
  private async republish(): Promise<void> {
    const { store, directory } = this.options;
    const stored = (await store.listDevices()).map((device) => device.id);
    for (const id of knownDeviceIds(stored, this.options)) {
      this.publish(this.topics.status(id), directory.isConnected(id) ? ONLINE : OFFLINE, DELIVERY.status);
    }
    for (const level of this.pins.all()) this.publishPin(level);
    await this.discovery?.republishAll();
  }

  /** False when the message was dropped (and counted) instead of handed to the client. */
  private publish(topic: string, payload: string, delivery: Delivery): boolean {
    const { client } = this;
    if (this.closing || !client.connected || (client.stream?.writableLength ?? 0) > MAX_BUFFERED_BYTES) {
      this.counters.dropped++;
      return false;
    }
    const options: IClientPublishOptions = { qos: delivery.qos, retain: delivery.retain };
    client.publish(topic, payload, options, (err) => {
      if (err) this.counters.errors++;
      else this.counters.published++;
    });
    return true;
  }

  private readonly publishPin = (level: PinLevel): void => {
    this.publish(this.topics.pinState(level.deviceId, level.pin), pinStatePayload(level.value), DELIVERY.pinState);
  };

  private readonly busOnTelemetry = (rows: readonly TelemetryRow[]): void => {
    for (const row of rows) this.publish(this.topics.telemetry(row.deviceId, row.metric), String(row.value), DELIVERY.telemetry);
  };

  private readonly busOnEvent = (event: HubEventRecord, fromHub?: string): void => {
    // Another hub's event: its own bridge publishes it.
    if (fromHub !== undefined) return;
    const { deviceId, type, time, deviceTime, data } = event;
    this.publish(this.topics.event(deviceId, type), JSON.stringify({ type, time, deviceTime: deviceTime ?? null, data }), DELIVERY.event);
    this.pins.fromEvent(event);
  };

  private readonly busOnStatus = (change: DeviceStatusChange): void => {
    this.publish(this.topics.status(change.deviceId), change.online ? ONLINE : OFFLINE, DELIVERY.status);
  };

  private readonly busOnCommand = (answer: CommandAnswer): void => {
    this.pins.fromAnswer(answer);
  };

  private readonly clientOnMessage = (topic: string, payload: Buffer): void => {
    const target = this.topics.parseSet(topic);
    if (!target) return;
    this.counters.received++;
    const { deviceId, pin } = target;
    if (this.inFlight >= this.options.config.maxCommandsInFlight) {
      // Dropped (never sent) and an error answer, as docs/mqtt.md#health counts them.
      this.counters.dropped++;
      this.counters.errors++;
      const busy = new PicolinkError(ErrorCode.BUSY, `more than ${this.options.config.maxCommandsInFlight} set commands are waiting for devices; this one was not sent`);
      this.publishResult(deviceId, pin, resultFromError(busy, topicPin(pin)));
      return;
    }
    this.inFlight++;
    void this.runSet(deviceId, pin, payload).finally(() => this.inFlight--);
  };

  /** One set command: parsed, sent, answered on its result topic; never throws. */
  private async runSet(deviceId: string, pin: string, payload: Buffer): Promise<void> {
    let result: Record<string, unknown>;
    try {
      const request = setRequest(pin, payload);
      await requireKnownDevice(this.options, deviceId);
      this.counters.commands++;
      const response = await this.options.commands.send(deviceId, request, MQTT_ACTOR);
      result = resultFromResponse(request, response);
    } catch (err) {
      result = resultFromError(err, topicPin(pin));
    }
    if (result.ok !== true) this.counters.errors++;
    this.publishResult(deviceId, pin, result);
  }

  private publishResult(deviceId: string, pin: string, result: Record<string, unknown>): void {
    this.publish(this.topics.setResult(deviceId, pin), JSON.stringify(result), DELIVERY.setResult);
  }
}

/**
 * Starts the bridge; resolves at once, before the broker answers (it may be down).
 * Rejects only for configuration it cannot use (PL_ERR_CONFIG: an unreadable CA file).
 */
export async function startMqttBridge(options: MqttBridgeOptions): Promise<MqttBridge> {
  const { tls } = options.config;
  let ca: Buffer | undefined;
  if (tls?.ca !== undefined) {
    try {
      ca = await readFile(tls.ca);
    } catch (err) {
      throw new PicolinkError(ErrorCode.CONFIG, `hub configuration: "mqtt.tls.ca" cannot be read (${tls.ca}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const bridge = new MqttBridge(options, { ...(ca === undefined ? {} : { ca }), ...(tls?.fingerprint === undefined ? {} : { fingerprint: tls.fingerprint }) });
  bridge.seedPinStates().catch((err: unknown) => options.log.limited('mqtt', `mqtt: reading the remembered outputs failed: ${toPicolinkError(err).message}`));
  return bridge;
}
