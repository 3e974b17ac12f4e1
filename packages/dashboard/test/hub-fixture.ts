/**
 * A hub for the browser tests: startHub on 127.0.0.1 with every port 0, SQLite in a
 * temp directory, heartbeats of 1 s, and simulated devices dialling home in this process
 * (so a test can flip an input or read a pin's level on the device itself).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimulatedBackend, startDevice } from '@picolink/device';
import type { RunningDevice } from '@picolink/device';
import { parseConfig, startHub } from '@picolink/hub';
import type { RunningHub } from '@picolink/hub';

export const HEARTBEAT_MS = 1000;
/** The picolink command, as `npx picolink` runs it. */
export const CLI = fileURLToPath(new URL('../../../cli/bin/picolink.js', import.meta.url));

/** `picolink device --sim --hub 127.0.0.1:PORT --token TOKEN --id ID` in a child process; killed on close. */
export function spawnSimDevice(gatewayPort: number, id: string, token: string): ChildProcess {
  return spawn(process.execPath, [CLI, 'device', '--sim', '--hub', `127.0.0.1:${gatewayPort}`, '--token', token, '--id', id], { stdio: 'ignore' });
}

/** Kills a child (waking it first if it was stopped) and waits for its exit. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

export interface TestDevice {
  id: string;
  token: string;
  device: RunningDevice<SimulatedBackend>;
}

export interface BrowserTestHub {
  hub: RunningHub;
  url: string;
  token: string;
  devices: Map<string, TestDevice>;
  /** The sign-in link `picolink hub` prints. */
  signInLink(): string;
  /** fetch with the bearer token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  startDevice(id: string, options?: { telemetryMs?: number }): Promise<TestDevice>;
  /** Starts `picolink device --sim` dialling home as `id`; resolves once it is online. */
  startDeviceProcess(id: string): Promise<ChildProcess>;
  close(): Promise<void>;
}

/** Polls `condition` every 20 ms for at most `ms`. */
export async function until<T>(condition: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A hub whose configuration lists `ids` (token `token-ID`), each started as a simulated device. */
export async function startBrowserTestHub(
  ids: readonly string[],
  options: {
    telemetryMs?: number;
    started?: readonly string[];
    /** The hub's `nettools` configuration (docs/hub.md). */
    nettools?: Record<string, number | string>;
    /** The hub's `mqtt` configuration (docs/mqtt.md); the bridge reconnects within 50–300 ms. */
    mqtt?: { url: string };
  } = {},
): Promise<BrowserTestHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'picolink-dash-'));
  const config = parseConfig({
    dataDir,
    http: { host: '127.0.0.1', port: 0 },
    gateway: { host: '127.0.0.1', port: 0, heartbeatMs: HEARTBEAT_MS },
    telemetry: { host: '127.0.0.1', port: 0 },
    devices: ids.map((id) => ({ id, token: `token-${id}` })),
    ...(options.nettools === undefined ? {} : { nettools: options.nettools }),
    ...(options.mqtt === undefined ? {} : { mqtt: options.mqtt }),
  });
  const log: string[] = [];
  let hub: RunningHub;
  try {
    hub = await startHub({ config, log: (line) => log.push(line), mqttBackoff: { baseMs: 50, maxMs: 300 } });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const token = hub.token ?? '';
  const devices = new Map<string, TestDevice>();
  const children: ChildProcess[] = [];
  const self: BrowserTestHub = {
    hub,
    url: hub.httpUrl,
    token,
    devices,
    signInLink: () => `${hub.httpUrl}/#token=${encodeURIComponent(token)}`,
    api: (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      return fetch(hub.httpUrl + path, { ...init, headers });
    },
    async startDevice(id, deviceOptions = {}) {
      const telemetryMs = deviceOptions.telemetryMs ?? options.telemetryMs ?? 250;
      const device = await startDevice({
        deviceId: id,
        host: '127.0.0.1',
        port: 0,
        backend: new SimulatedBackend({ ambientC: 21 }),
        log: () => undefined,
        hub: { hub: { host: '127.0.0.1', port: hub.gatewayPort }, token: `token-${id}`, backoff: { baseMs: 100, maxMs: 500 } },
        telemetry: { host: '127.0.0.1', port: hub.telemetryPort, deviceId: id, intervalMs: telemetryMs, sensors: ['temp_c', 'adc0'] },
      });
      const entry = { id, token: `token-${id}`, device };
      devices.set(id, entry);
      await until(() => hub.directory.isOnline(id), `${id} online`);
      return entry;
    },
    async startDeviceProcess(id) {
      const child = spawnSimDevice(hub.gatewayPort, id, `token-${id}`);
      children.push(child);
      await until(() => hub.directory.isOnline(id), `${id} (child process) online`, 15_000);
      return child;
    },
    async close() {
      await Promise.all(children.map(killChild));
      await Promise.all([...devices.values()].map((d) => d.device.close()));
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    for (const id of options.started ?? ids) await self.startDevice(id);
  } catch (err) {
    await self.close();
    throw err;
  }
  return self;
}
