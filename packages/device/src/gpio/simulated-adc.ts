/**
 * The simulated Pico W's ADC: what the five channels of a real board read.
 *
 * - Channel 4, the internal temperature sensor, follows a board that sits in a room: the
 *   die temperature drifts slowly around the ambient value (a mean-reverting random
 *   walk, an Ornstein-Uhlenbeck process sampled exactly over the elapsed time), and each
 *   conversion adds a little noise, as the real sensor's readings do.
 * - Channel 3 reads VSYS through the board's 1:3 divider: about 1.65 V on USB power.
 * - Channels 0-2 (GPIO 26-28) read voltages the user sets, 0 V by default.
 * Every value goes through the 12-bit converter and read_u16's scaling.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { celsiusToSensorVolts, voltsToAdcU16 } from './backend.js';

export interface SimulatedAdcOptions {
  /** Clock in ms; drives the temperature drift. Default Date.now. */
  now?: () => number;
  /** Uniform random numbers in [0, 1). Default Math.random. */
  random?: () => number;
  /** Temperature the die drifts around, °C. Default 25. */
  ambientC?: number;
  /** Typical distance of the drift from ambient (its standard deviation), °C. Default 1. */
  driftC?: number;
  /** Time constant of the pull back to ambient, seconds. Default 600. */
  reversionS?: number;
  /** Noise of one conversion of the temperature sensor (standard deviation), °C. Default 0.3. */
  sensorNoiseC?: number;
  /** Supply voltage at VSYS, volts. Default 4.95 (USB power after the diode). */
  vsys?: number;
  /** Noise of one conversion on channels 0-3 (standard deviation), volts. Default 0.003. */
  voltageNoise?: number;
}

/** How far the drifting temperature may stray from ambient, in units of `driftC`. */
const MAX_DRIFT_SPREADS = 4;
/** Noise draws are clipped here (standard deviations) so readings stay plausible. */
const MAX_NOISE_SPREADS = 3;

export class SimulatedAdc {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly ambientC: number;
  private readonly driftC: number;
  private readonly reversionS: number;
  private readonly sensorNoiseC: number;
  private readonly voltageNoise: number;
  private readonly inputs: [number, number, number] = [0, 0, 0];
  private vsys: number;
  private dieC: number;
  private sampledAt: number;

  constructor(options: SimulatedAdcOptions = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.ambientC = options.ambientC ?? 25;
    this.driftC = options.driftC ?? 1;
    this.reversionS = options.reversionS ?? 600;
    this.sensorNoiseC = options.sensorNoiseC ?? 0.3;
    this.voltageNoise = options.voltageNoise ?? 0.003;
    this.vsys = options.vsys ?? 4.95;
    this.dieC = this.ambientC;
    this.sampledAt = this.now();
  }

  /** The die temperature now, °C, without conversion noise. */
  temperatureC(): number {
    const now = this.now();
    const elapsedS = Math.max(0, now - this.sampledAt) / 1000;
    this.sampledAt = now;
    if (elapsedS > 0) {
      // Exact OU transition over elapsedS: the mean decays by `keep`, the variance
      // approaches driftC² so the walk never wanders off however long the gap.
      const keep = Math.exp(-elapsedS / this.reversionS);
      const spread = this.driftC * Math.sqrt(1 - keep * keep);
      const next = this.ambientC + (this.dieC - this.ambientC) * keep + spread * this.gaussian();
      const limit = MAX_DRIFT_SPREADS * this.driftC;
      this.dieC = Math.min(this.ambientC + limit, Math.max(this.ambientC - limit, next));
    }
    return this.dieC;
  }

  /** Sets the voltage at ADC channel 0-2 (GPIO 26-28), as a potentiometer would. */
  setVoltage(channel: number, volts: number): void {
    if (channel !== 0 && channel !== 1 && channel !== 2) {
      throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `ADC channel ${channel} has no external input; use 0, 1 or 2`);
    }
    if (!Number.isFinite(volts) || volts < 0 || volts > 3.3) {
      throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `ADC input voltage must be between 0 and 3.3 V, got ${volts}`);
    }
    this.inputs[channel] = volts;
  }

  /** Sets the supply voltage seen at VSYS (channel 3 reads a third of it). */
  setVsys(volts: number): void {
    this.vsys = volts;
  }

  /** One conversion of `channel` as read_u16 returns it. */
  read(channel: number): number {
    switch (channel) {
      case 0:
      case 1:
      case 2:
        return voltsToAdcU16((this.inputs[channel] ?? 0) + this.voltageNoise * this.gaussian());
      case 3:
        return voltsToAdcU16(this.vsys / 3 + this.voltageNoise * this.gaussian());
      case 4:
        return voltsToAdcU16(celsiusToSensorVolts(this.temperatureC() + this.sensorNoiseC * this.gaussian()));
      default:
        throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `ADC channel must be 0-4, got ${channel}`);
    }
  }

  /** A standard normal draw (Box-Muller), clipped to ±3. */
  private gaussian(): number {
    const u1 = 1 - this.random();
    const u2 = this.random();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.max(-MAX_NOISE_SPREADS, Math.min(MAX_NOISE_SPREADS, z));
  }
}
