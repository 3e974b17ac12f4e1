/**
 * Real parts for the gateway, server-link and state tests: a gateway on a TCP (or TLS)
 * listener bound to 127.0.0.1:0, the SQLite store in a temp directory, the commands
 * service, and helpers to restart the whole hub on the same port and file, to run
 * simulated devices that dial home, and to play a device line by line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceRuntime, dialHome, SimulatedBackend } from '@picolink/device';
import { LineClient } from '@picolink/test-kit/line-client';
import type { DialHome, DialHomeOptions } from '@picolink/device';
import { HubBus } from '../src/bus.js';
import { parseConfig } from '../src/config.js';
import type { HubConfig } from '../src/config.js';
import { DeviceDirectory } from '../src/directory.js';
import { startGateway } from '../src/gateway/gateway.js';
import type { Gateway } from '../src/gateway/gateway.js';
import type { GatewayLimits } from '../src/gateway/context.js';
import { RateLimitedLog } from '@picolink/net';
import { DeviceCommands } from '../src/state/device-commands.js';
import { EventRecorder } from '../src/state/event-recorder.js';
import { DevicePresence } from '../src/state/presence.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { SqliteStore } from '../src/store/sqlite.js';
import type { HubEventRecord } from '../src/store/store.js';

interface TestContext {
  after(fn: () => unknown): void;
}

export { until } from './api-fixture.js';

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface GatewayHubOptions {
  /** Configuration keys (gateway section merged over { heartbeatMs: 1000 }). */
  config?: Record<string, unknown>;
  limits?: Partial<GatewayLimits>;
  tls?: { cert: string; key: string };
}

/** A running hub made of the gateway's parts, restartable on the same port and file. */
export class GatewayHub {
  port = 0;
  readonly logs: string[] = [];
  /** Every bus event, across restarts. */
  readonly events: HubEventRecord[] = [];
  store!: SqliteStore;
  bus!: HubBus;
  directory!: DeviceDirectory;
  /** The log, event recorder and presence the hub's parts share, as startHub builds them. */
  limitedLog!: RateLimitedLog;
  recorder!: EventRecorder;
  presence!: DevicePresence;
  commands!: DeviceCommands;
  gateway!: Gateway;
  config: HubConfig;
  private listener!: Server;
  private running = false;

  private constructor(
    readonly dir: string,
    private readonly options: GatewayHubOptions,
  ) {
    const raw = options.config ?? {};
    this.config = parseConfig({ ...raw, dataDir: dir, gateway: { host: '127.0.0.1', port: 0, heartbeatMs: 1000, ...(raw.gateway as object | undefined) } });
  }

  static async start(t: TestContext, options: GatewayHubOptions = {}): Promise<GatewayHub> {
    const hub = new GatewayHub(mkdtempSync(join(tmpdir(), 'picolink-gateway-')), options);
    t.after(async () => {
      await hub.stop();
      rmSync(hub.dir, { recursive: true, force: true });
    });
    await hub.begin(0);
    return hub;
  }

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Stops the hub (devices see the connection drop), then starts it again on the same port with the same file. */
  async restart(pauseMs = 0): Promise<void> {
    await this.stop();
    if (pauseMs > 0) await delay(pauseMs);
    await this.begin(this.port);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.gateway.close();
    await this.commands.close();
    await this.presence.drain();
    await this.recorder.flush();
    await this.store.close();
  }

  /** Events of one type for one device, from the store. */
  storedEvents(deviceId: string, type: string): Promise<HubEventRecord[]> {
    return this.store.listEvents({ deviceId, type, limit: 1000 });
  }

  private async begin(port: number): Promise<void> {
    this.store = await openSqliteStore({ path: join(this.dir, 'picolink.db') });
    this.bus = new HubBus();
    this.bus.on('event', (event) => this.events.push(event));
    this.directory = new DeviceDirectory();
    this.limitedLog = new RateLimitedLog((line) => this.logs.push(line));
    this.recorder = new EventRecorder(this.store, this.bus, this.limitedLog);
    this.presence = new DevicePresence({ store: this.store, bus: this.bus, directory: this.directory, events: this.recorder, log: this.limitedLog });
    this.commands = new DeviceCommands({ store: this.store, bus: this.bus, directory: this.directory, events: this.recorder, log: this.limitedLog });
    this.listener = this.options.tls ? createTlsServer({ cert: this.options.tls.cert, key: this.options.tls.key }) : createTcpServer();
    await new Promise<void>((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.listener.address() as AddressInfo).port;
    this.gateway = startGateway({
      listener: this.listener,
      config: this.config,
      presence: this.presence,
      events: this.recorder,
      log: this.limitedLog,
      limits: { closeGraceMs: 200, ...this.options.limits },
    });
    this.running = true;
  }
}

export interface SimDevice {
  runtime: DeviceRuntime;
  backend: SimulatedBackend;
  link: DialHome;
  /** Resolves at the next welcome. */
  welcomed(): Promise<unknown>;
}

/** A simulated Pico W dialing home to `hub`; closed when the test ends. */
export async function dialingDevice(t: TestContext, hub: GatewayHub, deviceId: string, options: Partial<DialHomeOptions> = {}): Promise<SimDevice> {
  const backend = new SimulatedBackend();
  const runtime = new DeviceRuntime({ deviceId, backend, actionDelayMs: 30 });
  await runtime.start();
  const link = dialHome({ runtime, hub: { host: '127.0.0.1', port: hub.port }, backoff: { baseMs: 20, maxMs: 200 }, ...options });
  t.after(async () => {
    await link.close();
    await runtime.close();
  });
  return { runtime, backend, link, welcomed: () => new Promise((resolve) => link.once('welcome', resolve)) };
}

type Message = Record<string, unknown>;

/** A device played by the test: raw lines over a real socket (the test kit's line client). */
export type RawDevice = LineClient;

/** How long a raw device waits for a frame by default, in ms. */
const RAW_DEVICE_WAIT_MS = 3000;

export const RawDevice = {
  async connect(t: TestContext, port: number): Promise<RawDevice> {
    const device = await LineClient.connect(port, { timeoutMs: RAW_DEVICE_WAIT_MS });
    t.after(() => device.close());
    return device;
  },

  /** Connects and says hello; resolves with the hub's answer. */
  async hello(t: TestContext, port: number, fields: Message): Promise<{ device: RawDevice; answer: Message }> {
    const device = await RawDevice.connect(t, port);
    device.send({ id: 1, action: 'hello', protocol: 1, firmware: 'raw-1', capabilities: ['pipeline', 'events'], boot: 1, ...fields });
    return { device, answer: await device.next((m) => m.id === 1 && typeof m.ok === 'boolean') };
  },
};
