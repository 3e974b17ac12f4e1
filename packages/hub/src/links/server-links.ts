/**
 * Devices in server mode (docs/hub.md#server-links): for every configured device with an
 * `address`, the hub connects out with the SDK (TLS pinned to `fingerprint` when given),
 * puts the link in the directory, records it online, and when the connection ends —
 * the device restarted, the network dropped, the heartbeat went unanswered — records it
 * offline and connects again after a random wait that doubles with each failure (full
 * jitter, capped at 60 s), as a dial-home device does. Works with picolink devices and
 * with stock piconetcontrol servers (one request at a time; the SDK handles that).
 */
import { connect } from '@picolink/client';
import type { ConnectOptions, Device } from '@picolink/client';
import { reconnectDelayMs, sleep } from '@picolink/net';
import type { BackoffOptions, RateLimitedLog } from '@picolink/net';
import { DEFAULT_HUB_HEARTBEAT_MS, toPicolinkError } from '@picolink/protocol';
import type { PicolinkError } from '@picolink/protocol';
import type { ConfiguredDevice } from '../config.js';
import type { DeviceDirectory } from '../directory.js';
import { pinChangeRecord } from '../state/device-events.js';
import type { DevicePresence } from '../state/presence.js';
import type { EventRecorder } from '../state/event-recorder.js';
import { ServerLink } from './server-link.js';

export interface ServerLinksOptions {
  /** The configured devices; those with an `address` are linked. */
  devices: readonly ConfiguredDevice[];
  /** Read to leave alone a device that dialed home meanwhile, or that another hub holds. */
  directory: DeviceDirectory;
  /** Records each link online and offline (the hub's one DevicePresence). */
  presence: DevicePresence;
  /** Where the devices' pin_change events go (the hub's one EventRecorder). */
  events: EventRecorder;
  /** The hub's log; connection failures go through its per-kind budget. */
  log: RateLimitedLog;
  /** Ping a quiet device after this many ms; no answer within twice that closes the link. Default 15000. */
  heartbeatMs?: number;
  /** Time allowed for each answer, ms. Default 10000. */
  requestTimeoutMs?: number;
  /** Time allowed to connect (TCP + TLS + handshake), ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Reconnect backoff; default first bound 1000 ms, doubling to 60000 ms. */
  backoff?: BackoffOptions;
  /** Random numbers in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
  /** TLS devices without `fingerprint`: trust-on-first-use file. Default: the SDK's (~/.picolink/known_devices). */
  knownDevicesFile?: string;
}

export type ServerLinkState = 'connecting' | 'online' | 'waiting' | 'elsewhere' | 'stopped';

export interface ServerLinkStatus {
  deviceId: string;
  address: string;
  state: ServerLinkState;
  /** Attempts since the last successful connection that failed. */
  failures: number;
  /** Why the last attempt or connection ended, if it did. */
  lastError: string | null;
}

export interface ServerLinks {
  status(): ServerLinkStatus[];
  /** Closes every link and stops reconnecting; resolves when all is recorded. */
  close(): Promise<void>;
}

interface Shared {
  readonly options: ServerLinksOptions;
  readonly stop: AbortSignal;
}

/** One configured device: connect, serve, record, wait, again. */
class ServerLinkRunner {
  state: ServerLinkState = 'connecting';
  failures = 0;
  lastError: string | null = null;
  private device: Device | undefined;
  readonly done: Promise<void>;

  constructor(
    readonly deviceId: string,
    readonly address: string,
    private readonly fingerprint: string | undefined,
    private readonly shared: Shared,
  ) {
    this.done = this.run();
  }

  close(): void {
    void this.device?.close();
  }

  private async run(): Promise<void> {
    const { options, stop } = this.shared;
    const random = options.random ?? Math.random;
    let first = true;
    while (!stop.aborted) {
      if (!first) {
        this.state = 'waiting';
        await sleep(reconnectDelayMs(this.failures, random(), options.backoff), stop);
        if (stop.aborted) break;
      }
      first = false;
      const current = options.directory.get(this.deviceId);
      if ((current && current.mode !== 'server') || options.directory.remote(this.deviceId)) {
        // The device dialed home meanwhile, or another hub sharing the store holds it; taking
        // over would only make the two links take turns.
        this.state = 'elsewhere';
        await sleep(options.backoff?.baseMs ?? 1000, stop);
        first = true;
        continue;
      }
      this.state = 'connecting';
      if (await this.connectOnce()) this.failures = 0;
      else this.failures += 1;
    }
    this.state = 'stopped';
  }

  /** One connection, served until it ends; true when it was established. */
  private async connectOnce(): Promise<boolean> {
    const { options, stop } = this.shared;
    const { presence, log } = options;
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HUB_HEARTBEAT_MS;
    const connectOptions: ConnectOptions = {
      heartbeatMs,
      // The heartbeat ping's own timeout: silence for about three heartbeats ends the link.
      timeoutMs: 2 * heartbeatMs,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    };
    if (this.fingerprint !== undefined) connectOptions.fingerprint = this.fingerprint;
    if (options.knownDevicesFile !== undefined) connectOptions.knownDevicesFile = options.knownDevicesFile;
    let device: Device;
    try {
      device = await connect(this.address, connectOptions);
    } catch (err) {
      this.lastError = toPicolinkError(err).message;
      log.limited(`connect-${this.deviceId}`, `server link "${this.deviceId}": ${this.lastError}`);
      return false;
    }
    if (stop.aborted) {
      await device.close();
      return true;
    }
    this.device = device;
    this.failures = 0;
    const closed = new Promise<PicolinkError | null>((resolve) => device.once('close', resolve));
    device.on('rawEvent', (frame) => this.deviceOnEvent(frame));
    device.on('error', (err) => log.limited(`error-${this.deviceId}`, `server link "${this.deviceId}": ${err.message}`));
    const link = new ServerLink(device, this.deviceId, this.address.replace(/^[a-z]+:\/\//, ''), options.requestTimeoutMs ?? 10_000);
    this.state = 'online';
    this.lastError = null;
    log.always(`server link "${this.deviceId}": connected to ${this.address} (${device.protocol === null ? 'piconetcontrol' : `picolink protocol ${device.protocol}`})`);
    const session = presence.online(link, { firmware: device.version || null });
    const reason = await closed;
    this.device = undefined;
    const why = stop.aborted ? 'the hub is shutting down' : (link.closeReason ?? (reason === null ? 'the hub closed the link' : reason.message));
    link.markClosed(why);
    this.lastError = stop.aborted ? null : why;
    presence.offline(session, why);
    if (!stop.aborted) log.limited(`closed-${this.deviceId}`, `server link "${this.deviceId}": ${why}; connecting again`);
    return true;
  }

  private deviceOnEvent(event: Record<string, unknown>): void {
    if (event.event !== 'pin_change') return;
    const record = pinChangeRecord(this.deviceId, event, Date.now());
    if (record) this.shared.options.events.record(record);
  }
}

export function startServerLinks(options: ServerLinksOptions): ServerLinks {
  const { presence, events } = options;
  const stop = new AbortController();
  const shared: Shared = { options, stop: stop.signal };
  const runners = options.devices.flatMap((device) =>
    device.address === undefined ? [] : [new ServerLinkRunner(device.id, device.address, device.fingerprint, shared)],
  );
  let closing: Promise<void> | undefined;

  async function shutdown(): Promise<void> {
    stop.abort();
    for (const runner of runners) runner.close();
    await Promise.all(runners.map((runner) => runner.done));
    await presence.drain();
    await events.flush();
  }

  return {
    status: () =>
      runners.map((runner) => ({ deviceId: runner.deviceId, address: runner.address, state: runner.state, failures: runner.failures, lastError: runner.lastError })),
    close: () => (closing ??= shutdown()),
  };
}
