/**
 * What the pin panel knows of a device's pins: the pins get_info reports, each pin's
 * mode from the last successful setup_pin (or set_pwm) in the audit log, and its level
 * from read_pin, then from writes and pin_change events.
 */
import type { AuditRecord } from './types.js';

export type PinMode = 'input' | 'output' | 'pwm';

export interface PinState {
  pin: string;
  mode: PinMode | null;
  pull?: string;
  safe?: number;
  value: 0 | 1 | null;
  duty?: number;
  freq?: number;
  /** A write with a timeout: when it ends (page clock, ms) and the level it reverts to. */
  lease?: { until: number; revertsTo: 0 | 1 };
}

/** Pins as the device names them, in order, the on-board LED first. */
export function pinList(reported: readonly number[]): string[] {
  return ['LED', ...[...reported].sort((a, b) => a - b).map(String)];
}

/** Modes from the audit log (newest first): the most recent successful setup per pin wins. */
export function modesFromAudit(records: readonly AuditRecord[]): Map<string, Partial<PinState>> {
  const modes = new Map<string, Partial<PinState>>();
  for (const record of records) {
    if (record.result !== 'ok') continue;
    const pin = record.request.pin;
    if (pin === undefined) continue;
    const key = String(pin);
    if (modes.has(key)) continue;
    if (record.action === 'setup_pin') {
      const mode = record.request.mode === 'input' ? 'input' : 'output';
      modes.set(key, { mode, pull: String(record.request.pull ?? 'none'), ...(typeof record.request.safe === 'number' ? { safe: record.request.safe } : {}) });
    } else if (record.action === 'set_pwm') {
      modes.set(key, { mode: 'pwm', duty: Number(record.request.duty), freq: Number(record.request.freq) });
    }
  }
  return modes;
}

/** The request value for a pin name: GPIO numbers as numbers, "LED" as is. */
export function pinValue(pin: string): number | string {
  return /^\d+$/.test(pin) ? Number(pin) : pin;
}
