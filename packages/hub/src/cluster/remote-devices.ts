/**
 * `RemoteDevices`: this hub's copy of which devices other hubs hold, kept in the
 * directory (`DeviceDirectory.remote`) for the API and for commands across hubs. It is
 * loaded from `device_presence` at start and after the channel reconnects (notifications
 * sent meanwhile are lost), and updated by the other hubs' `presence` messages. Every
 * change goes on the local bus as `status` with the holding hub's id, so live streams
 * show devices on every hub.
 */
import type { HubBus } from '../bus.js';
import type { DeviceDirectory, RemoteDevice } from '../directory.js';
import type { DeviceMode } from '../store/store.js';
import type { PresenceRow } from './presence-table.js';

/** A hub's announcement that it claimed (online) or let go of (offline) a device. */
export interface PresenceMessage {
  kind: 'presence';
  deviceId: string;
  /** The hub that holds (online) or held (offline) the connection. */
  hubId: string;
  epoch: number;
  online: boolean;
  mode: DeviceMode;
  address: string | null;
  protocol: number | null;
  capabilities: string[];
  connectedAt: number | null;
  time: number;
  reason?: string;
}

export class RemoteDevices {
  constructor(
    private readonly directory: DeviceDirectory,
    private readonly bus: HubBus,
  ) {}

  /** A presence message from another hub. */
  apply(message: PresenceMessage): void {
    const current = this.directory.remote(message.deviceId);
    if (message.online) {
      if (current && current.epoch > message.epoch) return;
      this.set(toRemote(message), message.time);
    } else if (current && current.hubId === message.hubId && current.epoch <= message.epoch) {
      this.drop(current, message.time);
    }
  }

  /** Forgets a device another hub held (this hub holds it now, or its row was swept). */
  forget(deviceId: string, hubId: string, time = Date.now()): void {
    const current = this.directory.remote(deviceId);
    if (current && current.hubId === hubId) this.drop(current, time);
  }

  /** Replaces the whole copy with the table's rows, announcing each difference. */
  load(rows: readonly PresenceRow[]): void {
    const now = Date.now();
    const fresh = new Map(rows.map((row) => [row.deviceId, row]));
    for (const current of this.directory.listRemote()) {
      if (!fresh.has(current.deviceId)) this.drop(current, now);
    }
    for (const row of rows) {
      const current = this.directory.remote(row.deviceId);
      if (current?.hubId === row.hubId && current.epoch === row.epoch) continue;
      this.set(toRemote(row), now);
    }
  }

  private set(device: RemoteDevice, time: number): void {
    this.directory.setRemote(device);
    this.bus.emit('status', { deviceId: device.deviceId, online: true, time, hubId: device.hubId });
  }

  private drop(device: RemoteDevice, time: number): void {
    this.directory.deleteRemote(device.deviceId);
    this.bus.emit('status', { deviceId: device.deviceId, online: false, time, hubId: device.hubId });
  }
}

function toRemote(from: PresenceRow | PresenceMessage): RemoteDevice {
  return {
    deviceId: from.deviceId,
    hubId: from.hubId,
    epoch: from.epoch,
    mode: from.mode,
    address: from.address,
    protocol: from.protocol,
    capabilities: Array.isArray(from.capabilities) ? from.capabilities.filter((c): c is string => typeof c === 'string') : [],
    connectedAt: from.connectedAt,
  };
}
