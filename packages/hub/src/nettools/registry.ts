/**
 * The hub's network tools sessions: at most `maxSessions` at once, each with its own
 * sockets, log and limits (config `nettools`). One tick every {@link TICK_MS} announces
 * changed counters and stops sessions idle longer than `idleTimeoutMs`. Built once by
 * startHub and closed with the hub: every socket and timer.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { NettoolsConfig } from '../config.js';
import { hubAddresses } from './addresses.js';
import type { HubAddresses } from '../api-types.js';
import { NetSession, noSuchSession } from './session.js';
import type { SessionSpec } from './session.js';

/** What opening a session asks for, as the HTTP routes read it from a request. */
export type { SessionSpec };
import type { NettoolsEvent, SessionInfo } from '@picolink/nettools/core';

/** How often counters are announced and idle sessions looked for, in ms. */
export const TICK_MS = 250;

export type NettoolsListener = (event: NettoolsEvent) => void;

/** PL_ERR_OUT_OF_RANGE for a local port a normal user may not bind. */
export function checkLocalPort(port: number): void {
  if (port >= 1 && port <= 1023) {
    throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `local port ${port}: ports below 1024 need root; use 1024-65535 or 0 for any free port`);
  }
}

export class NettoolsSessions {
  private readonly sessions = new Map<string, NetSession>();
  private readonly listeners = new Set<NettoolsListener>();
  private readonly tick: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly limits: NettoolsConfig,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.tick = setInterval(() => this.onTick(), TICK_MS);
    this.tick.unref();
  }

  /** Receives every session change, log entry and removal; returns the unsubscribe. */
  subscribe(listener: NettoolsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** This machine's addresses, for a person to type into the board's code. */
  addresses(): HubAddresses {
    return hubAddresses();
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((session) => session.describe());
  }

  /** The session without touching it (the hub's own bookkeeping), or undefined. */
  find(id: string): NetSession | undefined {
    return this.sessions.get(id);
  }

  /** The session, touched (a request named it); PL_ERR_NOT_FOUND when there is none. */
  get(id: string): NetSession {
    const session = this.sessions.get(id);
    if (!session) throw noSuchSession(id);
    session.touch();
    return session;
  }

  /**
   * Opens a session and starts it: servers and UDP are bound when this resolves (a port in
   * use rejects with PL_ERR_LISTEN_FAILED and nothing is kept); clients are connecting.
   */
  async open(spec: SessionSpec): Promise<NetSession> {
    if (this.closed) throw new PicolinkError(ErrorCode.CONNECTION_CLOSED, 'the hub is shutting down');
    if (spec.localPort !== undefined) checkLocalPort(spec.localPort);
    if (this.sessions.size >= this.limits.maxSessions) {
      throw new PicolinkError(ErrorCode.RATE_LIMITED, `${this.sessions.size} network tools sessions are open, the limit ("nettools.maxSessions"); close one first`);
    }
    const id = randomBytes(6).toString('hex');
    const session = new NetSession(id, { bindHost: this.limits.bindHost, ...spec }, { logBytes: this.limits.logBytes, maxReceiveBytesPerSecond: this.limits.maxReceiveBytesPerSecond, maxMessageBytes: this.limits.maxSendBytes, maxSendsPerSecond: this.limits.maxSendsPerSecond }, (event) =>
      this.publish(event),
    );
    this.sessions.set(id, session);
    if (spec.kind === 'tcp-client' || spec.kind === 'tls-client') {
      session.start().catch(() => {});
      return session;
    }
    try {
      await session.start();
    } catch (err) {
      this.sessions.delete(id);
      await session.stop();
      this.publish({ type: 'closed', id });
      throw err;
    }
    return session;
  }

  /** Stops and forgets a session. */
  async remove(id: string): Promise<void> {
    const session = this.get(id);
    this.sessions.delete(id);
    await session.stop();
    this.publish({ type: 'closed', id });
  }

  /** Stops every session and the tick; resolves when every port is free. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.tick);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((session) => session.stop('the hub is shutting down')));
    this.listeners.clear();
  }

  private publish(event: NettoolsEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log(`nettools: a listener failed (${ErrorCode.INTERNAL}): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private onTick(): void {
    const now = Date.now();
    const idleMs = this.limits.idleTimeoutMs;
    for (const session of this.sessions.values()) {
      if (idleMs > 0 && session.active && now - session.lastActivity > idleMs) {
        void session.stop(`idle for ${Math.round((now - session.lastActivity) / 1000)} s: stopped`).catch(() => {});
        continue;
      }
      if (session.takeDirty(now)) session.announce();
    }
  }
}
