/**
 * Dial-home (docs/protocol.md#dial-home): the device connects out to the hub, says
 * hello, sets its clock from the welcome, and then serves the hub's requests over that
 * same connection, a DeviceSession like any other (same actions, order, events,
 * failsafe). Both sides ping after `heartbeat_ms` of silence and close after three times
 * that. Given several hub addresses, the device dials them in order, pausing briefly
 * between two; each round, after a lost link as after a failed round, starts again from the
 * first, so the list is an order of preference (docs/protocol.md#reconnect). Before each
 * round it waits a random time whose bound doubles with each round that got no welcome
 * (full jitter, capped at 60 s); a welcome starts the count again.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { connect, hostPort, RateLimitedLog, reconnectDelayMs, silentLog, sleep } from '@picolink/net';
import type { BackoffOptions, LogSink } from '@picolink/net';
import {
  CAPABILITIES,
  DEFAULT_HUB_GATEWAY_PORT,
  DEFAULT_HUB_HEARTBEAT_MS,
  ErrorCode,
  helloRequest,
  normalizeFingerprint,
  PROTOCOL_VERSION,
  readWelcome,
  toPicolinkError,
} from '@picolink/protocol';
import { PicolinkError } from '@picolink/protocol';
import type { DeviceRuntime } from './runtime.js';
import { DeviceSession } from './session.js';

/** How often a device that is restarting or asleep checks whether it may dial again, in ms. */
const RUNNING_POLL_MS = 50;
/** Default pause between two addresses of one round, in ms. */
const DEFAULT_ADDRESS_PAUSE_MS = 250;

export interface HubTlsOptions {
  /** Accept only the hub certificate with this SHA-256 fingerprint ("AB:CD:...", colons and case optional, "SHA256:" prefix allowed). */
  fingerprint?: string;
  /** Verify the hub's certificate chain and host name against these CA certificates (PEM). */
  ca?: string | Buffer | Array<string | Buffer>;
}

export interface HubAddress {
  host: string;
  /** Default 12400. */
  port?: number;
  /**
   * Connect with TLS. With `fingerprint` the certificate is pinned, with `ca` verified
   * against it; with neither, against the system's CAs. Default: plain TCP.
   */
  tls?: HubTlsOptions;
}

export interface DialHomeOptions {
  /** The device, already started. */
  runtime: DeviceRuntime;
  /**
   * Where the hub's device gateway listens: one address, or several, dialled in this order
   * until one welcomes the device; each round starts again from the first.
   */
  hub: HubAddress | readonly HubAddress[];
  /** Pause between two addresses of one round, in ms. Default 250. */
  addressPauseMs?: number;
  /** The device's secret, as configured on the hub. Default: none. */
  token?: string;
  /** Id said in the hello. Default: the runtime's device id. */
  deviceId?: string;
  /** Heartbeat used until the welcome names the hub's, in ms. Default 15000. */
  heartbeatMs?: number;
  /**
   * Wait before each round of dialling: random below a bound that starts at `baseMs`
   * (default 1000) and doubles with each round that got no welcome, up to `maxMs`
   * (default 60000).
   */
  backoff?: BackoffOptions;
  /** Random numbers in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
  /** Time allowed for TCP connect plus TLS handshake, in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Time allowed for the welcome after the hello is sent, in ms. Default 10000. */
  welcomeTimeoutMs?: number;
  /** Largest frame accepted from the hub, in bytes. Default 65536. */
  maxFrameBytes?: number;
  /** Drop the link when this many bytes of output are unsent. Default 1 MiB. */
  maxOutputBytes?: number;
  /**
   * After the device ends the link, how long the hub has to close its side before the
   * socket is destroyed, in ms. Short, because a silent hub is presumed gone. Default 250.
   */
  closeGraceMs?: number;
  /**
   * The hub, while it controls outputs with safe values, is pinged after half this much
   * silence and taken as gone after all of it: the safe values apply and the link is
   * redialled (docs/protocol.md#silent-controllers), in ms; 0 never. Default 8000.
   */
  controllerTimeoutMs?: number;
  /** Receives log lines (rate-limited): welcomes, refusals, disconnects. Default: none. */
  log?: LogSink;
  /** Aborting it ends the link for good, as close() does. */
  signal?: AbortSignal;
}

/** What a welcome told the device. */
export interface WelcomeInfo {
  /** The address that welcomed the device, "HOST:PORT". */
  hub: string;
  /** The hub's clock when it answered, Unix ms. */
  serverTime: number;
  heartbeatMs: number;
  config: Record<string, unknown>;
  /** Round trip of the hello, ms. */
  roundTripMs: number;
  /** Device clock minus host clock after the sync, ms. */
  clockOffsetMs: number;
}

export type DialHomeState = 'connecting' | 'online' | 'waiting' | 'stopped';

export interface DialHomeEvents {
  /** The hub accepted the hello; the device now serves it. */
  welcome: [info: WelcomeInfo];
  /** The hub answered the hello with an error (PL_ERR_UNAUTHORIZED, PL_ERR_UNKNOWN_DEVICE, ...). */
  refused: [err: PicolinkError];
  /** A served link ended; the device will dial again. */
  disconnect: [reason: string];
}

/** One address to dial, resolved once. */
interface HubTarget {
  host: string;
  port: number;
  /** "HOST:PORT", for logs. */
  label: string;
  tls: HubTlsOptions | undefined;
}

/** A device's link to its hub; reconnects until closed. */
export class DialHome extends EventEmitter<DialHomeEvents> {
  /** Every configured address, "HOST:PORT", in the order they are dialled. */
  readonly hubAddresses: readonly string[];
  private readonly targets: readonly HubTarget[];
  private target: HubTarget;
  private current: DialHomeState = 'connecting';
  private failures = 0;
  private failedRounds = 0;
  private welcomeCount = 0;
  private lastWelcome: WelcomeInfo | undefined;
  private session: DeviceSession | undefined;
  private readonly stop = new AbortController();
  private readonly log: RateLimitedLog;
  private readonly running: Promise<void>;

  constructor(private readonly options: DialHomeOptions) {
    super();
    const hubs: readonly HubAddress[] = Array.isArray(options.hub) ? options.hub : [options.hub as HubAddress];
    this.targets = hubs.map(hubTarget);
    const first = this.targets[0];
    if (first === undefined) throw new PicolinkError(ErrorCode.USAGE, 'dial-home needs at least one hub address');
    this.target = first;
    this.hubAddresses = this.targets.map((target) => target.label);
    this.log = new RateLimitedLog(options.log ?? silentLog);
    options.signal?.addEventListener('abort', () => void this.close(), { once: true });
    this.running = this.run();
  }

  /** The address being dialled or served now, "HOST:PORT" (the first until a round moves on). */
  get hubAddress(): string {
    return this.target.label;
  }

  get state(): DialHomeState {
    return this.current;
  }

  /** Welcomes received so far. */
  get welcomes(): number {
    return this.welcomeCount;
  }

  /** Attempts since the last welcome that got none. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** What the last welcome said, once there was one. */
  get welcome(): WelcomeInfo | undefined {
    return this.lastWelcome;
  }

  /** Ends the link and stops reconnecting; resolves once the connection is closed. */
  async close(): Promise<void> {
    if (!this.stop.signal.aborted) {
      this.stop.abort();
      this.session?.closeByDevice(ErrorCode.CONNECTION_CLOSED, 'the device is shutting down');
    }
    await this.running;
  }

  private async run(): Promise<void> {
    const random = this.options.random ?? Math.random;
    let first = true;
    while (!this.stop.signal.aborted) {
      if (!first) {
        const delay = reconnectDelayMs(this.failedRounds, random(), this.options.backoff);
        this.current = 'waiting';
        await sleep(delay, this.stop.signal);
      }
      first = false;
      const welcomed = await this.round();
      if (welcomed === undefined) break;
      this.failedRounds = welcomed ? 0 : this.failedRounds + 1;
    }
    this.current = 'stopped';
  }

  /**
   * Dials the addresses in order until one welcomes the device, and serves it until that
   * link ends. True when one welcomed it, false when none did, undefined once stopped.
   */
  private async round(): Promise<boolean | undefined> {
    for (const [index, target] of this.targets.entries()) {
      if (index > 0) {
        this.current = 'waiting';
        await sleep(this.options.addressPauseMs ?? DEFAULT_ADDRESS_PAUSE_MS, this.stop.signal);
      }
      if (!(await this.untilRunning())) return undefined;
      this.target = target;
      this.current = 'connecting';
      if (await this.connectOnce()) return true;
      this.failures += 1;
    }
    return false;
  }

  /** One connection: hello, welcome, then serving until it ends. True when it was welcomed. */
  private async connectOnce(): Promise<boolean> {
    let socket: Socket;
    try {
      socket = await this.openSocket();
    } catch (err) {
      this.log.limited('dial-failed', `hub ${this.hubAddress}: ${toPicolinkError(err).message}`);
      return false;
    }
    const runtime = this.options.runtime;
    if (this.stop.signal.aborted || !runtime.acceptsConnections()) {
      socket.destroy();
      return false;
    }
    const heartbeatMs = this.options.heartbeatMs ?? DEFAULT_HUB_HEARTBEAT_MS;
    const welcomeTimeoutMs = this.options.welcomeTimeoutMs ?? 10_000;
    const session = new DeviceSession(socket, runtime, {
      helloTimeoutMs: welcomeTimeoutMs,
      idleTimeoutMs: 3 * heartbeatMs,
      closeGraceMs: this.options.closeGraceMs ?? 250,
      peerLabel: 'hub',
      ...(this.options.maxFrameBytes === undefined ? {} : { maxFrameBytes: this.options.maxFrameBytes }),
      ...(this.options.maxOutputBytes === undefined ? {} : { maxOutputBytes: this.options.maxOutputBytes }),
      ...(this.options.controllerTimeoutMs === undefined ? {} : { controllerTimeoutMs: this.options.controllerTimeoutMs }),
      log: this.log,
    });
    this.session = session;
    try {
      const welcome = await this.greet(session, welcomeTimeoutMs);
      if (!welcome) return false;
      this.failures = 0;
      this.welcomeCount += 1;
      this.lastWelcome = welcome;
      this.current = 'online';
      this.log.always(`hub ${this.hubAddress}: welcome (heartbeat ${welcome.heartbeatMs} ms, clock offset ${welcome.clockOffsetMs} ms)`);
      this.emit('welcome', welcome);
      await session.closed;
      if (!this.stop.signal.aborted) {
        this.log.limited('hub-disconnect', `hub ${this.hubAddress}: link closed; dialing again`);
        this.emit('disconnect', 'the connection to the hub closed');
      }
      return true;
    } finally {
      this.session = undefined;
    }
  }

  /** Sends the hello and applies the welcome; on failure the session is closed and undefined returned. */
  private async greet(session: DeviceSession, welcomeTimeoutMs: number): Promise<WelcomeInfo | undefined> {
    const runtime = this.options.runtime;
    const hello = helloRequest({
      device: this.options.deviceId ?? runtime.deviceId,
      ...(this.options.token === undefined ? {} : { token: this.options.token }),
      protocol: PROTOCOL_VERSION,
      firmware: runtime.firmwareVersion,
      capabilities: session.secure ? [...CAPABILITIES, 'tls'] : [...CAPABILITIES],
      boot: runtime.bootId,
    });
    const sentAt = performance.now();
    try {
      const response = await session.request(hello, welcomeTimeoutMs);
      const roundTripMs = performance.now() - sentAt;
      const welcome = readWelcome(response);
      runtime.setClock(welcome.server_time + roundTripMs / 2);
      session.setHeartbeat(welcome.heartbeat_ms, 3 * welcome.heartbeat_ms);
      return {
        hub: this.hubAddress,
        serverTime: welcome.server_time,
        heartbeatMs: welcome.heartbeat_ms,
        config: welcome.config,
        roundTripMs,
        clockOffsetMs: runtime.clockOffset,
      };
    } catch (err) {
      const coded = toPicolinkError(err);
      if (coded.code === ErrorCode.UNAUTHORIZED || coded.code === ErrorCode.UNKNOWN_DEVICE || coded.code === ErrorCode.BAD_RESPONSE) {
        this.log.limited('hub-refused', `hub ${this.hubAddress} refused the hello: ${coded.message} (${coded.code})`);
        this.emit('refused', coded);
      } else if (!this.stop.signal.aborted) {
        this.log.limited('hub-no-welcome', `hub ${this.hubAddress}: no welcome: ${coded.message}`);
      }
      session.destroy();
      await session.closed;
      return undefined;
    }
  }

  private openSocket(): Promise<Socket> {
    const { host, port, tls } = this.target;
    return connect({
      host,
      port,
      ...(tls ? { tls } : {}),
      timeoutMs: this.options.connectTimeoutMs ?? 10_000,
      signal: this.stop.signal,
      peer: 'the hub',
      hint: 'is the hub running, and is this its device gateway port?',
      allowHalfOpen: true,
    });
  }

  /** Waits while the device restarts or sleeps deeply; false once the device or the link is closed. */
  private async untilRunning(): Promise<boolean> {
    const runtime = this.options.runtime;
    for (;;) {
      if (this.stop.signal.aborted || runtime.state === 'closed') return false;
      if (runtime.acceptsConnections()) return true;
      await sleep(RUNNING_POLL_MS, this.stop.signal);
    }
  }
}

/** An address with its default port, its fingerprint checked now: a mistyped one is the caller's error (PL_ERR_USAGE), not a dial failure. */
function hubTarget(address: HubAddress): HubTarget {
  if (address.tls?.fingerprint !== undefined) normalizeFingerprint(address.tls.fingerprint);
  const port = address.port ?? DEFAULT_HUB_GATEWAY_PORT;
  return { host: address.host, port, label: hostPort(address.host, port), tls: address.tls };
}

/** Connects a device to its hub and keeps it connected until closed. */
export function dialHome(options: DialHomeOptions): DialHome {
  return new DialHome(options);
}
