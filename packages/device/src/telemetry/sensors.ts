/**
 * The readings a device can put in telemetry: `temp_c` (internal sensor, °C), `adc0` to
 * `adc3` (volts) and `pinN` (level of a set-up pin, skipped while it is not set up).
 */
import { ErrorCode, LED_PIN, PicolinkError } from '@picolink/protocol';
import type { PinId } from '@picolink/protocol';
import { adcU16ToVolts, sensorVoltsToCelsius } from '../gpio/backend.js';
import type { GpioBackend, Level } from '../gpio/backend.js';

/** What a sensor reads from. */
export interface SensorSource {
  readonly backend: GpioBackend;
  readonly pins: { peek(pin: PinId): Level | undefined };
}

export interface Sensor {
  readonly name: string;
  /** The reading now, or undefined when there is nothing to report. */
  read(source: SensorSource): number | undefined;
}

const ADC_SENSOR = /^adc([0-3])$/;
const PIN_SENSOR = /^pin(\d{1,2}|LED)$/;

/** Parses sensor names; unknown names and missing pins are errors naming what exists. */
export function parseSensors(names: readonly string[], backend: GpioBackend): Sensor[] {
  return names.map((name) => parseSensor(name, backend));
}

function parseSensor(name: string, backend: GpioBackend): Sensor {
  if (name === 'temp_c') {
    return { name, read: (source) => round(sensorVoltsToCelsius(adcU16ToVolts(source.backend.readAdc(4))), 2) };
  }
  const adc = ADC_SENSOR.exec(name);
  if (adc) {
    const channel = Number(adc[1]);
    return { name, read: (source) => round(adcU16ToVolts(source.backend.readAdc(channel)), 4) };
  }
  const pinMatch = PIN_SENSOR.exec(name);
  if (pinMatch) {
    const pin: PinId = pinMatch[1] === LED_PIN ? LED_PIN : Number(pinMatch[1]);
    if (backend.capabilities(pin) === undefined) {
      throw new PicolinkError(ErrorCode.NO_SUCH_PIN, `telemetry sensor "${name}": pin ${String(pin)} does not exist on ${backend.board}`);
    }
    return { name, read: (source) => source.pins.peek(pin) };
  }
  throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `unknown telemetry sensor "${name}"; use temp_c, adc0-adc3 or pinN (e.g. pin2)`);
}

/** Reads every sensor; those with nothing to report are left out. */
export function readSensors(sensors: readonly Sensor[], source: SensorSource): Record<string, number> {
  const readings: Record<string, number> = {};
  for (const sensor of sensors) {
    const value = sensor.read(source);
    if (value !== undefined) readings[sensor.name] = value;
  }
  return readings;
}

function round(n: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(n * scale) / scale;
}
