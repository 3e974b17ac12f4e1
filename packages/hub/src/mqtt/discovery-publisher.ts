/**
 * Keeps Home Assistant's view of the hub's boards current (docs/mqtt-home-assistant.md):
 * builds each board's discovery configs from what the store keeps (device record,
 * remembered outputs, input pin_change events, telemetry metrics) and what the bus tells
 * since, publishes a config again only when it changed, all of them on every connect
 * (a broker without persistence forgets retained messages), and empties them when the
 * device is removed from the hub. The bridge owns the client; this decides what to send.
 */
import { validateRequest } from '@picolink/protocol';
import type { PinId } from '@picolink/protocol';
import type { RateLimitedLog } from '@picolink/net';
import type { CommandAnswer, HubBus } from '../bus.js';
import type { HubEventRecord, HubStore, TelemetryRow } from '../store/store.js';
import { discoveryDevice, PublishedDiscovery, type DiscoveryContext, type DiscoveryMessage } from './discovery.js';

/** Bus event the API publishes when a device is removed from the hub (DELETE /api/devices/:id). */
export const DEVICE_REMOVED_EVENT = 'removed';

/** pin_change events read back per device to find its inputs when the hub starts. */
const MAX_INPUT_EVENTS = 1000;
/** Devices whose metrics and input pins are remembered; past it the oldest is forgotten (re-read from the store when it comes back). */
const MAX_DEVICES = 10_000;
/** Removals kept for the next connect; past it the broker keeps the configs of the rest. */
const MAX_UNSENT_REMOVALS = 10_000;

export interface DiscoveryPublisherOptions {
  store: HubStore;
  bus: HubBus;
  context: DiscoveryContext;
  /** Publishes one message retained with QoS 1; false when the bridge dropped it (not connected). */
  publish: (message: DiscoveryMessage) => boolean;
  log: RateLimitedLog;
}

/** Metrics, inputs and outputs heard on the bus since start (ahead of the store), and the pins announced. */
interface Heard {
  metrics: Set<string>;
  inputs: Set<PinId>;
  outputs: Set<PinId>;
  pins: Set<PinId>;
}

export class DiscoveryPublisher {
  private readonly published = new PublishedDiscovery();
  private readonly sent = new Map<string, string>();
  /** Removals dropped while the broker was away: sent on the next connect, else the broker keeps the configs. */
  private readonly unsentRemovals = new Set<string>();
  private readonly heard = new Map<string, Heard>();
  /** One refresh at a time per device, in order: a removal never overtakes a refresh. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Refreshes queued and not started: a burst of changes is one refresh. */
  private readonly waiting = new Map<string, Promise<void>>();
  private closed = false;

  private readonly onTelemetry = (rows: readonly TelemetryRow[]): void => this.busOnTelemetry(rows);
  private readonly onEvent = (event: HubEventRecord): void => this.busOnEvent(event);
  private readonly onCommand = (answer: CommandAnswer): void => this.busOnCommand(answer);
  private readonly onStatus = (change: { deviceId: string; online: boolean }): void => {
    if (change.online) this.refresh(change.deviceId);
  };

  constructor(private readonly options: DiscoveryPublisherOptions) {
    options.bus.on('telemetry', this.onTelemetry);
    options.bus.on('event', this.onEvent);
    options.bus.on('status', this.onStatus);
    options.bus.on('command', this.onCommand);
  }

  /** Publishes every known device's configs, unchanged ones too: for a (re)connect. */
  async republishAll(): Promise<void> {
    this.sent.clear();
    for (const topic of [...this.unsentRemovals]) this.send({ topic, payload: '' });
    const devices = await this.options.store.listDevices();
    await Promise.all(devices.map((device) => this.refresh(device.id)));
  }

  /** Rebuilds one device's configs and publishes those that changed (and removals of entities it lost). */
  refresh(deviceId: string): Promise<void> {
    const waiting = this.waiting.get(deviceId);
    if (waiting !== undefined) return waiting;
    const next = this.queue(deviceId, () => {
      this.waiting.delete(deviceId);
      return this.update(deviceId);
    });
    this.waiting.set(deviceId, next);
    return next;
  }

  /** Resolves when every refresh and removal asked for so far is done. */
  async settled(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }

  close(): void {
    this.closed = true;
    this.options.bus.off('telemetry', this.onTelemetry);
    this.options.bus.off('event', this.onEvent);
    this.options.bus.off('status', this.onStatus);
    this.options.bus.off('command', this.onCommand);
  }

  private queue(deviceId: string, work: () => Promise<void>): Promise<void> {
    const next = (this.queues.get(deviceId) ?? Promise.resolve()).then(() => (this.closed ? undefined : work())).catch((err: unknown) => {
      this.options.log.limited('mqtt-discovery', `mqtt: Home Assistant discovery of "${deviceId}" failed: ${(err as Error).message}`);
    });
    this.queues.set(deviceId, next);
    void next.then(() => {
      if (this.queues.get(deviceId) === next) this.queues.delete(deviceId);
    });
    return next;
  }

  private async update(deviceId: string): Promise<void> {
    const { store, context } = this.options;
    const record = await store.getDevice(deviceId);
    // A device the store does not list (removed, or never recorded) is not announced.
    if (record === undefined) return;
    const [outputs, metrics, events] = await Promise.all([
      store.loadOutputStates(deviceId),
      store.listMetrics(deviceId),
      store.listEvents({ deviceId, type: 'pin_change', limit: MAX_INPUT_EVENTS }),
    ]);
    const heard = this.heardOf(deviceId);
    for (const metric of metrics) heard.metrics.add(metric);
    const storedInputs = events.filter((event) => event.data.cause === 'input').map((event) => event.data.pin as PinId);
    // A pin's direction heard on the bus (a command's answer, an input's change) is newer than the store's.
    const stored = outputs.filter((state) => !heard.inputs.has(state.pin) && !heard.outputs.has(state.pin));
    const device = discoveryDevice(record, stored, [...heard.inputs, ...storedInputs], [...heard.metrics].sort(), [...heard.outputs]);
    heard.pins = new Set([...device.outputs, ...device.inputs]);
    for (const message of this.published.update(device, context)) this.send(message);
  }

  private send(message: DiscoveryMessage): void {
    const { topic, payload } = message;
    if (this.sent.get(topic) === payload) return;
    const published = this.options.publish(message);
    if (payload === '') {
      this.sent.delete(topic);
      if (published) this.unsentRemovals.delete(topic);
      else if (this.unsentRemovals.size < MAX_UNSENT_REMOVALS) this.unsentRemovals.add(topic);
    } else {
      this.unsentRemovals.delete(topic);
      // A dropped config is sent with all the others on the next connect.
      if (published) this.sent.set(topic, payload);
    }
  }

  private heardOf(deviceId: string): Heard {
    let heard = this.heard.get(deviceId);
    if (heard === undefined) {
      if (this.heard.size >= MAX_DEVICES) this.heard.delete(this.heard.keys().next().value as string);
      heard = { metrics: new Set(), inputs: new Set(), outputs: new Set(), pins: new Set() };
      this.heard.set(deviceId, heard);
    }
    return heard;
  }

  private busOnTelemetry(rows: readonly TelemetryRow[]): void {
    const changed = new Set<string>();
    for (const row of rows) {
      const heard = this.heardOf(row.deviceId);
      if (heard.metrics.has(row.metric)) continue;
      heard.metrics.add(row.metric);
      changed.add(row.deviceId);
    }
    for (const deviceId of changed) this.refresh(deviceId);
  }

  private busOnEvent(event: HubEventRecord): void {
    if (event.type === DEVICE_REMOVED_EVENT) {
      this.heard.delete(event.deviceId);
      void this.queue(event.deviceId, () => {
        for (const message of this.published.remove(event.deviceId)) this.send(message);
        return Promise.resolve();
      });
      return;
    }
    if (event.type !== 'pin_change') return;
    const pin = event.data.pin as PinId;
    const heard = this.heardOf(event.deviceId);
    if (event.data.cause === 'input') heard.inputs.add(pin);
    // Any other cause (a write, a lease ending) may come from an output the hub now remembers.
    if (!heard.pins.has(pin)) this.refresh(event.deviceId);
  }

  /** A pin the hub just set up or wrote: announced now, before the store has recorded it. */
  private busOnCommand(answer: CommandAnswer): void {
    let pin: PinId;
    let input: boolean;
    try {
      const request = validateRequest(answer.request);
      if (request.action === 'setup_pin') {
        pin = request.fields.pin;
        input = request.fields.mode === 'input';
      } else if (request.action === 'write_pin') {
        pin = request.fields.pin;
        input = false;
      } else {
        return;
      }
    } catch {
      return;
    }
    const heard = this.heardOf(answer.deviceId);
    const known = (input ? heard.inputs : heard.outputs).has(pin);
    (input ? heard.outputs : heard.inputs).delete(pin);
    (input ? heard.inputs : heard.outputs).add(pin);
    if (!known || !heard.pins.has(pin)) this.refresh(answer.deviceId);
  }
}
