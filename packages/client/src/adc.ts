/** One ADC channel of a connected device (docs/protocol.md#adc). */
import type { ActionName } from '@picolink/protocol';
import { requireCapability } from './capabilities.js';
import type { PeerFeatures } from './capabilities.js';
import type { ActionResponse, CallOptions, RequestInput } from './types.js';

export interface AdcHost extends PeerFeatures {
  request<A extends ActionName>(action: A, fields?: RequestInput<A>, options?: CallOptions): Promise<ActionResponse<A>>;
}

export interface AdcReading {
  /** Raw reading, 0-65535. */
  value: number;
  /** Voltage at the ADC input (value * 3.3 / 65535). */
  volts: number;
  /** Channel 4 only: the chip's temperature in °C. */
  temperatureC?: number;
}

export class AdcChannel {
  /** @internal Use `device.adc(channel)`. */
  constructor(
    private readonly device: AdcHost,
    /** 0-2 are GPIO 26-28, 3 is VSYS/3, 4 the temperature sensor. */
    readonly channel: number,
  ) {}

  async read(): Promise<AdcReading> {
    requireCapability(this.device, 'adc', 'ADC readings');
    const response = await this.device.request('read_adc', { channel: this.channel });
    const reading: AdcReading = { value: response.value, volts: response.volts };
    if (typeof response.temperatureC === 'number') reading.temperatureC = response.temperatureC;
    return reading;
  }
}
