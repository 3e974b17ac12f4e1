/**
 * The hardware interface of a device: everything the runtime needs from GPIO, PWM and
 * the ADC. The simulated Pico W implements it (gpio/simulated.ts); a Linux gpiochip
 * backend or any other board plugs in the same way, as node-serialport's bindings do.
 *
 * Backends do not validate protocol rules (modes, leases, ownership): the pin registry
 * does that before it calls them. They report what the hardware can do and do it.
 */
import type { PinId } from '@picolink/protocol';

export type Level = 0 | 1;
export type Pull = 'up' | 'down' | 'none';

/** What one pin can do. */
export interface PinCapabilities {
  /** False for output-only pins such as the Pico W's "LED" (wired to the WiFi chip). */
  input: boolean;
  /** False for pins without a PWM slice. */
  pwm: boolean;
}

/** Memory figures as MicroPython's gc.mem_free()/gc.mem_alloc() report them, in bytes. */
export interface MemoryInfo {
  free: number;
  alloc: number;
}

/** Called when the level of a pin configured as input changes. */
export type InputChangeListener = (pin: PinId, level: Level) => void;

export interface GpioBackend {
  /** Board name reported by get_info, e.g. "Raspberry Pi Pico W". */
  readonly board: string;
  /** Platform reported by get_info, e.g. "rp2" on MicroPython, "sim" when simulated. */
  readonly platform: string;
  /** Every pin that exists on the board, GPIO numbers ascending, named pins last. */
  readonly pins: readonly PinId[];

  /** What `pin` can do, or undefined when the board has no such pin. */
  capabilities(pin: PinId): PinCapabilities | undefined;
  /** Makes `pin` an input with the given pull resistor. */
  configureInput(pin: PinId, pull: Pull): void;
  /** Makes `pin` an output driving `level`. */
  configureOutput(pin: PinId, level: Level): void;
  /** Drives an output pin. */
  write(pin: PinId, level: Level): void;
  /** Reads the level at an input pin. */
  read(pin: PinId): Level;
  /** Drives `pin` with PWM; `dutyU16` is 0-65535 as MicroPython's duty_u16. */
  setPwm(pin: PinId, freqHz: number, dutyU16: number): void;
  /** Reads ADC channel 0-4 as a raw 16-bit value (MicroPython's read_u16). */
  readAdc(channel: number): number;
  /** Current heap figures. */
  memory(): MemoryInfo;
  /** WiFi signal strength in dBm, or null when not on WiFi. */
  rssi(): number | null;
  /** Subscribes to input level changes; returns the unsubscribe function. */
  onInputChange(listener: InputChangeListener): () => void;
  /** Returns every pin to its power-on state (unconfigured, no PWM), as a restart does. */
  reset(): void;
}

/** Picks the 12-bit conversion of the RP2040 ADC and scales it the way read_u16 does. */
export function voltsToAdcU16(volts: number, vref = 3.3): number {
  const clamped = Math.min(Math.max(volts, 0), vref);
  const raw12 = Math.round((clamped / vref) * 4095);
  return (raw12 << 4) | (raw12 >> 8);
}

/** Voltage at the ADC input for a raw 16-bit reading (docs/protocol.md#read_adc). */
export function adcU16ToVolts(value: number, vref = 3.3): number {
  return (value * vref) / 65535;
}

/** The RP2040 datasheet's conversion of the internal sensor's voltage to °C. */
export function sensorVoltsToCelsius(volts: number): number {
  return 27 - (volts - 0.706) / 0.001721;
}

/** Inverse of {@link sensorVoltsToCelsius}. */
export function celsiusToSensorVolts(celsius: number): number {
  return 0.706 - (celsius - 27) * 0.001721;
}
