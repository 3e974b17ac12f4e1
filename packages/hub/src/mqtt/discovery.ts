/**
 * Home Assistant MQTT discovery (docs/mqtt-home-assistant.md): the retained config
 * messages that make a board one Home Assistant device — outputs as `switch`, inputs as
 * `binary_sensor`, telemetry metrics as `sensor` — and the empty retained messages that
 * remove them. Pure: the bridge decides when to publish what these functions return.
 *
 * Topics follow `<discoveryPrefix>/<component>/<node_id>/<object_id>/config`, where Home
 * Assistant accepts only letters, digits, "_" and "-" in node_id and object_id; a device id
 * or metric with other characters (".", ":") gets a short hash so two ids never share a topic.
 */
import { createHash } from 'node:crypto';
import type { PinId } from '@picolink/protocol';
import type { DeviceRecord, OutputState } from '../store/store.js';
import { OFFLINE, ONLINE, PIN_OFF, PIN_ON } from './topics.js';
import type { Delivery, Topics } from './topics.js';

/** Discovery configs are retained, so that Home Assistant finds them whenever it starts. */
export const DISCOVERY_DELIVERY: Delivery = { qos: 1, retain: true };

/** What the hub knows about a board that becomes its Home Assistant entities. */
export interface DiscoveryDevice {
  id: string;
  /** Board name from the device's get_info (`info.board`), or null when not known yet. */
  model: string | null;
  /** Agent or firmware version, or null when not known yet. */
  firmware: string | null;
  /** Pins the hub drives as outputs. */
  outputs: readonly PinId[];
  /** Input pins the hub set up or heard `pin_change` events from. */
  inputs: readonly PinId[];
  /** Telemetry metric names the device sends. */
  metrics: readonly string[];
}

/** The bridge's settings that appear in discovery configs. */
export interface DiscoveryContext {
  /** Home Assistant's discovery prefix; its default is "homeassistant". */
  discoveryPrefix: string;
  /** The bridge's topics (state, command and status), under its prefix. */
  topics: Topics;
  /**
   * The hub's id: its status topic `<prefix>/hub/<hubId>/status` is part of availability;
   * null for a hub of several on one PostgreSQL (a device moves between them, and a dead
   * hub's devices are marked offline by the others), so the device's status alone.
   */
  hubId: string | null;
  /** The hub's version, reported as the origin's `sw_version`. */
  hubVersion: string;
  /** The dashboard's URL (e.g. "http://hub.local:8080/"), or null when none is known. */
  dashboardUrl: string | null;
}

/** One MQTT message to publish retained; an empty payload removes the entity. */
export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

export type DiscoveryComponent = 'switch' | 'binary_sensor' | 'sensor';

/** How a known metric shows in Home Assistant; metrics not listed are plain numbers. */
interface MetricKind {
  deviceClass?: 'temperature' | 'voltage' | 'signal_strength';
  unit?: string;
}

/** Metric names the agent and the TypeScript device runtime send (docs/telemetry.md). */
function metricKind(metric: string): MetricKind {
  if (metric === 'temp_c') return { deviceClass: 'temperature', unit: '°C' };
  if (/^adc[0-3]$/.test(metric)) return { deviceClass: 'voltage', unit: 'V' };
  if (metric === 'rssi') return { deviceClass: 'signal_strength', unit: 'dBm' };
  return {};
}

const TOPIC_SAFE = /^[A-Za-z0-9_-]+$/;

/** A node_id/object_id part: the name itself when Home Assistant accepts it, else a slug and a hash of the name. */
export function topicPart(name: string): string {
  if (TOPIC_SAFE.test(name)) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_')}_${hash}`;
}

/** An entity id part: Home Assistant's entity ids are lower-case letters, digits and "_". */
function entitySlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
}

/** The discovery config topic of one entity. */
export function discoveryTopic(context: DiscoveryContext, component: DiscoveryComponent, deviceId: string, objectId: string): string {
  return `${context.discoveryPrefix}/${component}/${topicPart(deviceId)}/${topicPart(objectId)}/config`;
}

/**
 * What every entity of the device shares: the device registry entry, the origin, and
 * availability from both the device's status and the hub's, so that a hub that died
 * (its will says `offline`) makes its devices unavailable instead of stale.
 */
function common(device: DiscoveryDevice, context: DiscoveryContext, component: DiscoveryComponent, objectId: string, name: string): Record<string, unknown> {
  const { topics } = context;
  const info: Record<string, unknown> = { identifiers: [`${topics.prefix}_${device.id}`], name: device.id };
  if (device.model !== null) {
    info.model = device.model;
    // MicroPython names a Pico W "Raspberry Pi Pico W with RP2040"; other boards name no maker.
    if (device.model.startsWith('Raspberry Pi')) info.manufacturer = 'Raspberry Pi';
  }
  if (device.firmware !== null) info.sw_version = device.firmware;
  if (context.dashboardUrl !== null) info.configuration_url = new URL(`devices/${encodeURIComponent(device.id)}`, context.dashboardUrl).href;
  return {
    name,
    unique_id: `${topics.prefix}_${device.id}_${component}_${objectId}`,
    default_entity_id: `${component}.${entitySlug(`${device.id}_${objectId}`)}`,
    device: info,
    origin: { name: 'picolink', sw_version: context.hubVersion },
    availability: [
      { topic: topics.status(device.id), payload_available: ONLINE, payload_not_available: OFFLINE },
      ...(context.hubId === null ? [] : [{ topic: topics.hubStatus(context.hubId), payload_available: ONLINE, payload_not_available: OFFLINE }]),
    ],
    availability_mode: 'all',
  };
}

function pinName(pin: PinId): string {
  return pin === 'LED' ? 'LED' : `GP${pin}`;
}

function pinObjectId(pin: PinId): string {
  return pin === 'LED' ? 'led' : `pin${pin}`;
}

function message(context: DiscoveryContext, component: DiscoveryComponent, deviceId: string, objectId: string, config: Record<string, unknown>): DiscoveryMessage {
  return { topic: discoveryTopic(context, component, deviceId, objectId), payload: JSON.stringify(config) };
}

/** The discovery configs of one board: one message per entity, to publish retained. */
export function discoveryConfigs(device: DiscoveryDevice, context: DiscoveryContext): DiscoveryMessage[] {
  const messages: DiscoveryMessage[] = [];
  for (const pin of device.outputs) {
    const objectId = pinObjectId(pin);
    messages.push(message(context, 'switch', device.id, objectId, {
      ...common(device, context, 'switch', objectId, pinName(pin)),
      command_topic: context.topics.pinSet(device.id, pin),
      state_topic: context.topics.pinState(device.id, pin),
      payload_on: PIN_ON,
      payload_off: PIN_OFF,
      state_on: PIN_ON,
      state_off: PIN_OFF,
      optimistic: false,
      qos: 1,
    }));
  }
  for (const pin of device.inputs) {
    if (device.outputs.includes(pin)) continue;
    const objectId = pinObjectId(pin);
    messages.push(message(context, 'binary_sensor', device.id, objectId, {
      ...common(device, context, 'binary_sensor', objectId, pinName(pin)),
      state_topic: context.topics.pinState(device.id, pin),
      payload_on: PIN_ON,
      payload_off: PIN_OFF,
      qos: 1,
    }));
  }
  for (const metric of device.metrics) {
    const kind = metricKind(metric);
    const config: Record<string, unknown> = {
      ...common(device, context, 'sensor', metric, metric),
      state_topic: context.topics.telemetry(device.id, metric),
      state_class: 'measurement',
    };
    if (kind.deviceClass !== undefined) config.device_class = kind.deviceClass;
    if (kind.unit !== undefined) config.unit_of_measurement = kind.unit;
    messages.push(message(context, 'sensor', device.id, metric, config));
  }
  return messages;
}

/** Empty retained payloads: Home Assistant removes an entity whose config topic is emptied. */
export function discoveryRemovals(topics: Iterable<string>): DiscoveryMessage[] {
  return [...topics].map((topic) => ({ topic, payload: '' }));
}

/**
 * The entities a board has from what the hub keeps: a pin set up as input is a
 * binary_sensor, any other pin the hub set or wrote is a switch; `inputPins` are pins the
 * device reported `pin_change` events with cause "input" for; `outputPins` are outputs
 * known before the store has them (a command's answer).
 */
export function discoveryDevice(
  record: Pick<DeviceRecord, 'id' | 'firmware' | 'info'>,
  outputs: readonly OutputState[],
  inputPins: readonly PinId[],
  metrics: readonly string[],
  outputPins: readonly PinId[] = [],
): DiscoveryDevice {
  const outs: PinId[] = [];
  const ins: PinId[] = [];
  for (const state of outputs) (state.setup?.mode === 'input' ? ins : outs).push(state.pin);
  for (const pin of outputPins) if (!ins.includes(pin) && !outs.includes(pin)) outs.push(pin);
  for (const pin of inputPins) if (!ins.includes(pin) && !outs.includes(pin)) ins.push(pin);
  const board = record.info?.board;
  return {
    id: record.id,
    model: typeof board === 'string' && board !== '' ? board : null,
    firmware: record.firmware,
    outputs: outs,
    inputs: ins,
    metrics: [...metrics],
  };
}

/**
 * The config topics the hub has published for each device, so that a device's removal
 * clears every one of them and a device that lost an entity gets that entity removed.
 */
export class PublishedDiscovery {
  private readonly topics = new Map<string, Set<string>>();

  /** The messages to publish for `device` now: its configs, then removals of configs it no longer has. */
  update(device: DiscoveryDevice, context: DiscoveryContext): DiscoveryMessage[] {
    const configs = discoveryConfigs(device, context);
    const now = new Set(configs.map((m) => m.topic));
    const before = this.topics.get(device.id) ?? new Set<string>();
    this.topics.set(device.id, now);
    return [...configs, ...discoveryRemovals([...before].filter((topic) => !now.has(topic)))];
  }

  /** The removals for every config published for the device; it is forgotten. */
  remove(deviceId: string): DiscoveryMessage[] {
    const before = this.topics.get(deviceId);
    this.topics.delete(deviceId);
    return before === undefined ? [] : discoveryRemovals(before);
  }
}

/**
 * The dashboard's address as Home Assistant's "Visit" link: a hub bound to every interface
 * (0.0.0.0 or ::) is named by this machine's host name, which its Host check allows.
 */
export function reachableDashboardUrl(httpUrl: string, hostName: string): string {
  const url = new URL(httpUrl);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = hostName;
  return url.href;
}
