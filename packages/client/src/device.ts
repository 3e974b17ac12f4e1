/**
 * A connected device: the SDK's main object. Obtain one with `connect(url)`.
 *
 * Events: 'event' (every pushed event in camelCase, e.g. a PinChange or `closing`),
 * 'rawEvent' (the same, as the wire carried it), 'close' (reason, or null after close()), 'error' (problems not tied to one request;
 * without an 'error' listener they are reported as process warnings instead of crashing
 * the program), and with `reconnect`: 'reconnecting' before each attempt and
 * 'reconnected' once the connection and its watches are back.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { coerceInt, coercePin, ErrorCode, PicolinkError, toPicolinkError } from '@picolink/protocol';
import type { ActionName, PinId } from '@picolink/protocol';
import { AdcChannel } from './adc.js';
import { requireCapability } from './capabilities.js';
import { Connection } from './connection/connection.js';
import type { ConnectionOptions } from './connection/connection.js';
import { handshake } from './connection/handshake.js';
import type { PeerInfo } from './connection/handshake.js';
import { Pin } from './pin.js';
import { PinWatches } from './pin-watches.js';
import type { Edge } from './pin-watches.js';
import { retryWithBackoff } from './reconnect.js';
import { restoreWatches } from './watch-restore.js';
import type { ReconnectedInfo, ReconnectingInfo, ReconnectOptions } from './reconnect.js';
import { isErrorResponse, responseError } from './response-error.js';
import type { ActionResponse, CallOptions, DeviceInfo, RequestInput } from './types.js';
import { buildUpdate } from './update.js';
import type { DeviceUrl } from './url.js';
import { fromWire, toWire } from './wire-names.js';
import type { DeviceEvent, PinChange } from './wire-names.js';

export interface DeviceEvents {
  event: [event: DeviceEvent];
  /** The same event exactly as the wire carried it (snake_case), for programs that speak the protocol's names, as send() does. */
  rawEvent: [frame: Record<string, unknown>];
  close: [reason: PicolinkError | null];
  error: [err: PicolinkError];
  reconnecting: [info: ReconnectingInfo];
  reconnected: [info: ReconnectedInfo];
}

export interface DeviceOptions extends ConnectionOptions {
  /**
   * Reconnect when the connection is lost (not after `close()`): backoff with full
   * jitter, watches restored, requests made meanwhile wait up to their timeout. `true`
   * uses the defaults of {@link ReconnectOptions}. Default false: a lost connection
   * closes the Device.
   */
  reconnect?: boolean | ReconnectOptions;
}

/** Opens a fresh stream to the same device, for reconnecting. */
export type Reopen = () => Promise<Duplex>;

/** get_info from a piconetcontrol server: whatever it reports (memory, firmware, board). */
export type LegacyDeviceInfo = Record<string, unknown> & { protocol?: undefined };

export interface SleepOptions {
  /** Deep sleep: the device restarts on waking. Default false (light sleep). */
  deep?: boolean;
}

export interface UpdateOptions extends CallOptions {
  /** Send contents as base64 of zlib data (smaller; required for binary files). Default false. */
  compress?: boolean;
}

export interface UpdateResult {
  /** Names of the files written. */
  updated: string[];
  /** Time until the device restarts into the new files, in ms (picolink devices only). */
  delayMs?: number;
}

export class Device extends EventEmitter<DeviceEvents> {
  /** Canonical URL of the device, e.g. "tls://10.0.0.5:12345". */
  readonly url: string;
  private connection: Connection;
  private readonly connectionOptions: ConnectionOptions;
  private readonly watches: PinWatches;
  /** setup_pin fields of the pins this Device last set up as inputs, to set them up again for their watches after a device restart. */
  private readonly inputSetups = new Map<string, Record<string, unknown>>();
  private peer: PeerInfo = { protocol: null, capabilities: [], version: '' };
  private readonly reconnect: ReconnectOptions | undefined;
  private readonly stopReconnecting = new AbortController();
  /** While reconnecting: settles once connected again or given up. */
  private relinked: Promise<void> | undefined;
  private ended = false;
  private endedPromise: Promise<void> | undefined;

  private constructor(
    socket: Duplex,
    url: DeviceUrl,
    options: DeviceOptions,
    private readonly reopen: Reopen | undefined,
  ) {
    super();
    this.url = url.href;
    const { reconnect, ...connectionOptions } = options;
    this.reconnect = reconnect === true ? {} : reconnect === false ? undefined : reconnect;
    this.connectionOptions = {
      ...connectionOptions,
      peerName: url.deviceId === undefined ? url.hostPort : `"${url.deviceId}" (through the hub at ${url.hostPort})`,
    };
    this.connection = this.newConnection(socket);
    this.watches = new PinWatches({
      watch: (pin, edge, debounceMs) => this.watchPin(pin, edge, debounceMs),
      unwatch: async (pin) => void (await this.request('unwatch_pin', { pin })),
    });
  }

  /**
   * Speaks to a device over an already open stream: runs the handshake and resolves
   * once the peer is known. `connect()` is this plus a transport; `reopen` (which
   * `connect()` passes) opens a new stream to the same device for `reconnect`, which
   * without it has no effect.
   */
  static async open(socket: Duplex, url: DeviceUrl, options: DeviceOptions = {}, reopen?: Reopen): Promise<Device> {
    const device = new Device(socket, url, options, reopen);
    try {
      device.peer = await handshake(device.connection);
    } catch (err) {
      device.ended = true;
      await device.connection.close();
      throw err;
    }
    return device;
  }

  /** Protocol version of the device, or null for a stock piconetcontrol server. */
  get protocol(): number | null {
    return this.peer.protocol;
  }

  /** Capabilities the device announced (empty for piconetcontrol). */
  get capabilities(): string[] {
    return [...this.peer.capabilities];
  }

  /** Firmware version the device reported. */
  get version(): string {
    return this.peer.version;
  }

  /** True once the Device is closing or closed for good (not while it reconnects). */
  get closed(): boolean {
    return this.ended;
  }

  /** True while a lost connection is being reconnected. */
  get reconnecting(): boolean {
    return this.relinked !== undefined;
  }

  /**
   * Sends one action (its protocol name, e.g. "write_pin") with camelCase fields and
   * resolves with the device's whole response in camelCase. An error response rejects
   * with a {@link ResponseError} carrying its code (mapped from the message for
   * piconetcontrol servers).
   */
  async request<A extends ActionName>(action: A, fields?: RequestInput<A>, options: CallOptions = {}): Promise<ActionResponse<A>> {
    const wire = { action, ...toWire((fields ?? {}) as Record<string, unknown>) };
    const response = fromWire(await this.deliver(wire, options));
    if (isErrorResponse(response)) throw responseError(response);
    if (action === 'setup_pin') this.noteSetup(wire);
    return response as ActionResponse<A>;
  }

  /** Sends any request object as it is (wire names); resolves with the raw response, error responses included. */
  send(raw: Record<string, unknown>, options: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.deliver(raw, options);
  }

  /**
   * Sends several raw requests and resolves with their raw responses in order: pipelined
   * to a picolink device, one at a time to a piconetcontrol server (like its `send_commands`).
   */
  sendCommands(commands: Array<Record<string, unknown>>, options: CallOptions = {}): Promise<Array<Record<string, unknown>>> {
    return Promise.all(commands.map((command) => this.deliver(command, options)));
  }

  /** A GPIO pin (0-63; the board decides which exist) or "LED". */
  pin(id: PinId | string): Pin {
    return new Pin(this, this.watches, coercePin('pin', id));
  }

  /** An ADC channel: 0-2 are GPIO 26-28, 3 is VSYS/3, 4 the temperature sensor. */
  adc(channel: number): AdcChannel {
    return new AdcChannel(this, coerceInt('channel', channel, 0, 4));
  }

  /** Round-trip time of a ping, in ms. */
  async ping(options: CallOptions = {}): Promise<number> {
    const started = performance.now();
    await this.request('ping', {}, options);
    return performance.now() - started;
  }

  /** Resource information (get_info) in camelCase. A piconetcontrol server reports its own, smaller set. */
  async info(options: CallOptions = {}): Promise<DeviceInfo | LegacyDeviceInfo> {
    const response = await this.request('get_info', {}, options);
    return response.info as DeviceInfo;
  }

  /** Names of the actions the device answers. */
  async listActions(options: CallOptions = {}): Promise<string[]> {
    const response = await this.request('list_actions', {}, options);
    return Array.isArray(response.actions) ? response.actions.map(String) : [];
  }

  /** Asks the device to restart (about a second after it answers); the connection then closes. */
  async reset(options: CallOptions = {}): Promise<void> {
    await this.request('reset', {}, options);
  }

  /** Asks the device to sleep for `ms`; light sleep delays answers, deep sleep closes connections. */
  async sleep(ms: number, options: SleepOptions & CallOptions = {}): Promise<void> {
    const timeMs = coerceInt('time_ms', ms, 1, 2 ** 31 - 1, 'ms');
    const deep = options.deep ?? false;
    if (this.peer.protocol === null) {
      // piconetcontrol documents deep as 0/1.
      await this.send({ action: 'sleep', time_ms: timeMs, deep: deep ? 1 : 0 }, options).then(throwIfError);
      return;
    }
    await this.request('sleep', { timeMs, deep }, options);
  }

  /**
   * Replaces firmware files (name → content). Each file's SHA-256 is sent along so the
   * device verifies everything before swapping; the device then restarts.
   */
  async update(files: Record<string, string | Uint8Array>, options: UpdateOptions = {}): Promise<UpdateResult> {
    if (this.peer.protocol !== null) requireCapability(this, 'update', 'updates');
    const payload = buildUpdate(files, options.compress ?? false);
    if (this.peer.protocol === null) {
      // piconetcontrol has no sha256 field.
      const response = throwIfError(await this.send({ action: 'update', files: payload.files, compress: payload.compress }, options));
      return { updated: Array.isArray(response.updated) ? response.updated.map(String) : Object.keys(files) };
    }
    const response = await this.request('update', { ...payload }, options);
    return { updated: response.updated, delayMs: response.delayMs };
  }

  /**
   * Closes the connection (and stops reconnecting); resolves when it is closed. Pending
   * requests reject with PL_ERR_CONNECTION_CLOSED.
   */
  close(): Promise<void> {
    if (this.endedPromise) return this.endedPromise;
    this.ended = true;
    this.stopReconnecting.abort();
    const reconnecting = this.relinked;
    this.endedPromise = (async () => {
      await this.connection.close();
      // A reconnect in progress sees the abort and closes what it opened.
      if (reconnecting) {
        await reconnecting;
        this.emit('close', null);
      }
    })();
    return this.endedPromise;
  }

  private newConnection(socket: Duplex): Connection {
    const connection: Connection = new Connection(
      socket,
      {
        onEvent: (frame) => this.connectionOnEvent(frame),
        onError: (err) => this.connectionOnError(err),
        onClose: (reason) => this.connectionOnClose(connection, reason),
      },
      this.connectionOptions,
    );
    return connection;
  }

  /** Sends on the current connection; while reconnecting, first waits for it within the request's timeout. */
  private async deliver(fields: Record<string, unknown>, options: CallOptions): Promise<Record<string, unknown>> {
    const relinked = this.relinked;
    if (relinked === undefined) return this.connection.request(fields, options);
    const timeoutMs = options.timeoutMs ?? this.connection.timeoutMs;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const outage = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(
          new PicolinkError(
            ErrorCode.DEVICE_OFFLINE,
            `"${String(fields.action)}" was not sent: the connection to ${this.connection.peerName} is lost and was not back within ${timeoutMs} ms (still reconnecting)`,
          ),
        );
      }, timeoutMs);
    });
    try {
      await Promise.race([relinked, outage]);
    } finally {
      clearTimeout(timer);
    }
    return this.connection.request(fields, { timeoutMs: Math.max(1, timeoutMs - (performance.now() - started)) });
  }

  private async watchPin(pin: PinId, edge: Edge, debounceMs: number): Promise<void> {
    await this.request('watch_pin', { pin, edge, debounceMs });
  }

  private noteSetup(wire: Record<string, unknown>): void {
    const key = String(wire.pin);
    if (wire.mode === 'input') this.inputSetups.set(key, wire);
    else this.inputSetups.delete(key);
  }

  private connectionOnEvent(frame: Record<string, unknown>): void {
    const event = fromWire<DeviceEvent>(frame);
    if (event.event === 'pinChange') this.watches.dispatch(event as PinChange);
    this.emit('event', event);
    this.emit('rawEvent', frame);
  }

  private connectionOnError(err: PicolinkError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else process.emitWarning(err.message, { code: err.code, type: 'PicolinkWarning' });
  }

  private connectionOnClose(connection: Connection, reason: PicolinkError | null): void {
    if (connection !== this.connection) return;
    if (reason === null || this.ended || this.reconnect === undefined || this.reopen === undefined) {
      this.ended = true;
      this.emit('close', reason);
      return;
    }
    const { reconnect, reopen } = this;
    // Deferred so that `reconnecting` is true, and requests wait, before the first 'reconnecting' event.
    this.relinked = Promise.resolve()
      .then(() => this.relink(reason, reconnect, reopen))
      // A 'reconnected' listener that throws must not leave an unhandled rejection behind.
      .catch((err: unknown) => this.connectionOnError(toPicolinkError(err)));
  }

  /**
   * Opens connections until one completes the handshake and has its watches back, then
   * makes it the current one; requests waiting meanwhile go out on it.
   */
  private async relink(lost: PicolinkError, options: ReconnectOptions, reopen: Reopen): Promise<void> {
    const lostAt = performance.now();
    let attempts = 0;
    const signal = this.stopReconnecting.signal;
    let relinked: { connection: Connection; peer: PeerInfo; failures: PicolinkError[] } | undefined;
    try {
      relinked = await retryWithBackoff(
        async () => {
          const connection = this.newConnection(await reopen());
          try {
            const peer = await handshake(connection);
            const failures = await restoreWatches(connection, this.watches.active(), this.inputSetups);
            if (signal.aborted || connection.isClosed) throw lost;
            return { connection, peer, failures };
          } catch (err) {
            await connection.close();
            throw err;
          }
        },
        lost,
        options,
        signal,
        (info) => {
          attempts = info.attempt;
          this.emit('reconnecting', info);
        },
      );
    } catch (err) {
      this.relinked = undefined;
      this.ended = true;
      this.emit('close', err instanceof PicolinkError ? err : lost);
      return;
    }
    this.relinked = undefined;
    if (relinked === undefined) return;
    if (this.ended) return void (await relinked.connection.close());
    this.connection = relinked.connection;
    this.peer = relinked.peer;
    for (const failure of relinked.failures) this.connectionOnError(failure);
    this.emit('reconnected', { attempts, downtimeMs: Math.round(performance.now() - lostAt) });
    // Lost again before it became the current one: its close was not seen as this Device's.
    if (this.connection.isClosed) this.connectionOnClose(this.connection, new PicolinkError(ErrorCode.CONNECTION_CLOSED, `${this.connection.peerName} closed the connection again at once`));
  }
}

function throwIfError(response: Record<string, unknown>): Record<string, unknown> {
  if (isErrorResponse(response)) throw responseError(response);
  return response;
}
