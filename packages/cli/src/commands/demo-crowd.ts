/**
 * A large simulated fleet for `picolink demo --devices N` (N > 3): devices `pico-001`…
 * that dial home to the hub's gateway with their own token and send signed telemetry
 * (die temperature and a light sensor on ADC0) every few seconds. Each is a device
 * runtime with a dial-home link and a telemetry sender, but no TCP listener of its own,
 * so a thousand of them fit in one process beside the hub.
 *
 * Bounds: at most MAX_DEMO_DEVICES devices; they connect in batches of CONNECT_BATCH
 * every CONNECT_BATCH_MS, and their telemetry is spread over the interval, so neither the
 * gateway's accept queue nor the UDP socket sees them all at once.
 */
import { randomBytes } from 'node:crypto';
import { DeviceRuntime, dialHome, SimulatedBackend, TelemetrySender } from '@picolink/device';
import type { DialHome } from '@picolink/device';
import type { ConfiguredDevice } from '@picolink/hub';

/** Most devices `picolink demo --devices` starts. */
export const MAX_DEMO_DEVICES = 2000;
/** Devices that start dialling at once, and the pause between batches, in ms. */
const CONNECT_BATCH = 50;
const CONNECT_BATCH_MS = 20;
/** Telemetry interval of each device, in ms (the agent's default). */
const TELEMETRY_MS = 5000;
/** How often the simulated light changes, in ms; each tick moves a tenth of the devices. */
const TICK_MS = 1000;

export interface DemoCrowdOptions {
  /** How many devices, 1..MAX_DEMO_DEVICES. */
  count: number;
}

export interface DemoCrowd {
  /** The devices for the hub's configuration (ids, tokens, telemetry keys). */
  readonly devices: ConfiguredDevice[];
  /** Starts every device dialling home and sending telemetry. */
  start(hub: { gatewayPort: number; telemetryPort: number }): Promise<void>;
  close(): Promise<void>;
}

/** "pico-001" … with as many digits as the count needs (at least three). */
export function crowdIds(count: number): string[] {
  const width = Math.max(3, String(count).length);
  return Array.from({ length: count }, (_, i) => `pico-${String(i + 1).padStart(width, '0')}`);
}

interface CrowdMember {
  runtime: DeviceRuntime;
  backend: SimulatedBackend;
  /** Volts on its light sensor (ADC0). */
  light: number;
  hub?: DialHome;
  telemetry?: TelemetrySender;
  startTimer?: NodeJS.Timeout;
}

export function createDemoCrowd(options: DemoCrowdOptions): DemoCrowd {
  const devices: ConfiguredDevice[] = crowdIds(options.count).map((id) => ({ id, token: randomBytes(16).toString('hex'), telemetryKey: randomBytes(32).toString('hex') }));
  const members: CrowdMember[] = [];
  let tick: NodeJS.Timeout | undefined;
  let closed = false;

  async function start(hub: { gatewayPort: number; telemetryPort: number }): Promise<void> {
    for (let i = 0; i < devices.length && !closed; i++) {
      const device = devices[i] as ConfiguredDevice;
      const backend = new SimulatedBackend({ ambientC: 18 + (i % 9) });
      const light = 0.3 + 2.5 * Math.random();
      backend.setAdcVoltage(0, light);
      // A thousand devices' connection lines would bury the hub's; the demo reports how many are online.
      const runtime = new DeviceRuntime({ deviceId: device.id, backend });
      await runtime.start();
      const member: CrowdMember = { runtime, backend, light };
      members.push(member);
      member.hub = dialHome({
        runtime,
        hub: { host: '127.0.0.1', port: hub.gatewayPort },
        ...(device.token === undefined ? {} : { token: device.token }),
        backoff: { baseMs: 500, maxMs: 10_000 },
      });
      // Spread over the interval, so readings do not arrive in one burst every 5 s.
      member.startTimer = setTimeout(() => {
        member.telemetry = new TelemetrySender(runtime, {
          host: '127.0.0.1',
          port: hub.telemetryPort,
          intervalMs: TELEMETRY_MS,
          sensors: ['temp_c', 'adc0'],
          ...(device.telemetryKey === undefined ? {} : { key: device.telemetryKey }),
        });
        member.telemetry.start();
      }, Math.random() * TELEMETRY_MS);
      if ((i + 1) % CONNECT_BATCH === 0) await new Promise((resolve) => setTimeout(resolve, CONNECT_BATCH_MS));
    }
    let next = 0;
    tick = setInterval(() => {
      // A tenth of the fleet sees its light change each second.
      const step = Math.max(1, Math.ceil(members.length / 10));
      for (let k = 0; k < step && members.length > 0; k++) {
        const member = members[next % members.length] as CrowdMember;
        next += 1;
        member.light = Math.min(3.3, Math.max(0, member.light + (Math.random() - 0.5) * 0.2));
        member.backend.setAdcVoltage(0, member.light);
      }
    }, TICK_MS);
  }

  return {
    devices,
    start,
    async close() {
      closed = true;
      if (tick !== undefined) clearInterval(tick);
      await Promise.all(
        members.map(async (member) => {
          if (member.startTimer !== undefined) clearTimeout(member.startTimer);
          await member.hub?.close();
          await member.telemetry?.close();
          await member.runtime.close();
        }),
      );
    },
  };
}
