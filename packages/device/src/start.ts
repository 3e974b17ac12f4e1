/**
 * `startDevice`: a complete device in one call — runtime, TCP or TLS listener, telemetry —
 * for the CLI, the demo, benchmarks and tests.
 */
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { listenOn } from '@picolink/net';
import { DEFAULT_DEVICE_PORT } from '@picolink/protocol';
import type { GpioBackend } from './gpio/backend.js';
import { SimulatedBackend } from './gpio/simulated.js';
import { DirectoryFirmwareStore } from './firmware/directory-store.js';
import type { FirmwareStore } from './firmware/store.js';
import { DeviceRuntime } from './runtime.js';
import type { DeviceRuntimeOptions } from './runtime.js';
import { serveDevice } from './server.js';
import type { ServeDeviceOptions } from './server.js';
import { DEFAULT_HELLO_TIMEOUT_MS } from './session.js';
import { dialHome } from './dial-home.js';
import type { DialHome, DialHomeOptions } from './dial-home.js';
import { TelemetrySender } from './telemetry/sender.js';
import type { TelemetryOptions } from './telemetry/sender.js';

export interface DeviceOptions<B extends GpioBackend = GpioBackend>
  extends Omit<DeviceRuntimeOptions, 'backend' | 'firmware'>,
    Omit<ServeDeviceOptions, 'listener' | 'runtime' | 'signal'> {
  /** Address to listen on. Default "127.0.0.1" (this machine only; "0.0.0.0" for the network). */
  host?: string;
  /** TCP port; 0 picks a free one. Default 12345. */
  port?: number;
  /** Serve TLS with this certificate and key (PEM). Default: plain TCP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Hardware backend. Default: a new SimulatedBackend. */
  backend?: B;
  /** Firmware file store for `update`. Default: files in `filesDir`, else in memory. */
  firmware?: FirmwareStore;
  /** Keep firmware files in this directory (real files; `.new`, `.bak`, update marker). */
  filesDir?: string;
  /** Send UDP telemetry. Default: none. */
  telemetry?: TelemetryOptions;
  /**
   * Also dial home to a hub (docs/protocol.md#dial-home) and serve it over that
   * connection, reconnecting with backoff: `{ hub: { host, port, tls? }, token?, ... }`,
   * or `hub: [...]` several addresses dialled in order.
   * The device still listens on `host`/`port` as well. Default: none.
   */
  hub?: Omit<DialHomeOptions, 'runtime' | 'signal' | 'log'>;
  /** Aborting it closes the device, as close() does. */
  signal?: AbortSignal;
}

export interface RunningDevice<B extends GpioBackend = GpioBackend> {
  /** Where to reach it: "tcp://HOST:PORT" or "tls://HOST:PORT". */
  url: string;
  host: string;
  /** The port actually bound (useful with port 0). */
  port: number;
  runtime: DeviceRuntime;
  backend: B;
  /** The telemetry sender, when telemetry was configured. */
  telemetry?: TelemetrySender;
  /** The link to the hub, when `hub` was configured. */
  hub?: DialHome;
  /** Stops listening, closes every connection and the telemetry socket, clears all timers. */
  close(): Promise<void>;
}

/** Starts a device and listens; resolves once it accepts connections. */
export async function startDevice<B extends GpioBackend = SimulatedBackend>(options: DeviceOptions<B> = {}): Promise<RunningDevice<B>> {
  const backend = options.backend ?? (new SimulatedBackend() as GpioBackend as B);
  const firmware = options.firmware ?? (options.filesDir !== undefined ? new DirectoryFirmwareStore(options.filesDir) : undefined);
  const runtime = new DeviceRuntime({ ...options, backend, ...(firmware ? { firmware } : {}) });
  await runtime.start();

  const listener: Server = options.tls
    ? createTlsServer({
        cert: options.tls.cert,
        key: options.tls.key,
        allowHalfOpen: true,
        handshakeTimeout: options.helloTimeoutMs || DEFAULT_HELLO_TIMEOUT_MS,
      })
    : createTcpServer({ allowHalfOpen: true });
  try {
    // A busy port is PL_ERR_LISTEN_FAILED naming the address (`picolink device` exits 3 on it).
    await listenOn(listener, options.host ?? '127.0.0.1', options.port ?? DEFAULT_DEVICE_PORT);
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const address = listener.address() as AddressInfo;
  const host = address.address;

  const shutdown = new AbortController();
  const serving = serveDevice({ ...options, listener, runtime, signal: shutdown.signal });
  let telemetry: TelemetrySender | undefined;
  let hub: DialHome | undefined;
  try {
    if (options.telemetry) {
      telemetry = new TelemetrySender(runtime, { ...(options.log ? { log: options.log } : {}), ...options.telemetry });
      telemetry.start();
    }
    if (options.hub) hub = dialHome({ ...options.hub, runtime, ...(options.log ? { log: options.log } : {}) });
  } catch (err) {
    shutdown.abort();
    await serving;
    await telemetry?.close();
    await runtime.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shutdown.abort();
      await Promise.all([serving, hub?.close()]);
      await telemetry?.close();
      await runtime.close();
    })();
    return closing;
  };
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  if (options.signal?.aborted) await close();

  const scheme = options.tls ? 'tls' : 'tcp';
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const device: RunningDevice<B> = { url: `${scheme}://${urlHost}:${address.port}`, host, port: address.port, runtime, backend, close };
  if (telemetry) device.telemetry = telemetry;
  if (hub) device.hub = hub;
  return device;
}
