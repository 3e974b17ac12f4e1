/**
 * One network tools session: its transport (tcp-client, tcp-server, udp, tls-client), its
 * bounded log, flood control, repeats and counters. State changes are announced at once;
 * counters are announced by the registry's tick ({@link NetSession.takeDirty}), so a
 * flood does not turn into a flood of WebSocket messages.
 */
import { ErrorCode, PicolinkError, toPicolinkError } from '@picolink/protocol';
import { createFramer } from '@picolink/nettools/core';
import type { Framing, MessageFramer } from '@picolink/nettools/core';
import { hostPort } from '@picolink/net';
import { ReceiveBudget } from './receive-budget.js';
import { Repeats } from './repeats.js';
import { SessionLog } from './session-log.js';
import { TcpClientTransport } from './tcp-client.js';
import { TcpServerTransport } from './tcp-server.js';
import type { SendTarget, Transport, TransportEvents } from './transport.js';
import type { LogEntry, NettoolsEvent, SessionInfo, SessionKind, SessionState } from '@picolink/nettools/core';
import { UdpTransport } from './udp.js';
import { TokenBucket } from '@picolink/net';

export interface SessionSpec {
  kind: SessionKind;
  name: string;
  framing: Framing;
  /** Remote host and port (clients; udp: default destination). */
  host?: string | undefined;
  port?: number | undefined;
  /** Local port (tcp-server, udp); 0 = any free port. */
  localPort?: number | undefined;
  /** Address a tcp-server or udp session binds to. Default "0.0.0.0". */
  bindHost?: string | undefined;
  /** tls-client: pinned certificate fingerprint. */
  fingerprint?: string | undefined;
}

export interface SessionLimits {
  logBytes: number;
  maxReceiveBytesPerSecond: number;
  /** Longest message held while waiting for its delimiter, bytes. */
  maxMessageBytes: number;
  /** Sends a page or script may ask for per second (repeats are bounded on their own). */
  maxSendsPerSecond: number;
}

export class NetSession {
  readonly createdAt = Date.now();
  lastActivity = this.createdAt;
  state: SessionState = 'stopped';
  private error: { code: string; message: string } | undefined;
  private bytesIn = 0;
  private bytesOut = 0;
  readonly log: SessionLog;
  private readonly budget: ReceiveBudget;
  private readonly framers = new Map<string, MessageFramer>();
  readonly repeats: Repeats;
  /** Budget of asked-for sends: one token a send, `maxSendsPerSecond` a second. */
  private readonly sendRequests: TokenBucket;
  private readonly maxSendsPerSecond: number;
  private readonly transport: Transport;
  /** Counters changed since the last announcement. */
  private dirty = false;
  /** Bumped by stop(): a connect that finishes after it is ignored. */
  private generation = 0;
  /** Log entries a WebSocket page could not take (counted with the log's own drops). */
  droppedForPages = 0;

  constructor(
    readonly id: string,
    readonly spec: SessionSpec,
    limits: SessionLimits,
    private readonly emit: (event: NettoolsEvent) => void,
  ) {
    this.log = new SessionLog(limits.logBytes);
    this.budget = new ReceiveBudget(limits.maxReceiveBytesPerSecond);
    this.repeats = new Repeats(() => this.announce());
    this.maxSendsPerSecond = limits.maxSendsPerSecond;
    this.sendRequests = new TokenBucket(limits.maxSendsPerSecond, Date.now());
    const events: TransportEvents = {
      data: (bytes, peer, stream, pause) => this.received(bytes, peer, stream, pause, limits.maxMessageBytes),
      info: (text) => this.info(text),
      ended: (reason, error) => this.ended(reason, error),
      peersChanged: () => {
        const live = new Set((this.transport.peers ?? []).map((p) => p.id));
        for (const key of this.framers.keys()) if (!live.has(key)) this.framers.delete(key);
        this.announce();
      },
    };
    const bindHost = spec.bindHost ?? '0.0.0.0';
    if (spec.kind === 'tcp-server') this.transport = new TcpServerTransport(bindHost, spec.localPort ?? 0, events);
    else if (spec.kind === 'udp') this.transport = new UdpTransport(bindHost, spec.localPort ?? 0, events);
    else this.transport = new TcpClientTransport({ host: spec.host ?? '', port: spec.port ?? 0, ...(spec.kind === 'tls-client' ? { tls: { fingerprint: spec.fingerprint } } : {}) }, events);
  }

  get active(): boolean {
    return this.state === 'connecting' || this.state === 'open' || this.state === 'listening';
  }

  describe(): SessionInfo {
    const { spec } = this;
    const info: SessionInfo = {
      id: this.id,
      kind: spec.kind,
      name: spec.name,
      state: this.state,
      framing: spec.framing,
      createdAt: this.createdAt,
      lastActivity: this.lastActivity,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      droppedBytes: this.budget.dropped,
      droppedEntries: this.log.dropped + this.droppedForPages,
      repeats: this.repeats.list,
    };
    if (spec.host !== undefined) info.host = spec.host;
    if (spec.port !== undefined) info.port = spec.port;
    const localPort = this.transport.localPort ?? spec.localPort;
    if (localPort !== undefined && (spec.kind === 'tcp-server' || spec.kind === 'udp')) info.localPort = localPort;
    if (this.transport.fingerprint !== undefined) info.fingerprint = this.transport.fingerprint;
    if (spec.kind === 'tcp-server') info.peers = this.transport.peers ?? [];
    if (this.error) info.error = this.error;
    return info;
  }

  /** A person or the page acted on the session: it is not idle. */
  touch(now = Date.now()): void {
    this.lastActivity = now;
  }

  /** Connects, listens or binds. Rejects with the coded error (the session is then "failed"). */
  async start(): Promise<void> {
    if (this.active) return;
    const generation = ++this.generation;
    this.error = undefined;
    this.touch();
    const client = this.spec.kind === 'tcp-client' || this.spec.kind === 'tls-client';
    this.setState('connecting');
    try {
      await this.transport.start();
    } catch (err) {
      if (generation !== this.generation) return;
      const coded = toPicolinkError(err);
      this.error = { code: coded.code, message: coded.message };
      this.info(`failed: ${coded.message}`);
      this.setState('failed');
      throw coded;
    }
    if (generation !== this.generation) return;
    const { spec } = this;
    if (client) this.info(`connected to ${hostPort(spec.host ?? '', spec.port ?? 0)}${this.transport.fingerprint ? ` (certificate ${this.transport.fingerprint})` : ''}`);
    else this.info(`${spec.kind === 'udp' ? 'bound to udp' : 'listening on'} ${hostPort(spec.bindHost ?? '0.0.0.0', this.transport.localPort ?? 0)}`);
    this.setState(spec.kind === 'tcp-server' ? 'listening' : 'open');
  }

  /** Disconnects or stops listening (the port is free when this resolves); the log stays. */
  async stop(reason = 'stopped'): Promise<void> {
    this.generation += 1;
    this.repeats.cancelAll();
    const wasActive = this.active;
    await this.transport.stop();
    this.resetFramers();
    this.reportDrops();
    if (wasActive) this.info(reason);
    if (this.state !== 'stopped') this.setState('stopped');
  }

  /** Spends one send of the session's budget; `PL_ERR_RATE_LIMITED` when it is spent. */
  takeSendRequest(now = Date.now()): void {
    if (!this.sendRequests.take(now)) {
      throw new PicolinkError(ErrorCode.RATE_LIMITED, `more than ${this.maxSendsPerSecond} sends a second in this session ("nettools.maxSendsPerSecond"); use a repeat for a steady stream`);
    }
  }

  /** Sends one message; returns the peers it was written to. Throws when nobody can receive it. */
  send(bytes: Uint8Array, target: SendTarget): string[] {
    const peers = this.transport.send(bytes, target);
    const now = Date.now();
    this.touch(now);
    this.bytesOut += bytes.length * peers.length;
    this.dirty = true;
    for (const peer of peers) this.entry('out', bytes, peer, now);
    return peers;
  }

  /** Adds a state line to the log. */
  info(text: string): void {
    this.entry('info', text, undefined, Date.now());
  }

  /** True once per change of the counters (the registry then announces the session). */
  takeDirty(now = Date.now()): boolean {
    this.reportDrops(now);
    const dirty = this.dirty;
    this.dirty = false;
    return dirty;
  }

  announce(): void {
    this.dirty = false;
    this.emit({ type: 'session', session: this.describe() });
  }

  private setState(state: SessionState): void {
    this.state = state;
    this.announce();
  }

  private entry(dir: LogEntry['dir'], data: Uint8Array | string, peer: string | undefined, now: number): void {
    const entry = this.log.add(dir, data, peer, now);
    this.emit({ type: 'entry', session: this.id, entry });
  }

  private received(bytes: Buffer, peer: string, stream: string | undefined, pause: ((ms: number) => void) | undefined, maxMessageBytes: number): void {
    const now = Date.now();
    this.bytesIn += bytes.length;
    this.lastActivity = now;
    this.dirty = true;
    const verdict = this.budget.take(bytes.length, now);
    if (!verdict.keep) {
      if (verdict.pauseMs > 0 && pause) pause(verdict.pauseMs);
      return;
    }
    // A datagram is a whole message already; framing cuts TCP streams.
    if (stream === undefined || this.spec.framing === 'none') {
      this.entry('in', bytes, peer, now);
      return;
    }
    let framer = this.framers.get(stream);
    if (!framer) this.framers.set(stream, (framer = createFramer(this.spec.framing, maxMessageBytes)));
    for (const result of framer.push(bytes)) {
      if (result.error) this.info(`${peer}: ${result.error.message}`);
      else this.entry('in', result.message, peer, now);
    }
  }

  private ended(reason: string, error?: PicolinkError): void {
    this.generation += 1;
    this.repeats.cancelAll();
    this.resetFramers();
    if (error) {
      this.error = { code: error.code, message: error.message };
      this.info(`${reason}: ${error.message}`);
      this.setState('failed');
    } else {
      this.info(reason);
      this.setState('stopped');
    }
  }

  private resetFramers(): void {
    let pending = 0;
    for (const framer of this.framers.values()) pending += framer.reset();
    this.framers.clear();
    if (pending > 0) this.info(`${pending} bytes without an ending were not shown`);
  }

  private reportDrops(now = Date.now()): void {
    const dropped = this.budget.takeUnreported(now);
    if (dropped > 0) this.info(`dropped ${dropped} bytes (flood: more than the session may receive per second)`);
  }
}

/** PL_ERR_NOT_FOUND for an id that names no session. */
export function noSuchSession(id: string): PicolinkError {
  return new PicolinkError(ErrorCode.NOT_FOUND, `no network tools session "${id}"; GET /api/nettools/sessions lists them`);
}
