/**
 * Simulated Pico Ws (the real device runtime) that reach a test hub the two real ways:
 * dialling home to its gateway, or listening in server mode for the hub to connect out.
 */
import { SimulatedBackend, startDevice } from '@picolink/device';
import type { RunningDevice } from '@picolink/device';
import type { RunningHub } from '../src/hub.js';
import { until } from './api-fixture.js';

export interface SimDevice {
  id: string;
  device: RunningDevice<SimulatedBackend>;
  /** Stops the device; resolves once the hub has it offline (when a hub is given). */
  stop(): Promise<void>;
}

/** A device that dials home to `hub` and is online there when this resolves. */
export async function startDialHomeDevice(hub: RunningHub, id: string, token?: string): Promise<SimDevice> {
  const device = await startDevice({
    host: '127.0.0.1',
    port: 0,
    deviceId: id,
    backend: new SimulatedBackend(),
    hub: { hub: { host: '127.0.0.1', port: hub.gatewayPort }, backoff: { baseMs: 50, maxMs: 200 }, ...(token === undefined ? {} : { token }) },
  });
  await until(() => hub.directory.isOnline(id), `"${id}" online through the gateway`);
  return { id, device, stop: () => stopAndWait(device, hub, id) };
}

/** A device in server mode on 127.0.0.1:0; configure it as `{ id, address: device.url }`. */
export async function startServerDevice(id: string): Promise<SimDevice> {
  const device = await startDevice({ host: '127.0.0.1', port: 0, deviceId: id, backend: new SimulatedBackend() });
  return { id, device, stop: () => device.close() };
}

/** Waits until the hub has linked a server-mode device and read its info. */
export async function serverDeviceOnline(hub: RunningHub, id: string): Promise<void> {
  await until(async () => hub.directory.isOnline(id) && ((await hub.store.getDevice(id))?.info ?? null) !== null, `"${id}" online in server mode`);
}

async function stopAndWait(device: RunningDevice, hub: RunningHub, id: string): Promise<void> {
  await device.close();
  await until(() => !hub.directory.isOnline(id), `"${id}" offline`);
}
