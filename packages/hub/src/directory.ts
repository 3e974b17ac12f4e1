/**
 * The devices the hub can talk to right now. A link is one live connection to a device:
 * a dial-home session (gateway/) or an outbound connection to a device in server mode
 * (links/). The API and state keeping send requests through the directory, whichever way
 * the device is connected.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { DeviceMode } from './store/store.js';

export interface DeviceLink {
  readonly deviceId: string;
  readonly mode: DeviceMode;
  /** "host:port" of the device. */
  readonly address: string;
  readonly protocol: number | null;
  readonly capabilities: readonly string[];
  readonly connectedAt: number;
  /**
   * Sends one request (a protocol request object without `id`; the link assigns ids)
   * and resolves with the device's raw response, error responses included.
   * Rejects with a PicolinkError when the link fails or times out.
   */
  send(request: Record<string, unknown>, options?: { timeoutMs?: number }): Promise<Record<string, unknown>>;
  /** Closes the link (the device may reconnect). */
  close(reason: string): void;
  /** Counters of this link, when it keeps them (gateway and server-mode links do). */
  stats?(): LinkStats;
}

/**
 * A device whose connection another hub sharing the PostgreSQL store holds, as that hub
 * announced it (cluster/remote-devices.ts keeps these). Requests to it go through that hub.
 */
export interface RemoteDevice {
  readonly deviceId: string;
  /** The hub holding the connection. */
  readonly hubId: string;
  /** Its claim's number: each new claim of the device by any hub is one higher. */
  readonly epoch: number;
  readonly mode: DeviceMode;
  readonly address: string | null;
  readonly protocol: number | null;
  readonly capabilities: readonly string[];
  readonly connectedAt: number | null;
}

/** Live counters for a device, shown by the API. */
export interface LinkStats {
  requests: number;
  errors: number;
  lastRoundTripMs: number | null;
}

export class DeviceDirectory {
  private readonly links = new Map<string, DeviceLink>();
  private readonly remotes = new Map<string, RemoteDevice>();

  /** Registers a link; a newer link for the same device replaces (and closes) the old one. */
  add(link: DeviceLink): void {
    const previous = this.links.get(link.deviceId);
    this.links.set(link.deviceId, link);
    if (previous && previous !== link) previous.close('replaced by a newer connection from the same device');
  }

  /** Removes the link if it is still the current one for its device. */
  remove(link: DeviceLink): boolean {
    if (this.links.get(link.deviceId) !== link) return false;
    this.links.delete(link.deviceId);
    return true;
  }

  get(deviceId: string): DeviceLink | undefined {
    return this.links.get(deviceId);
  }

  isOnline(deviceId: string): boolean {
    return this.links.has(deviceId);
  }

  list(): DeviceLink[] {
    return [...this.links.values()];
  }

  /** Connected to this hub, or to another hub of the cluster. */
  isConnected(deviceId: string): boolean {
    return this.links.has(deviceId) || this.remotes.has(deviceId);
  }

  /** The device's connection on another hub, if one holds it (never set without a PostgreSQL store). */
  remote(deviceId: string): RemoteDevice | undefined {
    return this.remotes.get(deviceId);
  }

  listRemote(): RemoteDevice[] {
    return [...this.remotes.values()];
  }

  setRemote(device: RemoteDevice): void {
    this.remotes.set(device.deviceId, device);
  }

  deleteRemote(deviceId: string): void {
    this.remotes.delete(deviceId);
  }

  /** The link for a device, or PL_ERR_DEVICE_OFFLINE naming it. */
  require(deviceId: string): DeviceLink {
    const link = this.links.get(deviceId);
    if (!link) throw new PicolinkError(ErrorCode.DEVICE_OFFLINE, `device "${deviceId}" is not connected to the hub; check that it is powered and online`);
    return link;
  }
}
