/**
 * `startDemo`: the hub of `picolink demo` with its simulated devices, as one call, for the
 * command, the dashboard's browser tests and the benchmarks. Up to three devices are the
 * classic ones (demo-fleet.ts: server mode, dial-home, telemetry only); more are a crowd
 * of dial-home devices `pico-001`… (demo-crowd.ts).
 */
import { DEFAULT_TELEMETRY_PORT, defaultConfig, startHub } from '@picolink/hub';
import type { HubConfig, RunningHub } from '@picolink/hub';
import { DEFAULT_HUB_GATEWAY_PORT, DEFAULT_HUB_HTTP_PORT, ErrorCode, PicolinkError } from '@picolink/protocol';
import { createDemoCrowd, MAX_DEMO_DEVICES } from './demo-crowd.js';
import type { DemoCrowd } from './demo-crowd.js';
import { DOOR_PIN, GARAGE, KITCHEN, startDemoFleet } from './demo-fleet.js';
import type { DemoFleet } from './demo-fleet.js';

/** Devices of the demo when not told. */
export const DEFAULT_DEMO_DEVICES = 3;
/** How long the demo waits for its devices to come online before it reports, in ms. */
const ONLINE_WAIT_MS = 15_000;

export interface StartDemoOptions {
  /** Simulated devices, 1..2000. Default 3 (pico-kitchen, pico-garage, sensor-garden). */
  devices?: number;
  /** HTTP port; 0 picks every port (HTTP, gateway, telemetry) free. Default 8080 (gateway 12400, telemetry 12401). */
  port?: number;
  /** Address of the HTTP API. Default "127.0.0.1". */
  host?: string;
  /** SQLite database and API token. */
  dataDir: string;
  /** Aborting it stops the demo, as close() does. */
  signal?: AbortSignal;
  /** Receives log lines of the hub and the devices. Default: none. */
  log?: (line: string) => void;
}

export interface RunningDemo {
  hub: RunningHub;
  /** "http://HOST:PORT" of the API and dashboard. */
  url: string;
  /** The API token, or null with auth off. */
  token: string | null;
  /** The dashboard's sign-in link (URL/#token=TOKEN). */
  signInLink: string;
  /** The simulated devices' ids. */
  deviceIds: string[];
  /** The hub's configuration, as started. */
  config: HubConfig;
  /** The classic devices (three or fewer), else undefined. */
  fleet?: DemoFleet;
  /** Stops the hub and the devices. */
  close(): Promise<void>;
}

export function demoConfig(port: number, host: string, dataDir: string): HubConfig {
  const config = defaultConfig();
  config.dataDir = dataDir;
  config.http = { ...config.http, host, port };
  // Everything else stays on this machine.
  config.gateway = { ...config.gateway, host: '127.0.0.1', port: port === 0 ? 0 : DEFAULT_HUB_GATEWAY_PORT };
  config.telemetry = { ...config.telemetry, host: '127.0.0.1', port: port === 0 ? 0 : DEFAULT_TELEMETRY_PORT };
  return config;
}

/** The hub sets things up on the classic devices, as a person would through the API. */
async function prepareDevices(hub: RunningHub, ids: readonly string[], log: (line: string) => void): Promise<void> {
  const steps: Array<[string, Record<string, unknown>]> = [
    [KITCHEN, { action: 'setup_pin', pin: 'LED', mode: 'output', value: 1, safe: 0 }],
    [GARAGE, { action: 'setup_pin', pin: DOOR_PIN, mode: 'input', pull: 'up' }],
    [GARAGE, { action: 'watch_pin', pin: DOOR_PIN, edge: 'both', debounce_ms: 50 }],
  ];
  for (const [deviceId, request] of steps) {
    if (!ids.includes(deviceId)) continue;
    try {
      await hub.commands.send(deviceId, request, 'demo');
    } catch (err) {
      log(`demo: ${String(request.action)} on ${deviceId} failed: ${(err as Error).message}`);
    }
  }
}

async function waitOnline(hub: RunningHub, ids: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ids.every((id) => hub.directory.isOnline(id)) && Date.now() < deadline && signal?.aborted !== true) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts the demo's hub and devices; resolves once the devices are online (or after 15 s). */
export async function startDemo(options: StartDemoOptions): Promise<RunningDemo> {
  const count = options.devices ?? DEFAULT_DEMO_DEVICES;
  if (!Number.isInteger(count) || count < 1 || count > MAX_DEMO_DEVICES) {
    throw new PicolinkError(ErrorCode.USAGE, `the demo runs 1 to ${MAX_DEMO_DEVICES} devices, not ${String(count)}`);
  }
  const log = options.log ?? (() => {});
  const config = demoConfig(options.port ?? DEFAULT_HUB_HTTP_PORT, options.host ?? '127.0.0.1', options.dataDir);
  let fleet: DemoFleet | undefined;
  let crowd: DemoCrowd | undefined;
  if (count <= DEFAULT_DEMO_DEVICES) fleet = await startDemoFleet({ log, count });
  else crowd = createDemoCrowd({ count });
  const devices = fleet?.devices ?? crowd?.devices ?? [];
  const stopDevices = async (): Promise<void> => {
    await fleet?.close();
    await crowd?.close();
  };

  let hub: RunningHub;
  try {
    config.devices = devices;
    hub = await startHub({ config, log });
  } catch (err) {
    await stopDevices();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await hub.close();
      await stopDevices();
    })());
  const ids = devices.map((device) => device.id);
  try {
    await (fleet ?? crowd)?.start(hub);
    // Devices that dial home; the garden sends telemetry only, the kitchen is dialled by the hub.
    const dialling = fleet ? ids.filter((id) => id === KITCHEN || id === GARAGE) : ids;
    await waitOnline(hub, dialling, ONLINE_WAIT_MS, options.signal);
    if (fleet) await prepareDevices(hub, ids, log);
  } catch (err) {
    await close();
    throw err;
  }
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  if (options.signal?.aborted) await close();
  return { hub, url: hub.httpUrl, token: hub.token, signInLink: hub.signInLink, deviceIds: ids, config, ...(fleet ? { fleet } : {}), close };
}
