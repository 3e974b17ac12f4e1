/**
 * The dial-home device gateway (docs/protocol.md#dial-home, docs/hub.md#gateway): serves
 * an already-listening net.Server or tls.Server. Devices connect, say hello, are checked
 * against the configuration and welcomed, and are then driven through the directory like
 * any other link. One sweep timer does every connection's hello timeout, heartbeat and
 * half-open check, so ten thousand idle devices cost no timers of their own.
 *
 * Connections that have not completed their hello are kept in arrival order; past
 * `maxPendingHellos` of them the oldest is evicted for the newcomer: told why, served no
 * more, and held until its hello timeout (so a peer that re-opens whatever closes finds
 * nothing to re-open). At `maxConnections` an evicted one still held is closed, else the
 * oldest without a hello. Sockets held open without a hello cannot keep devices out.
 */
import type { Server, Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { ErrorCode } from '@picolink/protocol';
import type { RateLimitedLog } from '@picolink/net';
import type { HubConfig } from '../config.js';
import type { DeviceCredentials } from '../credentials.js';
import type { DevicePresence } from '../state/presence.js';
import type { EventRecorder } from '../state/event-recorder.js';
import { HelloAdmission } from './admission.js';
import { GatewayConnection } from './connection.js';
import type { ConnectionTracker } from './connection.js';
import { DEFAULT_GATEWAY_LIMITS, emptyCounters } from './context.js';
import type { GatewayContext, GatewayCounters, GatewayLimits } from './context.js';

export interface GatewayOptions {
  /** A listening net.Server (plain TCP) or tls.Server (TLS); closed by close(). */
  listener: Server;
  /** Devices, tokens and their settings (`devices`), `gateway.heartbeatMs` and `gateway.acceptUnknownDevices`. */
  config: HubConfig;
  /** Records welcomed devices online and their links' end offline (the hub's one DevicePresence). */
  presence: DevicePresence;
  /** Where the devices' pin_change events go (the hub's one EventRecorder). */
  events: EventRecorder;
  /** The hub's log; lines a device can trigger go through its per-kind budget. */
  log: RateLimitedLog;
  /** Limits and timeouts (tests use small ones); see GatewayLimits for the defaults. */
  limits?: Partial<GatewayLimits>;
  /** Who may dial home, with which token: default, `config.devices` alone (startHub adds managed devices). */
  credentials?: DeviceCredentials;
}

export interface GatewayStats extends GatewayCounters {
  /** Connections open now (saying hello, served, or closing). */
  connections: number;
  /** Devices served now. */
  online: number;
}

export interface Gateway {
  stats(): GatewayStats;
  /** Stops accepting, closes every device connection, records them offline; resolves when all is written. */
  close(): Promise<void>;
}

export function startGateway(options: GatewayOptions): Gateway {
  const { listener, config, presence, events, log } = options;
  const limits: GatewayLimits = { ...DEFAULT_GATEWAY_LIMITS, ...options.limits };
  const connections = new Set<GatewayConnection>();
  /** Connections still waiting for their hello, oldest first (a Set iterates in insertion order). */
  const awaitingHello = new Set<GatewayConnection>();
  /** Evicted connections held until their hello timeout, oldest first. */
  const held = new Set<GatewayConnection>();
  const counters = emptyCounters();
  let closing: Promise<void> | undefined;
  let allClosed: (() => void) | undefined;

  const context: GatewayContext = {
    heartbeatMs: config.gateway.heartbeatMs,
    options: limits,
    admission: new HelloAdmission(config, options.credentials),
    presence,
    events,
    log,
    counters,
  };
  const tracker: ConnectionTracker = {
    connectionClosed(connection: GatewayConnection) {
      connections.delete(connection);
      awaitingHello.delete(connection);
      held.delete(connection);
      if (connections.size === 0) allClosed?.();
    },
    helloSettled(connection: GatewayConnection) {
      awaitingHello.delete(connection);
    },
  };

  const connectionEvent = listener instanceof TlsServer ? 'secureConnection' : 'connection';

  function listenerOnConnection(socket: Socket): void {
    counters.accepted += 1;
    if (awaitingHello.size >= limits.maxPendingHellos) evictOldestWithoutHello();
    if (connections.size >= limits.maxConnections && !makeRoom()) {
      counters.overCapacity += 1;
      log.limited('over-capacity', `gateway: ${limits.maxConnections} connections open; refusing ${socket.remoteAddress ?? '?'}`);
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    let connection: GatewayConnection;
    try {
      connection = new GatewayConnection(socket, context, tracker);
    } catch (err) {
      // A failure setting up one connection ends that connection only.
      counters.internalErrors += 1;
      log.limited('internal', `gateway: ${socket.remoteAddress ?? '?'}: ${ErrorCode.INTERNAL}: ${err instanceof Error ? err.message : String(err)}; closing`);
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    connections.add(connection);
    awaitingHello.add(connection);
  }

  /** Takes the oldest connection still without a hello out of those waiting (it is held until its hello timeout); false if there is none. */
  function evictOldestWithoutHello(): boolean {
    for (const oldest of awaitingHello) {
      awaitingHello.delete(oldest);
      counters.evictedBeforeHello += 1;
      log.limited('evicted', `gateway: ${oldest.remote} evicted: ${awaitingHello.size + 1} connections without a hello, and it is the oldest`);
      oldest.evict(`the hub has too many connections that have not said hello, and this one is the oldest; it is served no more (send hello right after connecting)`);
      held.add(oldest);
      return true;
    }
    return false;
  }

  /** At maxConnections: closes an evicted connection still held, else evicts and closes the oldest without a hello; false if every connection is a device's. */
  function makeRoom(): boolean {
    if (held.size === 0 && !evictOldestWithoutHello()) return false;
    for (const oldest of held) {
      held.delete(oldest);
      connections.delete(oldest);
      oldest.destroy();
      return true;
    }
    return false;
  }

  function listenerOnTlsClientError(err: Error, socket: Socket): void {
    log.limited('tls', `gateway: TLS handshake with ${socket.remoteAddress ?? '?'} failed: ${err.message}`);
    socket.destroy();
  }

  function listenerOnError(err: Error): void {
    log.always(`gateway: listener error: ${err.message}`);
  }

  function sweep(): void {
    const now = Date.now();
    for (const connection of connections) {
      try {
        connection.sweep(now);
      } catch (err) {
        connection.internalError(err);
      }
    }
  }

  const sweepMs = Math.max(10, Math.floor(Math.min(config.gateway.heartbeatMs, limits.helloTimeoutMs) / 4));
  const sweepTimer = setInterval(sweep, sweepMs);
  sweepTimer.unref();

  listener.on(connectionEvent, listenerOnConnection);
  listener.on('tlsClientError', listenerOnTlsClientError);
  listener.on('error', listenerOnError);

  async function shutdown(): Promise<void> {
    clearInterval(sweepTimer);
    listener.off(connectionEvent, listenerOnConnection);
    const listenerClosed = new Promise<void>((resolve) => (listener.listening ? listener.close(() => resolve()) : resolve()));
    if (connections.size > 0) {
      const drained = new Promise<void>((resolve) => (allClosed = resolve));
      for (const connection of connections) connection.close('the hub is shutting down', ErrorCode.CONNECTION_CLOSED);
      const force = setTimeout(() => {
        for (const connection of connections) connection.destroy();
      }, limits.closeGraceMs);
      await drained;
      clearTimeout(force);
    }
    await listenerClosed;
    listener.off('tlsClientError', listenerOnTlsClientError);
    listener.off('error', listenerOnError);
    await presence.drain();
    await events.flush();
  }

  return {
    stats(): GatewayStats {
      let online = 0;
      for (const connection of connections) if (connection.serving) online += 1;
      return { ...counters, connections: connections.size, online };
    },
    close(): Promise<void> {
      closing ??= shutdown();
      return closing;
    },
  };
}
