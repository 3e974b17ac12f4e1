/**
 * The hub's in-process event bus: what the gateway, telemetry ingest and API publish,
 * and what live streams (WebSocket) and state keeping subscribe to.
 */
import { EventEmitter } from 'node:events';
import type { HubEventRecord, TelemetryRow } from './store/store.js';

export interface DeviceStatusChange {
  deviceId: string;
  online: boolean;
  time: number;
  /**
   * Set when the change happened on another hub sharing the PostgreSQL store (cluster/):
   * the hub that holds (online) or held (offline) the connection. Absent for this hub's links.
   */
  hubId?: string;
}

/** A command a device of this hub answered without an error (MQTT pin state). */
export interface CommandAnswer {
  deviceId: string;
  /** The request as sent, without its id. */
  request: Record<string, unknown>;
  response: Record<string, unknown>;
  actor: string;
}

export interface HubBusEvents {
  /** Telemetry rows as they are accepted (before or while they are stored). */
  telemetry: [rows: readonly TelemetryRow[]];
  /**
   * Device and hub events (pin changes, online/offline, state re-applied, rejections).
   * `fromHub` is set for an event another hub recorded, replayed here for live streams only.
   */
  event: [event: HubEventRecord, fromHub?: string];
  /** A device came online or went offline. */
  status: [change: DeviceStatusChange];
  /** A command sent through this hub's commands service succeeded on the device. */
  command: [answer: CommandAnswer];
}

export class HubBus extends EventEmitter<HubBusEvents> {
  constructor() {
    super();
    // One listener per live stream; a busy dashboard has many.
    this.setMaxListeners(0);
  }
}
