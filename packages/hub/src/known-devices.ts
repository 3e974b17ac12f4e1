/**
 * Which devices the hub knows, the same for every part that asks (the API, the MQTT
 * bridge): stored, in the configuration or added through the API, or connected — to this
 * hub or, with several hubs on one PostgreSQL, to another.
 */
import { DEVICE_ID_PATTERN, ErrorCode, PicolinkError } from '@picolink/protocol';
import type { DeviceCredentials } from './credentials.js';
import type { DeviceDirectory } from './directory.js';
import type { DeviceRecord, HubStore } from './store/store.js';

export interface DeviceSources {
  store: HubStore;
  directory: DeviceDirectory;
  credentials: DeviceCredentials;
}

/** The ids of `stored` devices and of every device configured, added or connected, sorted. */
export function knownDeviceIds(stored: Iterable<string>, { directory, credentials }: Omit<DeviceSources, 'store'>): string[] {
  const ids = new Set(stored);
  for (const device of credentials.list()) ids.add(device.id);
  for (const link of directory.list()) ids.add(link.deviceId);
  for (const remote of directory.listRemote()) ids.add(remote.deviceId);
  return [...ids].sort();
}

/**
 * Checks that `id` names a device the hub knows and returns its stored record, if any.
 * Unknown ids get PL_ERR_UNKNOWN_DEVICE.
 */
export async function requireKnownDevice({ store, directory, credentials }: DeviceSources, id: string): Promise<DeviceRecord | undefined> {
  if (!DEVICE_ID_PATTERN.test(id)) {
    throw new PicolinkError(ErrorCode.UNKNOWN_DEVICE, `"${id}" is not a device id (1-64 of A-Z a-z 0-9 _ . -)`);
  }
  const record = await store.getDevice(id);
  if (record || directory.isConnected(id) || credentials.has(id)) return record;
  throw new PicolinkError(ErrorCode.UNKNOWN_DEVICE, `the hub knows no device "${id}"; GET /api/devices lists the devices it knows`);
}
