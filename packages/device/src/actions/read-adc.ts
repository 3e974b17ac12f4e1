/** read_adc: raw value and volts; channel 4 adds the internal sensor's temperature. */
import type { ResultFields } from '@picolink/protocol';
import { adcU16ToVolts, sensorVoltsToCelsius } from '../gpio/backend.js';
import type { ActionHandler } from './context.js';

/** Channel of the RP2040's internal temperature sensor. */
export const TEMPERATURE_CHANNEL = 4;

export const readAdc: ActionHandler<'read_adc'> = function readAdc(request, context) {
  const { channel } = request.fields;
  const value = context.runtime.backend.readAdc(channel);
  const volts = adcU16ToVolts(value);
  const result: ResultFields['read_adc'] = { value, volts: round(volts, 5) };
  if (channel === TEMPERATURE_CHANNEL) result.temperature_c = round(sensorVoltsToCelsius(volts), 2);
  return result;
};

function round(n: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(n * scale) / scale;
}
