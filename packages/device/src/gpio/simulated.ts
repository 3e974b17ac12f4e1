/**
 * A simulated Raspberry Pi Pico W: GPIO 0-22 and 26-28 plus the "LED" pin, pull
 * resistors, PWM and the ADC. It is what `picolink device --sim` runs, so it behaves like
 * the board a user will wire up: an unconnected input reads what its pull resistor
 * gives, a button is a level set from outside, and every write is recorded so a script
 * or the dashboard can see what the "hardware" was told to do.
 */
import { ErrorCode, LED_PIN, PicolinkError } from '@picolink/protocol';
import type { PinId } from '@picolink/protocol';
import type { GpioBackend, InputChangeListener, Level, MemoryInfo, PinCapabilities, Pull } from './backend.js';
import { SimulatedAdc } from './simulated-adc.js';
import type { SimulatedAdcOptions } from './simulated-adc.js';

/** GPIO numbers brought out on a Pico W. */
export const PICO_W_GPIO: readonly number[] = [...Array.from({ length: 23 }, (_, i) => i), 26, 27, 28];

/** Mode of a simulated pin. */
export type SimulatedPinMode = 'unset' | 'input' | 'output' | 'pwm';

/** Observable state of one simulated pin. */
export interface SimulatedPinState {
  mode: SimulatedPinMode;
  pull: Pull;
  /** Level the pin drives when it is an output. */
  driven: Level;
  /** Level applied from outside (a button, a wire), or null when nothing is connected. */
  external: Level | null;
  /** PWM settings while the pin is in PWM mode. */
  pwm?: { freqHz: number; dutyU16: number };
}

/** One thing the runtime told the simulated hardware to do. */
export type SimulatedWrite =
  | { time: number; pin: PinId; kind: 'level'; level: Level }
  | { time: number; pin: PinId; kind: 'pwm'; freqHz: number; dutyU16: number };

export interface SimulatedBackendOptions extends SimulatedAdcOptions {
  /** Most writes kept in {@link SimulatedBackend.history}; older ones are dropped. Default 1000. */
  historyLimit?: number;
  /** Board name reported by get_info. Default "Raspberry Pi Pico W (simulated)". */
  board?: string;
}

/** Heap size a Pico W running MicroPython reports (gc.mem_free() + gc.mem_alloc()). */
const HEAP_BYTES = 192_064;

export class SimulatedBackend implements GpioBackend {
  readonly board: string;
  readonly platform = 'sim';
  readonly pins: readonly PinId[] = [...PICO_W_GPIO, LED_PIN];
  /** The ADC; use it to set channel 0-2 voltages or read the die temperature. */
  readonly adc: SimulatedAdc;
  private readonly state = new Map<PinId, SimulatedPinState>();
  private readonly inputListeners = new Set<InputChangeListener>();
  private readonly writeListeners = new Set<(write: SimulatedWrite) => void>();
  private readonly writes: SimulatedWrite[] = [];
  private readonly historyLimit: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(options: SimulatedBackendOptions = {}) {
    this.board = options.board ?? 'Raspberry Pi Pico W (simulated)';
    this.historyLimit = options.historyLimit ?? 1000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.adc = new SimulatedAdc(options);
    for (const pin of this.pins) this.state.set(pin, freshPin(null));
  }

  capabilities(pin: PinId): PinCapabilities | undefined {
    if (!this.state.has(pin)) return undefined;
    // The Pico W's LED hangs off the CYW43 WiFi chip: output only, no PWM slice.
    return pin === LED_PIN ? { input: false, pwm: false } : { input: true, pwm: true };
  }

  configureInput(pin: PinId, pull: Pull): void {
    const state = this.pin(pin);
    state.mode = 'input';
    state.pull = pull;
    delete state.pwm;
  }

  configureOutput(pin: PinId, level: Level): void {
    const state = this.pin(pin);
    state.mode = 'output';
    state.pull = 'none';
    delete state.pwm;
    this.drive(pin, state, level);
  }

  write(pin: PinId, level: Level): void {
    this.drive(pin, this.pin(pin), level);
  }

  read(pin: PinId): Level {
    const state = this.pin(pin);
    return state.mode === 'input' ? inputLevel(state) : state.driven;
  }

  setPwm(pin: PinId, freqHz: number, dutyU16: number): void {
    const state = this.pin(pin);
    state.mode = 'pwm';
    state.pwm = { freqHz, dutyU16 };
    this.record({ time: this.now(), pin, kind: 'pwm', freqHz, dutyU16 });
  }

  readAdc(channel: number): number {
    return this.adc.read(channel);
  }

  memory(): MemoryInfo {
    const alloc = 21_000 + Math.floor(this.random() * 4_000);
    return { free: HEAP_BYTES - alloc, alloc };
  }

  rssi(): number {
    return -52 - Math.floor(this.random() * 7);
  }

  onInputChange(listener: InputChangeListener): () => void {
    this.inputListeners.add(listener);
    return () => this.inputListeners.delete(listener);
  }

  reset(): void {
    // What is wired to the pins (buttons, ADC voltages) stays; the chip forgets its setup.
    for (const [pin, state] of this.state) this.state.set(pin, freshPin(state.external));
  }

  /**
   * Applies a level to a pin from outside, as a button or a wire would; `null`
   * disconnects it so an input reads its pull resistor again. Inputs that change level
   * are reported to input listeners (the runtime's watches).
   */
  setInputLevel(pin: PinId, level: Level | null): void {
    const state = this.pin(pin);
    const before = inputLevel(state);
    state.external = level;
    const after = inputLevel(state);
    if (state.mode === 'input' && after !== before) {
      for (const listener of [...this.inputListeners]) listener(pin, after);
    }
  }

  /** Sets the voltage at ADC channel 0-2 (GPIO 26-28). */
  setAdcVoltage(channel: number, volts: number): void {
    this.adc.setVoltage(channel, volts);
  }

  /** A copy of one pin's state. */
  pinState(pin: PinId): SimulatedPinState {
    const state = this.pin(pin);
    return { ...state, ...(state.pwm ? { pwm: { ...state.pwm } } : {}) };
  }

  /** Writes so far, oldest first, at most `historyLimit` of them. */
  get history(): readonly SimulatedWrite[] {
    return this.writes.length > this.historyLimit ? this.writes.slice(-this.historyLimit) : this.writes;
  }

  /** Forgets the recorded writes. */
  clearHistory(): void {
    this.writes.length = 0;
  }

  /** Calls `listener` for every write as it happens; returns the unsubscribe function. */
  onWrite(listener: (write: SimulatedWrite) => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  private pin(pin: PinId): SimulatedPinState {
    const state = this.state.get(pin);
    if (!state) throw new PicolinkError(ErrorCode.NO_SUCH_PIN, `pin ${String(pin)} does not exist on a Pico W; use GPIO 0-22, 26-28 or "LED"`);
    return state;
  }

  private drive(pin: PinId, state: SimulatedPinState, level: Level): void {
    state.driven = level;
    this.record({ time: this.now(), pin, kind: 'level', level });
  }

  private record(write: SimulatedWrite): void {
    this.writes.push(write);
    // Trim in batches so a long run does not shift the array on every write.
    if (this.writes.length > this.historyLimit + 64) this.writes.splice(0, this.writes.length - this.historyLimit);
    for (const listener of [...this.writeListeners]) listener(write);
  }
}

function freshPin(external: Level | null): SimulatedPinState {
  return { mode: 'unset', pull: 'none', driven: 0, external };
}

/** An unconnected input reads its pull resistor; with none it reads 0 (floating low). */
function inputLevel(state: SimulatedPinState): Level {
  if (state.external !== null) return state.external;
  return state.pull === 'up' ? 1 : 0;
}
