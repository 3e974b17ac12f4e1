/**
 * Serves a device on a listener the caller has already bound (as tokio's mini-redis
 * does): tests bind port 0, the CLI binds the port it was given, and a shutdown signal
 * ends it. Works with net.Server (plain TCP) and tls.Server (TLS).
 *
 * Slots (docs/protocol.md#connections): at most `maxClients` connections. When a new one
 * arrives and the device is full, the oldest connection that has not yet sent a valid
 * request is evicted to make room, so idle sockets cannot lock controllers out; only
 * when every connection has been served is the newcomer refused.
 */
import type { Server, Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { encodeFrame, ErrorCode } from '@picolink/protocol';
import type { ErrorCodeValue } from '@picolink/protocol';
import type { DeviceRuntime } from './runtime.js';
import { DeviceSession } from './session.js';
import type { SessionOptions } from './session.js';
import { RateLimitedLog, silentLog } from '@picolink/net';
import type { LogSink } from '@picolink/net';

export const DEFAULT_MAX_CLIENTS = 8;
export const DEFAULT_MAX_HELD_EVICTED = 10_000;
/** On shutdown, how long connections get to close before they are destroyed, in ms. */
const SHUTDOWN_GRACE_MS = 500;

export interface ServeDeviceOptions extends Omit<SessionOptions, 'log'> {
  /**
   * A listening net.Server or tls.Server. Create it with `allowHalfOpen: true` so a
   * request sent just before the peer half-closes is still answered.
   */
  listener: Server;
  /** The device, already started (see DeviceRuntime.start). */
  runtime: DeviceRuntime;
  /** Aborting it stops the listener and closes every connection. */
  signal?: AbortSignal;
  /**
   * Most connections at once. When full, the oldest connection that has sent no valid
   * request yet is evicted for the newcomer; if there is none, the newcomer is told
   * PL_ERR_TOO_MANY_CLIENTS and closed. Default 8.
   */
  maxClients?: number;
  /**
   * Evicted connections are held, unread and without a slot, until their hello timeout
   * (so a peer that re-opens what closes has nothing to re-open); past this many, the
   * oldest held one is closed. Each holds a file descriptor. Default 10000.
   */
  maxHeldEvicted?: number;
  /** Receives log lines: connects, disconnects, errors (rate-limited). Default: none. */
  log?: LogSink;
}

/**
 * Accepts connections until `signal` aborts or the listener closes; resolves once the
 * listener and every connection are closed.
 */
export async function serveDevice(options: ServeDeviceOptions): Promise<void> {
  const { listener, runtime, signal } = options;
  const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
  const log = new RateLimitedLog(options.log ?? silentLog);
  const sessionOptions: SessionOptions = { ...options, log };
  const maxHeldEvicted = options.maxHeldEvicted ?? DEFAULT_MAX_HELD_EVICTED;
  const sessions = new Set<DeviceSession>();
  /** Evicted sessions still holding their socket, oldest first. */
  const held = new Set<DeviceSession>();
  const connectionEvent = listener instanceof TlsServer ? 'secureConnection' : 'connection';

  function listenerOnConnection(socket: Socket): void {
    if (!runtime.acceptsConnections()) {
      // Restarting or in deep sleep: the board is not there to answer.
      log.limited('refused', `client ${socket.remoteAddress ?? '?'} refused: device is ${runtime.state}`);
      socket.on('error', ignoreError);
      socket.destroy();
      return;
    }
    if (runtime.connectionCount >= maxClients && !evictOneSquatter()) {
      log.limited('refused', `client ${socket.remoteAddress ?? '?'} refused: ${maxClients} clients already connected`);
      refuse(socket, ErrorCode.TOO_MANY_CLIENTS, `the device already serves ${maxClients} clients; close one and retry`, options.closeGraceMs);
      return;
    }
    let session: DeviceSession;
    try {
      session = new DeviceSession(socket, runtime, sessionOptions);
    } catch (err) {
      // A failure setting up one connection ends that connection only.
      log.limited('internal', `client ${socket.remoteAddress ?? '?'}: ${ErrorCode.INTERNAL}: ${err instanceof Error ? err.message : String(err)}; closing`);
      socket.on('error', ignoreError);
      socket.destroy();
      return;
    }
    sessions.add(session);
    void session.closed.then(() => sessions.delete(session));
  }

  /** Frees a slot held by the oldest connection that has not sent a valid request; false if every connection has. */
  function evictOneSquatter(): boolean {
    // A Set iterates in insertion order: the first evictable session is the oldest.
    for (const session of sessions) {
      if (!session.evictable) continue;
      log.limited('evicted', `client ${session.remote} (#${session.id}) evicted: the device is full and it has sent no request`);
      session.evict(`the device is full (${maxClients} clients) and this connection had sent no request yet; it was closed to make room (send a request right after connecting)`);
      held.add(session);
      void session.closed.then(() => held.delete(session));
      if (held.size > maxHeldEvicted) {
        for (const oldest of held) {
          held.delete(oldest);
          oldest.destroy();
          break;
        }
      }
      return true;
    }
    return false;
  }

  function listenerOnTlsClientError(err: Error, socket: Socket): void {
    log.limited('tls', `TLS handshake with ${socket.remoteAddress ?? '?'} failed: ${err.message}`);
    socket.destroy();
  }

  function listenerOnError(err: Error): void {
    log.always(`listener error: ${err.message}`);
  }

  listener.on(connectionEvent, listenerOnConnection);
  listener.on('tlsClientError', listenerOnTlsClientError);
  listener.on('error', listenerOnError);

  await new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
    listener.once('close', () => resolve());
  });

  listener.off(connectionEvent, listenerOnConnection);
  const listenerClosed = new Promise<void>((resolve) => (listener.listening ? listener.close(() => resolve()) : resolve()));
  for (const session of sessions) session.closeByDevice(ErrorCode.CONNECTION_CLOSED, 'the device is shutting down');
  const graceTimer = setTimeout(() => {
    for (const session of sessions) session.destroy();
  }, Math.min(SHUTDOWN_GRACE_MS, options.closeGraceMs ?? SHUTDOWN_GRACE_MS));
  await Promise.all([...sessions].map((session) => session.closed));
  clearTimeout(graceTimer);
  await listenerClosed;
  listener.off('tlsClientError', listenerOnTlsClientError);
  listener.off('error', listenerOnError);
}

/** Tells a peer why it is not served, then closes. */
function refuse(socket: Socket, code: ErrorCodeValue, message: string, graceMs = 2000): void {
  socket.on('error', ignoreError);
  socket.end(encodeFrame({ event: 'closing', code, error: message }));
  const timer = setTimeout(() => socket.destroy(), graceMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function ignoreError(): void {
  // The socket is being discarded; its errors (e.g. ECONNRESET) change nothing.
}
