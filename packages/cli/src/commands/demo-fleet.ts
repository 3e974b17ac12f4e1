/**
 * The three simulated Pico Ws of `picolink demo`, one for each way a device reaches a hub:
 *
 * - pico-kitchen, in server mode: it listens and the hub connects to it. A light sensor
 *   (an LDR divider on ADC0) follows the day, compressed into a few minutes.
 * - pico-garage, dialling home to the hub's gateway with its token. A door switch on
 *   GPIO 15 (pulled up; the door closing pulls it low) opens and shuts now and then.
 * - sensor-garden, telemetry only: signed UDP datagrams with soil moisture (ADC0) that
 *   dries out and is watered again, and its battery (VSYS/3 on ADC3) slowly draining.
 *
 * Every device also reports its die temperature, which drifts like a real RP2040's.
 */
import { randomBytes } from 'node:crypto';
import { SimulatedBackend, startDevice, TelemetrySender } from '@picolink/device';
import type { DeviceOptions, RunningDevice } from '@picolink/device';
import type { ConfiguredDevice } from '@picolink/hub';

export const KITCHEN = 'pico-kitchen';
export const GARAGE = 'pico-garage';
export const GARDEN = 'sensor-garden';
/** GPIO of the garage door switch. */
export const DOOR_PIN = 15;

/** How often the simulated world changes, and the devices report, in ms. */
const TICK_MS = 500;
const TELEMETRY_MS = 1000;
/** One simulated day of light, in ms. */
const DAY_MS = 180_000;

export interface DemoFleetOptions {
  /** Log sink for the devices (connection problems). */
  log: (line: string) => void;
  /** The first this many of kitchen, garage, garden (1-3). Default 3. */
  count?: number;
}

export interface DemoFleet {
  /** The devices for the hub's configuration (the kitchen's address, the garage's token, the garden's key). */
  readonly devices: ConfiguredDevice[];
  readonly kitchen: RunningDevice<SimulatedBackend>;
  /** Starts the garage (dialling home) and the garden (telemetry) and the simulated world. */
  start(hub: { gatewayPort: number; telemetryPort: number }): Promise<void>;
  close(): Promise<void>;
}

function noise(spread: number): number {
  return (Math.random() * 2 - 1) * spread;
}

/** Starts the server-mode device; the others start once the hub's ports are known. */
export async function startDemoFleet(options: DemoFleetOptions): Promise<DemoFleet> {
  const common: Partial<DeviceOptions<SimulatedBackend>> = { host: '127.0.0.1', port: 0, log: options.log };
  const kitchen = await startDevice({ ...common, deviceId: KITCHEN, backend: new SimulatedBackend({ ambientC: 22 }) });
  const garageToken = randomBytes(16).toString('hex');
  const gardenKey = randomBytes(32).toString('hex');
  const devices: ConfiguredDevice[] = [
    { id: KITCHEN, address: kitchen.url },
    { id: GARAGE, token: garageToken, config: { door_pin: DOOR_PIN } },
    { id: GARDEN, telemetryKey: gardenKey },
  ].slice(0, Math.min(3, Math.max(1, options.count ?? 3)));
  const has = (id: string): boolean => devices.some((device) => device.id === id);
  const running: RunningDevice<SimulatedBackend>[] = [kitchen];
  let kitchenTelemetry: TelemetrySender | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function start(hub: { gatewayPort: number; telemetryPort: number }): Promise<void> {
    const telemetry = (deviceId: string, sensors: string[], key?: string): NonNullable<DeviceOptions['telemetry']> => ({
      host: '127.0.0.1',
      port: hub.telemetryPort,
      deviceId,
      intervalMs: TELEMETRY_MS,
      sensors,
      ...(key === undefined ? {} : { key, ack: true }),
    });
    // The world is set before the devices start, so their first readings are already real.
    const garageBackend = new SimulatedBackend({ ambientC: 14 });
    const gardenBackend = new SimulatedBackend({ ambientC: 18, driftC: 3 });
    const started = Date.now();
    let moisture = 2.1;
    let battery = 4.1;
    let doorClosed = true;
    let nextDoorAt = started + 4000;
    function tick(): void {
      const now = Date.now();
      // Light: dark at night, bright at noon, clouds passing.
      const sun = Math.max(0, Math.sin((2 * Math.PI * (now - started)) / DAY_MS));
      kitchen.backend.setAdcVoltage(0, clamp(0.15 + 2.6 * sun + noise(0.05), 0, 3.3));
      // Soil dries slowly and is watered when it gets dry.
      moisture = moisture < 1.1 ? 2.3 : moisture - 0.004 + noise(0.002);
      gardenBackend.setAdcVoltage(0, clamp(moisture, 0, 3.3));
      battery = Math.max(3.3, battery - 0.0002);
      gardenBackend.adc.setVsys(battery);
      if (now >= nextDoorAt) {
        doorClosed = !doorClosed;
        garageBackend.setInputLevel(DOOR_PIN, doorClosed ? 0 : 1);
        nextDoorAt = now + (doorClosed ? 12_000 : 5000) + Math.random() * 6000;
      }
    }
    garageBackend.setInputLevel(DOOR_PIN, 0);
    tick();
    timer = setInterval(tick, TICK_MS);

    // The kitchen was started before the hub (whose configuration names its address), so its
    // telemetry starts now that the hub's UDP port is known.
    kitchenTelemetry = new TelemetrySender(kitchen.runtime, { ...telemetry(KITCHEN, ['temp_c', 'adc0']), log: options.log });
    kitchenTelemetry.start();
    if (has(GARAGE)) {
      running.push(
        await startDevice({
          ...common,
          deviceId: GARAGE,
          backend: garageBackend,
          hub: { hub: { host: '127.0.0.1', port: hub.gatewayPort }, token: garageToken, backoff: { baseMs: 250, maxMs: 5000 } },
          telemetry: telemetry(GARAGE, ['temp_c', `pin${DOOR_PIN}`]),
        }),
      );
    }
    if (has(GARDEN)) {
      running.push(await startDevice({ ...common, deviceId: GARDEN, backend: gardenBackend, telemetry: telemetry(GARDEN, ['temp_c', 'adc0', 'adc3'], gardenKey) }));
    }
  }

  return {
    devices,
    kitchen,
    start,
    async close() {
      if (timer !== undefined) clearInterval(timer);
      await kitchenTelemetry?.close();
      await Promise.all(running.map((device) => device.close()));
    },
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
