/**
 * A connected device: the SDK's main object. Obtain one with `connect(url)`.
 *
 * Events: 'event' (every pushed event, e.g. a PinChangeEvent or `closing`), 'close'
 * (reason, or null after close()), 'error' (problems not tied to one request; without an
 * 'error' listener they are reported as process warnings instead of crashing the program).
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { coerceInt, coercePin } from '@picolink/protocol';
import type { ActionName, DeviceInfo, PicolinkError, PinChangeEvent, PinId } from '@picolink/protocol';
import { AdcChannel } from './adc.js';
import { requireCapability } from './capabilities.js';
import { Connection } from './connection/connection.js';
import type { ConnectionOptions } from './connection/connection.js';
import { handshake } from './connection/handshake.js';
import type { PeerInfo } from './connection/handshake.js';
import { Pin } from './pin.js';
import { PinWatches } from './pin-watches.js';
import { isErrorResponse, responseError } from './response-error.js';
import type { ActionResponse, CallOptions, RequestInput } from './types.js';
import { buildUpdate } from './update.js';
import type { DeviceUrl } from './url.js';

export interface DeviceEvents {
  event: [event: PinChangeEvent | Record<string, unknown>];
  close: [reason: PicolinkError | null];
  error: [err: PicolinkError];
}

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
  private readonly connection: Connection;
  private readonly watches: PinWatches;
  private peer: PeerInfo = { protocol: null, capabilities: [], version: '' };

  private constructor(socket: Duplex, url: DeviceUrl, options: ConnectionOptions) {
    super();
    this.url = url.href;
    this.connection = new Connection(
      socket,
      {
        onEvent: (frame) => this.connectionOnEvent(frame),
        onError: (err) => this.connectionOnError(err),
        onClose: (reason) => this.emit('close', reason),
      },
      { ...options, peerName: url.deviceId === undefined ? url.hostPort : `"${url.deviceId}" (through the hub at ${url.hostPort})` },
    );
    this.watches = new PinWatches({
      watch: async (pin, edge, debounceMs) => void (await this.request('watch_pin', { pin, edge, debounce_ms: debounceMs })),
      unwatch: async (pin) => void (await this.request('unwatch_pin', { pin })),
    });
  }

  /**
   * Speaks to a device over an already open stream: runs the handshake and resolves
   * once the peer is known. `connect()` is this plus a transport.
   */
  static async open(socket: Duplex, url: DeviceUrl, options: ConnectionOptions = {}): Promise<Device> {
    const device = new Device(socket, url, options);
    try {
      device.peer = await handshake(device.connection);
    } catch (err) {
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

  /** True once the connection is closing or closed. */
  get closed(): boolean {
    return this.connection.isClosed;
  }

  /**
   * Sends one action and resolves with the device's whole response. An error response
   * rejects with a {@link ResponseError} carrying its code (mapped from the message for
   * piconetcontrol servers).
   */
  async request<A extends ActionName>(action: A, fields?: RequestInput<A>, options: CallOptions = {}): Promise<ActionResponse<A>> {
    const response = await this.connection.request({ action, ...fields }, options);
    if (isErrorResponse(response)) throw responseError(response);
    return response as ActionResponse<A>;
  }

  /** Sends any request object as it is; resolves with the raw response, error responses included. */
  send(raw: Record<string, unknown>, options: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.connection.request(raw, options);
  }

  /**
   * Sends several requests and resolves with their raw responses in order: pipelined to a
   * picolink device, one at a time to a piconetcontrol server (like its `send_commands`).
   */
  sendCommands(commands: Array<Record<string, unknown>>, options: CallOptions = {}): Promise<Array<Record<string, unknown>>> {
    return Promise.all(commands.map((command) => this.connection.request(command, options)));
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

  /** Resource information (get_info). A piconetcontrol server reports its own, smaller set. */
  async info(options: CallOptions = {}): Promise<DeviceInfo | LegacyDeviceInfo> {
    const response = await this.request('get_info', {}, options);
    return response.info;
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
    await this.request('sleep', { time_ms: timeMs, deep }, options);
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
    const response = await this.request('update', payload, options);
    return { updated: response.updated, delayMs: response.delay_ms };
  }

  /** Closes the connection; resolves when it is closed. Pending requests reject with PL_ERR_CONNECTION_CLOSED. */
  close(): Promise<void> {
    return this.connection.close();
  }

  private connectionOnEvent(frame: Record<string, unknown>): void {
    if (frame.event === 'pin_change') this.watches.dispatch(frame as unknown as PinChangeEvent);
    this.emit('event', frame);
  }

  private connectionOnError(err: PicolinkError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else process.emitWarning(err.message, { code: err.code, type: 'PicolinkWarning' });
  }
}

function throwIfError(response: Record<string, unknown>): Record<string, unknown> {
  if (isErrorResponse(response)) throw responseError(response);
  return response;
}
