/**
 * The bridge's topic names and what it reads back from a topic (docs/mqtt.md#topics).
 * Pure: no client, no timers. Device ids (DEVICE_ID_PATTERN) and metric names never hold
 * "/", "+" or "#", so they are topic levels as they are.
 */
import type { PinId } from '@picolink/protocol';

/** Quality of service and retain flag of one kind of message. */
export interface Delivery {
  qos: 0 | 1;
  retain: boolean;
}

/** What each kind of message the bridge publishes is sent with (the table in docs/mqtt.md). */
export const DELIVERY = {
  status: { qos: 1, retain: true },
  hubStatus: { qos: 1, retain: true },
  telemetry: { qos: 0, retain: false },
  event: { qos: 0, retain: false },
  pinState: { qos: 1, retain: true },
  setResult: { qos: 0, retain: false },
} as const satisfies Record<string, Delivery>;

/** Payloads of the status topics. */
export const ONLINE = 'online';
export const OFFLINE = 'offline';
/** Payloads of a pin's state topic (Home Assistant's defaults for a switch). */
export const PIN_ON = 'ON';
export const PIN_OFF = 'OFF';

export class Topics {
  constructor(readonly prefix: string) {}

  /** `<prefix>/<device>/status`: online / offline. */
  status(deviceId: string): string {
    return `${this.prefix}/${deviceId}/status`;
  }

  /** `<prefix>/hub/<hubId>/status`: the hub's own, its will says offline. */
  hubStatus(hubId: string): string {
    return `${this.prefix}/hub/${hubId}/status`;
  }

  telemetry(deviceId: string, metric: string): string {
    return `${this.prefix}/${deviceId}/telemetry/${metric}`;
  }

  event(deviceId: string, type: string): string {
    return `${this.prefix}/${deviceId}/event/${type}`;
  }

  pinState(deviceId: string, pin: PinId): string {
    return `${this.prefix}/${deviceId}/pin/${String(pin)}/state`;
  }

  pinSet(deviceId: string, pin: PinId | string): string {
    return `${this.prefix}/${deviceId}/pin/${String(pin)}/set`;
  }

  /** Where the answer to a message on `pinSet(device, pin)` goes. */
  setResult(deviceId: string, pin: PinId | string): string {
    return `${this.pinSet(deviceId, pin)}/result`;
  }

  /** The subscription for every device's set commands. */
  get setFilter(): string {
    return `${this.prefix}/+/pin/+/set`;
  }

  /**
   * The device and pin (as written in the topic) of a set command's topic, or undefined
   * for any other topic.
   */
  parseSet(topic: string): { deviceId: string; pin: string } | undefined {
    const head = `${this.prefix}/`;
    if (!topic.startsWith(head)) return undefined;
    const levels = topic.slice(head.length).split('/');
    if (levels.length !== 4 || levels[1] !== 'pin' || levels[3] !== 'set') return undefined;
    const [deviceId, , pin] = levels as [string, string, string, string];
    if (deviceId === '' || pin === '') return undefined;
    return { deviceId, pin };
  }
}

/** A pin level as its state topic says it. */
export function pinStatePayload(value: 0 | 1): string {
  return value === 1 ? PIN_ON : PIN_OFF;
}
