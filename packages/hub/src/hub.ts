/**
 * `startHub`: one hub in one call — store, API token, telemetry ingest, dial-home
 * gateway, links to devices in server mode, state keeping, retention and the HTTP API.
 * Listeners that are given (tests bind port 0; socket activation) are used as they are;
 * the others are bound from the configuration. `close()` (or aborting `signal`) stops
 * everything in the reverse order.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { RateLimitedLog } from '@picolink/net';
import { loadOrCreateApiToken } from './api-token.js';
import { HubCluster } from './cluster/cluster.js';
import { CommandRelay } from './cluster/command-relay.js';
import { HubBus } from './bus.js';
import type { HubConfig } from './config.js';
import { DeviceCredentials } from './credentials.js';
import { DeviceDirectory } from './directory.js';
import { startGateway } from './gateway/gateway.js';
import type { Gateway } from './gateway/gateway.js';
import type { GatewayLimits } from './gateway/context.js';
import { checkAuthPolicy, startHttpApi } from './http/api.js';
import { bindConfiguredUdp, listenConfigured, readConfiguredFile } from './listeners.js';
import type { ApiLimits, HubLog } from './http/context.js';
import type { HttpApi } from './http/api.js';
import { startServerLinks } from './links/server-links.js';
import type { ServerLinks, ServerLinksOptions } from './links/server-links.js';
import { startMqttBridge } from './mqtt/bridge.js';
import { reachableDashboardUrl } from './mqtt/discovery.js';
import type { MqttBridge } from './mqtt/bridge.js';
import { startRetention } from './retention.js';
import { NettoolsSessions } from './nettools/registry.js';
import type { RetentionJob } from './retention.js';
import { DeviceCommands } from './state/device-commands.js';
import { EventRecorder } from './state/event-recorder.js';
import { DevicePresence } from './state/presence.js';
import { openConfiguredStore } from './store/open.js';
import { PostgresStore } from './store/postgres.js';
import type { HubStore } from './store/store.js';
import { startTelemetryIngest } from './telemetry/ingest.js';
import type { TelemetryIngest, TelemetryIngestOptions } from './telemetry/ingest.js';

/** The SQLite file in the data directory. */
export const DATABASE_FILE = 'picolink.db';
/** Trust-on-first-use file for server-mode devices on TLS without a configured fingerprint. */
export const KNOWN_DEVICES_FILE = 'known_devices';

export const HUB_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface HubListeners {
  /** An HTTP server already listening (left open by close()). */
  http?: HttpServer;
  /** The dial-home gateway's net.Server or tls.Server, already listening (closed by close()). */
  gateway?: TcpServer;
  /** A UDP socket already bound, for telemetry (left open by close()). */
  telemetry?: UdpSocket;
}

export interface StartHubOptions {
  config: HubConfig;
  /** Default: the store of `config.store`, else the SQLite file in `config.dataDir` (closed by close()). A given store is left open. */
  store?: HubStore;
  listeners?: HubListeners;
  /** Aborting it closes the hub, as close() does. */
  signal?: AbortSignal;
  /** Receives log lines (no trailing newline). Default: none. */
  log?: HubLog;
  /** Limits of the HTTP API (tests use small ones). */
  apiLimits?: Partial<ApiLimits>;
  /** Limits and timeouts of the dial-home gateway (tests use small ones). */
  gatewayLimits?: Partial<GatewayLimits>;
  /** Reconnect backoff of server-mode links (tests use short ones). */
  serverLinkBackoff?: ServerLinksOptions['backoff'];
  /** Time between retention runs, in ms. Default hourly. */
  retentionIntervalMs?: number;
  /** Waits between telemetry writes while the store is unreachable (tests use short ones). Default { baseMs: 1000, maxMs: 10000 }. */
  storeRetryBackoff?: TelemetryIngestOptions['storeRetryBackoff'];
  /** Reconnect backoff of the cluster channel after its connection drops (tests use fixed ones). Default 1 s doubling to 60 s, Math.random for the jitter. */
  clusterBackoff?: { baseMs?: number; maxMs?: number; random?: () => number };
  /** Waits between reconnects to the MQTT broker (tests use short ones). Default 1 s doubling to 60 s, with jitter. */
  mqttBackoff?: { baseMs?: number; maxMs?: number };
}

export interface RunningHub {
  /** "http://HOST:PORT" of the API ("https://" with `http.tls`). */
  httpUrl: string;
  /** The dashboard's sign-in link: httpUrl + "/#token=TOKEN" (the fragment never reaches a server), or httpUrl + "/" with auth off. */
  signInLink: string;
  httpPort: number;
  /** TCP port of the dial-home gateway. */
  gatewayPort: number;
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
  /** Devices of the configuration and those added through the API, with their secrets. */
  credentials: DeviceCredentials;
  bus: HubBus;
  http: HttpApi;
  telemetry: TelemetryIngest;
  gateway: Gateway;
  serverLinks: ServerLinks;
  /** Sends commands with audit and state keeping (what the API and hub:// links use). */
  commands: DeviceCommands;
  retention: RetentionJob;
  /** Network tools sessions run for the dashboard. */
  nettools: NettoolsSessions;
  /** This hub among the hubs sharing its PostgreSQL store; null with SQLite. */
  cluster: HubCluster | null;
  /** The MQTT bridge (config `mqtt`); null without one. */
  mqtt: MqttBridge | null;
  /** Stops everything; resolves when every socket is closed and the store is flushed. */
  close(): Promise<void>;
}

/** The dial-home listener from `config.gateway`: TLS when a certificate is configured. */
async function bindGateway(config: HubConfig): Promise<TcpServer> {
  const { tls } = config.gateway;
  let server: TcpServer;
  if (tls) {
    const cert = await readConfiguredFile(tls.cert, 'gateway.tls.cert');
    const key = await readConfiguredFile(tls.key, 'gateway.tls.key');
    server = createTlsServer({ cert, key, allowHalfOpen: true });
  } else {
    server = createTcpServer({ allowHalfOpen: true });
  }
  return listenConfigured(server, config.gateway.host, config.gateway.port, 'gateway.port');
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

/** The dashboard's sign-in link: the token in the fragment, which browsers never send. */
export function signInLink(httpUrl: string, token: string | null): string {
  return token === null ? `${httpUrl}/` : `${httpUrl}/#token=${encodeURIComponent(token)}`;
}

export async function startHub(options: StartHubOptions): Promise<RunningHub> {
  const { config } = options;
  // Before anything listens: a hub that may not start must not open ports first.
  checkAuthPolicy(config.http.auth, config.http.host);
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

    const store = options.store ?? (await openConfiguredStore(config.store, join(config.dataDir, DATABASE_FILE), log));
    if (!options.store) stops.push(() => store.close());
    const bus = new HubBus();
    const directory = new DeviceDirectory();
    const credentials = await DeviceCredentials.load(config.devices, store);
    // One of each for the whole hub: lines anyone outside can trigger share one budget per
    // kind, events are stored in one stream of batches, and a device is online the same
    // way whichever link brought it. Flushed last, after everything that records.
    const limitedLog = new RateLimitedLog(log);
    const events = new EventRecorder(store, bus, limitedLog);
    // A hub on PostgreSQL shares its devices with the other hubs on it; with SQLite none of this runs.
    const cluster =
      store instanceof PostgresStore
        ? await HubCluster.start({
            hubId: config.hubId,
            version: HUB_VERSION,
            access: store.cluster,
            store,
            bus,
            directory,
            events,
            log: limitedLog,
            heartbeatMs: config.gateway.heartbeatMs,
            ...(options.clusterBackoff ? { channelBackoff: options.clusterBackoff } : {}),
          })
        : null;
    const presence = new DevicePresence({ store, bus, directory, events, log: limitedLog, ...(cluster ? { claims: cluster } : {}) });
    stops.push(async () => {
      await presence.drain();
      await events.flush();
    });
    // After the links are closed (their rows released) and before the last writes are flushed.
    if (cluster) stops.push(() => cluster.close());

    // Commands for devices another hub holds go through that hub (cluster/command-relay.ts).
    const relay: CommandRelay | undefined = cluster
      ? new CommandRelay({
          hubId: cluster.hubId,
          channel: cluster.channel,
          holderOf: (deviceId) => directory.remote(deviceId)?.hubId,
          execute: (deviceId, request, actor, timeoutMs) => commands.send(deviceId, request, actor, { timeoutMs, localOnly: true }),
          bus,
          log: limitedLog,
          ...(options.gatewayLimits?.requestTimeoutMs === undefined ? {} : { timeoutMs: options.gatewayLimits.requestTimeoutMs }),
        })
      : undefined;
    // Before any link can come up, so that state is re-applied for every device that does.
    const commands: DeviceCommands = new DeviceCommands({ store, bus, directory, events, log: limitedLog, ...(relay ? { remote: relay } : {}) });
    stops.push(() => commands.close());
    if (relay) stops.push(() => relay.close());

    const telemetrySocket = options.listeners?.telemetry ?? (await bindConfiguredUdp(config.telemetry.host, config.telemetry.port, 'telemetry.port'));
    if (!options.listeners?.telemetry) stops.push(() => new Promise<void>((resolve) => telemetrySocket.close(() => resolve())));
    const telemetry = startTelemetryIngest({ socket: telemetrySocket, store, bus, config, credentials, log, storeRetryBackoff: options.storeRetryBackoff });
    stops.push(() => telemetry.close());

    const gatewayListener = options.listeners?.gateway ?? (await bindGateway(config));
    const gateway = startGateway({
      listener: gatewayListener,
      config,
      credentials,
      presence,
      events,
      log: limitedLog,
      ...(options.gatewayLimits ? { limits: options.gatewayLimits } : {}),
    });
    stops.push(() => gateway.close());

    const serverLinks = startServerLinks({
      devices: config.devices,
      directory,
      presence,
      events,
      log: limitedLog,
      heartbeatMs: config.gateway.heartbeatMs,
      knownDevicesFile: join(config.dataDir, KNOWN_DEVICES_FILE),
      ...(options.serverLinkBackoff ? { backoff: options.serverLinkBackoff } : {}),
    });
    stops.push(() => serverLinks.close());

    const retention = startRetention({ store, retentionDays: config.retentionDays, log, ...(options.retentionIntervalMs ? { intervalMs: options.retentionIntervalMs } : {}) });
    stops.push(() => retention.close());

    const nettools = new NettoolsSessions(config.nettools, log);
    stops.push(() => nettools.close());

    const http = await startHttpApi({
      nettools,
      config,
      store,
      directory,
      credentials,
      bus,
      token,
      ports: { gateway: (gatewayListener.address() as AddressInfo).port, telemetry: (telemetrySocket.address() as AddressInfo).port },
      sendCommand: commands.send,
      telemetryStats: (deviceId) => telemetry.stats(deviceId),
      telemetryWriter: () => telemetry.writer,
      log,
      limitedLog,
      version: HUB_VERSION,
      startedAt: Date.now(),
      mqttStats: () => mqtt?.stats() ?? null,
      ...(options.apiLimits ? { limits: options.apiLimits } : {}),
      ...(options.listeners?.http ? { server: options.listeners.http } : {}),
    });
    stops.push(() => http.close());

    // Last, so that its first republish finds the links up; closed first, marking the hub offline.
    const mqtt: MqttBridge | null = config.mqtt
      ? await startMqttBridge({
          config: config.mqtt,
          bus,
          commands,
          directory,
          store,
          credentials,
          hubId: config.hubId,
          dashboardUrl: reachableDashboardUrl(http.url, hostname()),
          version: HUB_VERSION,
          log: limitedLog,
          telemetry,
          cluster: cluster !== null,
          ...(options.mqttBackoff ? { backoff: options.mqttBackoff } : {}),
        })
      : null;
    if (mqtt) stops.push(() => mqtt.close());

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => (closing ??= stopAll());
    const closeOnAbort = (): void => void close().catch((err: unknown) => log(`hub: close failed: ${String(err)}`));
    options.signal?.addEventListener('abort', closeOnAbort, { once: true });
    if (options.signal?.aborted) closeOnAbort();
    return {
      httpUrl: http.url,
      signInLink: signInLink(http.url, token),
      httpPort: http.port,
      gatewayPort: (gatewayListener.address() as AddressInfo).port,
      telemetryPort: (telemetrySocket.address() as AddressInfo).port,
      token,
      tokenPath,
      tokenCreated,
      store,
      directory,
      credentials,
      bus,
      http,
      telemetry,
      gateway,
      serverLinks,
      commands,
      retention,
      nettools,
      cluster,
      mqtt,
      close,
    };
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
}
