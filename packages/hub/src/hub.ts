/**
 * `startHub`: one hub in one call — store, API token, telemetry ingest, dial-home
 * gateway, links to devices in server mode, state keeping, retention and the HTTP API.
 * Listeners that are given (tests bind port 0; socket activation) are used as they are;
 * the others are bound from the configuration. `close()` (or aborting `signal`) stops
 * everything in the reverse order.
 */
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { isIPv6 } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { loadOrCreateApiToken } from './api-token.js';
import { HubBus } from './bus.js';
import type { HubConfig } from './config.js';
import { DeviceDirectory } from './directory.js';
import { startHttpApi } from './http/api.js';
import type { ApiLimits, HubLog, SendCommand } from './http/context.js';
import type { HttpApi } from './http/api.js';
import { openSqliteStore } from './store/sqlite.js';
import type { HubStore } from './store/store.js';
import { startTelemetryIngest } from './telemetry/ingest.js';
import type { TelemetryIngest } from './telemetry/ingest.js';

/** The SQLite file in the data directory. */
export const DATABASE_FILE = 'picolink.db';

export const HUB_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface HubListeners {
  /** An HTTP server already listening. */
  http?: HttpServer;
  /** A UDP socket already bound, for telemetry. */
  telemetry?: UdpSocket;
}

export interface StartHubOptions {
  config: HubConfig;
  /** Default: the SQLite store in `config.dataDir` (closed by close()). A given store is left open. */
  store?: HubStore;
  listeners?: HubListeners;
  /** Aborting it closes the hub, as close() does. */
  signal?: AbortSignal;
  /** Receives log lines (no trailing newline). Default: none. */
  log?: HubLog;
  /** Limits of the HTTP API (tests use small ones). */
  apiLimits?: Partial<ApiLimits>;
}

export interface RunningHub {
  /** "http://HOST:PORT" of the API. */
  httpUrl: string;
  httpPort: number;
  /** UDP port receiving telemetry. */
  telemetryPort: number;
  /** The API token, or null when auth is off. */
  token: string | null;
  /** Where the token is kept, or null when auth is off. */
  tokenPath: string | null;
  /** True when this start drew a new token. */
  tokenCreated: boolean;
  store: HubStore;
  directory: DeviceDirectory;
  bus: HubBus;
  http: HttpApi;
  telemetry: TelemetryIngest;
  /** Stops everything; resolves when every socket is closed and the store is flushed. */
  close(): Promise<void>;
}

function bindUdp(host: string, port: number): Promise<UdpSocket> {
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  return new Promise((resolve, reject) => {
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      reject(new PicolinkError(ErrorCode.CONFIG, `the hub cannot receive telemetry on UDP ${host}:${port}: ${err.code ?? err.message}; pick another "telemetry.port"`));
    });
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/** Runs `steps` in order, each even if an earlier one failed; rethrows the first failure. */
async function runAll(steps: ReadonlyArray<() => Promise<void> | void>): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

export async function startHub(options: StartHubOptions): Promise<RunningHub> {
  const { config } = options;
  const log = options.log ?? (() => {});
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = (): Promise<void> => runAll([...stops].reverse());
  try {
    let token: string | null = null;
    let tokenPath: string | null = null;
    let tokenCreated = false;
    if (config.http.auth) {
      ({ token, path: tokenPath, created: tokenCreated } = await loadOrCreateApiToken(config.dataDir));
    }

    const store = options.store ?? (await openSqliteStore({ path: join(config.dataDir, DATABASE_FILE) }));
    if (!options.store) stops.push(() => store.close());
    const bus = new HubBus();
    const directory = new DeviceDirectory();

    const telemetrySocket = options.listeners?.telemetry ?? (await bindUdp(config.telemetry.host, config.telemetry.port));
    if (!options.listeners?.telemetry) stops.push(() => new Promise<void>((resolve) => telemetrySocket.close(() => resolve())));
    const telemetry = startTelemetryIngest({ socket: telemetrySocket, store, bus, config, log });
    stops.push(() => telemetry.close());

    const sendCommand: SendCommand = (deviceId, request) => directory.require(deviceId).send(request);

    const http = await startHttpApi({
      config,
      store,
      directory,
      bus,
      token,
      sendCommand,
      telemetryStats: (deviceId) => telemetry.stats(deviceId),
      log,
      version: HUB_VERSION,
      startedAt: Date.now(),
      ...(options.apiLimits ? { limits: options.apiLimits } : {}),
      ...(options.listeners?.http ? { server: options.listeners.http } : {}),
    });
    stops.push(() => http.close());

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => (closing ??= stopAll());
    options.signal?.addEventListener('abort', () => void close().catch((err: unknown) => log(`hub: close failed: ${String(err)}`)), { once: true });
    return {
      httpUrl: http.url,
      httpPort: http.port,
      telemetryPort: (telemetrySocket.address() as AddressInfo).port,
      token,
      tokenPath,
      tokenCreated,
      store,
      directory,
      bus,
      http,
      telemetry,
      close,
    };
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
}
