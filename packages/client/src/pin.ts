/**
 * One GPIO pin (or the on-board "LED") of a connected device. Against a piconetcontrol
 * server the same calls are translated to what it understands; what it cannot do safely
 * (failsafe values, pull resistors, PWM, events) is refused with `PL_ERR_NOT_SUPPORTED`
 * rather than silently ignored.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { ActionName, PinId } from '@picolink/protocol';
import { requireCapability } from './capabilities.js';
import type { PeerFeatures } from './capabilities.js';
import type { Edge, PinChangeCallback, PinWatches } from './pin-watches.js';
import type { ActionResponse, CallOptions, RequestInput } from './types.js';

/** What a Pin needs from its device. */
export interface PinHost extends PeerFeatures {
  request<A extends ActionName>(action: A, fields?: RequestInput<A>, options?: CallOptions): Promise<ActionResponse<A>>;
}

export type Level = 0 | 1;

export interface PinSetupOptions {
  /** Pull resistor. Default "none". Not available on piconetcontrol devices. */
  pull?: 'up' | 'down' | 'none';
  /** Outputs: initial level. Default: leave as it is (0 on a fresh pin). */
  value?: Level | boolean;
  /**
   * Outputs: level the device applies when this connection is lost (failsafe).
   * Default: none. Not available on piconetcontrol devices.
   */
  safe?: Level | boolean;
  /**
   * Outputs with `safe`: after this connection is lost, the device keeps the level this
   * long, then applies `safe` unless a new connection has set up or written the pin
   * (so a brief hub restart does not switch a relay), in ms, 0 to 3,600,000. Default 0
   * (at once). Not available on piconetcontrol devices.
   */
  safeAfterMs?: number;
}

export interface PinWriteOptions {
  /**
   * Lease length in seconds: after it, the pin reverts to its level before the write.
   * Default: none (the write lasts).
   */
  timeoutS?: number;
}

export interface PinWriteResult {
  /** Level before the write (picolink devices only). */
  previous?: Level;
  /** Level restored when the lease ends (leases on picolink devices only). */
  revertsTo?: Level;
  /** Lease length in ms (leases on picolink devices only). */
  leaseMs?: number;
}

export interface PinWatchOptions {
  /** Which changes to report. Default "both". */
  edge?: Edge;
  /** Inputs: a new level must hold this long to count, in ms. Default 20. */
  debounceMs?: number;
}

export class Pin {
  /** @internal Use `device.pin(n)`. */
  constructor(
    private readonly device: PinHost,
    private readonly watches: PinWatches,
    /** GPIO number or "LED". */
    readonly id: PinId,
  ) {}

  /** Configures the pin as an input or an output. */
  async setup(mode: 'input' | 'output', options: PinSetupOptions = {}): Promise<void> {
    const fields: RequestInput<'setup_pin'> = { pin: this.id, mode };
    if (options.value !== undefined) fields.value = level(options.value);
    if (this.device.protocol === null) {
      if (options.safe !== undefined || options.safeAfterMs !== undefined) throw this.legacyRefusal('a failsafe value (safe)');
      if (options.pull !== undefined && options.pull !== 'none') throw this.legacyRefusal('pull resistors');
    } else {
      if (options.pull !== undefined) fields.pull = options.pull;
      if (options.safe !== undefined) fields.safe = level(options.safe);
      if (options.safeAfterMs !== undefined) fields.safeAfterMs = options.safeAfterMs;
    }
    await this.device.request('setup_pin', fields);
  }

  /**
   * Drives the output. With `timeoutS` the write is a lease that reverts to the previous
   * level when it ends. (A piconetcontrol device has no lasting write_pin, so a lasting
   * write is sent to it as setup_pin with the value; and it never cancels a pending revert.)
   */
  async write(value: Level | boolean, options: PinWriteOptions = {}): Promise<PinWriteResult> {
    const timeout = options.timeoutS ?? 0;
    if (!Number.isFinite(timeout) || timeout < 0) {
      throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `timeoutS must be a number of seconds >= 0, got ${timeout}`);
    }
    if (this.device.protocol === null && timeout === 0) {
      await this.device.request('setup_pin', { pin: this.id, mode: 'output', value: level(value) });
      return {};
    }
    const fields: RequestInput<'write_pin'> = { pin: this.id, value: level(value) };
    if (timeout > 0) fields.timeout = timeout;
    const response = await this.device.request('write_pin', fields);
    const result: PinWriteResult = {};
    if (response.previous === 0 || response.previous === 1) result.previous = response.previous;
    if (response.revertsTo === 0 || response.revertsTo === 1) result.revertsTo = response.revertsTo;
    if (typeof response.leaseMs === 'number') result.leaseMs = response.leaseMs;
    return result;
  }

  /** Reads the level (an output reads back the level it drives). */
  async read(): Promise<Level> {
    const response = await this.device.request('read_pin', { pin: this.id });
    return response.value ? 1 : 0;
  }

  /** Drives the pin with PWM: frequency in Hz (8 to 62,500,000), duty 0.0 to 1.0. */
  async pwm(freqHz: number, duty: number): Promise<void> {
    requireCapability(this.device, 'pwm', 'PWM');
    await this.device.request('set_pwm', { pin: this.id, freq: freqHz, duty });
  }

  /**
   * Calls `callback` with each pin_change event of this pin (the pin must be set up).
   * Resolves once the device watches the pin, with a function that stops this callback.
   */
  async watch(callback: PinChangeCallback, options: PinWatchOptions = {}): Promise<() => Promise<void>> {
    requireCapability(this.device, 'events', 'pin events');
    return this.watches.add(this.id, callback, options.edge ?? 'both', options.debounceMs ?? 20);
  }

  private legacyRefusal(feature: string): PicolinkError {
    return new PicolinkError(
      ErrorCode.NOT_SUPPORTED,
      `${feature} needs a picolink device; ${this.device.url} runs piconetcontrol, which would ignore it`,
    );
  }
}

function level(value: Level | boolean): Level {
  return value === true || value === 1 ? 1 : 0;
}
