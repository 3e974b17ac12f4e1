/**
 * A simulated Pico W (the real device runtime on 127.0.0.1:0) registered in a hub's
 * directory through an SDK connection, the way a server-mode link registers it.
 */
import { connect } from '@picolink/client';
import type { Device } from '@picolink/client';
import { SimulatedBackend, startDevice } from '@picolink/device';
import type { RunningDevice } from '@picolink/device';
import type { DeviceLink } from '../src/directory.js';
import type { RunningHub } from '../src/hub.js';

export interface LinkedDevice {
  device: RunningDevice<SimulatedBackend>;
  client: Device;
  link: DeviceLink;
  /** Takes the device off the hub (as a lost link would) and stops it. */
  stop(): Promise<void>;
}

export async function linkSimulatedDevice(hub: RunningHub, deviceId: string): Promise<LinkedDevice> {
  const device = await startDevice({ host: '127.0.0.1', port: 0, deviceId, backend: new SimulatedBackend() });
  const client = await connect(device.url, { heartbeatMs: 0 });
  const link: DeviceLink = {
    deviceId,
    mode: 'server',
    address: `127.0.0.1:${device.port}`,
    protocol: client.protocol,
    capabilities: client.capabilities,
    connectedAt: Date.now(),
    send: (request) => client.send(request),
    close: () => void client.close(),
  };
  client.on('event', (event) => {
    if (event.event !== 'pin_change') return;
    const { event: _kind, ...data } = event;
    hub.bus.emit('event', { deviceId, type: 'pin_change', time: Date.now(), deviceTime: typeof data.t === 'number' ? data.t : null, data });
  });
  await hub.store.upsertDevice({ id: deviceId, mode: 'server', address: link.address, firmware: client.version, info: (await client.info()) as unknown as Record<string, unknown>, seenAt: Date.now() });
  hub.directory.add(link);
  hub.bus.emit('status', { deviceId, online: true, time: Date.now() });
  return {
    device,
    client,
    link,
    stop: async () => {
      if (hub.directory.remove(link)) hub.bus.emit('status', { deviceId, online: false, time: Date.now() });
      await client.close();
      await device.close();
    },
  };
}
