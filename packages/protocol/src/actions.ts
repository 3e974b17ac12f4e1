/**
 * Every action of protocol v1 with its fields (docs/protocol.md#actions). The device
 * validates each request against this table; clients use it to build requests; the
 * documentation and the MicroPython agent follow it.
 */
import type { FieldType, PinId } from './coerce.js';

export interface FieldSpec {
  type: FieldType;
  required: boolean;
  /** Value used when the field is absent (applied after validation). */
  default?: unknown;
  doc: string;
}

export interface ActionSpec {
  summary: string;
  fields: Readonly<Record<string, FieldSpec>>;
  /** Result fields added to the response, name → description. */
  results: Readonly<Record<string, string>>;
}

const pin: FieldSpec = { type: { kind: 'pin' }, required: true, doc: 'GPIO number (0-63, the board decides which exist) or "LED"' };
const MAX_LEASE_S = 7 * 24 * 3600;
const MAX_SLEEP_MS = 2 ** 31 - 1;
/** Longest failsafe grace a setup_pin may ask for: one hour, in ms. */
export const MAX_SAFE_AFTER_MS = 3_600_000;

export const ACTIONS = {
  ping: { summary: 'Answer at once; used for round trips and heartbeats.', fields: {}, results: {} },
  get_version: {
    summary: 'Report the firmware version and the protocol spoken.',
    fields: {},
    results: { version: 'firmware version string', protocol: 'protocol version (1)', capabilities: 'list of capability names' },
  },
  get_info: {
    summary: 'Report resources: memory, uptime, board, firmware, protocol, capabilities, WiFi RSSI.',
    fields: {},
    results: { info: 'object: mem_free, mem_alloc, uptime_ms, board, platform, firmware, protocol, capabilities, rssi, pins, last_update' },
  },
  get_resource_info: { summary: 'Same as get_info (the name piconetcontrol documents).', fields: {}, results: { info: 'as get_info' } },
  list_actions: { summary: 'List the actions this device answers.', fields: {}, results: { actions: 'list of action names' } },
  setup_pin: {
    summary: 'Configure a pin as input or output.',
    fields: {
      pin,
      mode: { type: { kind: 'enum', values: ['input', 'output'] }, required: true, doc: '"input" or "output"' },
      pull: { type: { kind: 'enum', values: ['up', 'down', 'none'] }, required: false, default: 'none', doc: 'pull resistor; default "none"' },
      value: { type: { kind: 'bit' }, required: false, doc: 'outputs: initial level 0/1 (default: leave as is, 0 on a fresh pin)' },
      safe: { type: { kind: 'bit' }, required: false, doc: 'outputs: level to apply when the connection that controls the pin is lost' },
      safe_after_ms: {
        type: { kind: 'int', min: 0, max: MAX_SAFE_AFTER_MS, unit: 'ms' },
        required: false,
        doc: 'outputs with "safe": keep the level this long after the controlling connection is lost, then apply "safe" unless a new owner took the pin; absent or 0 applies it at once',
      },
    },
    results: { value: 'level of the pin after setup' },
  },
  write_pin: {
    summary: 'Drive an output; with a timeout, a lease that reverts to the previous level when it ends.',
    fields: {
      pin,
      value: { type: { kind: 'bit' }, required: true, doc: 'level 0/1' },
      timeout: {
        type: { kind: 'number', min: 0, max: MAX_LEASE_S, unit: 's' },
        required: false,
        default: 0,
        doc: 'lease length in seconds; 0 or absent writes for good',
      },
    },
    results: { previous: 'level before this write', reverts_to: 'level restored when the lease ends (leases only)', lease_ms: 'lease length in ms (leases only)' },
  },
  read_pin: { summary: 'Read the level of a set-up pin.', fields: { pin }, results: { value: 'level 0/1' } },
  set_pwm: {
    summary: 'Drive a pin with PWM.',
    fields: {
      pin,
      freq: { type: { kind: 'int', min: 8, max: 62_500_000, unit: 'Hz' }, required: true, doc: 'frequency in Hz (8 to 62,500,000)' },
      duty: { type: { kind: 'number', min: 0, max: 1 }, required: true, doc: 'duty cycle, 0.0 to 1.0' },
    },
    results: { duty_u16: 'duty as the 16-bit value written to the hardware' },
  },
  read_adc: {
    summary: 'Read an ADC channel; channel 4 is the internal temperature sensor.',
    fields: { channel: { type: { kind: 'int', min: 0, max: 4 }, required: true, doc: 'ADC channel 0-4 (0-2 on GPIO 26-28, 3 VSYS/3, 4 temperature)' } },
    results: { value: 'raw reading 0-65535', volts: 'voltage at the ADC input', temperature_c: 'channel 4 only: °C' },
  },
  watch_pin: {
    summary: 'Push a pin_change event to this connection whenever the pin changes.',
    fields: {
      pin,
      edge: { type: { kind: 'enum', values: ['rising', 'falling', 'both'] }, required: false, default: 'both', doc: 'which changes to report' },
      debounce_ms: { type: { kind: 'int', min: 0, max: 10_000, unit: 'ms' }, required: false, default: 20, doc: 'a level must hold this long to count; default 20' },
    },
    results: { value: 'level when the watch started' },
  },
  unwatch_pin: { summary: 'Stop pin_change events for a pin on this connection.', fields: { pin }, results: { watching: 'false' } },
  reset: {
    summary: 'Restart the device about 1 s after replying.',
    fields: {},
    results: { delay_ms: 'time until the restart' },
  },
  sleep: {
    summary: 'Light or deep sleep after replying; the device is silent for time_ms.',
    fields: {
      time_ms: { type: { kind: 'int', min: 1, max: MAX_SLEEP_MS, unit: 'ms' }, required: true, doc: 'sleep length in ms' },
      deep: { type: { kind: 'bool' }, required: false, default: false, doc: 'deep sleep (restarts on waking) instead of light sleep' },
    },
    results: { delay_ms: 'time until sleep starts' },
  },
  update: {
    summary: 'Replace firmware files: written beside the old ones, verified by SHA-256, swapped, restarted; rolled back if the new code fails to start.',
    fields: {
      files: { type: { kind: 'files' }, required: true, doc: 'object: file name → content (text, or base64 of zlib data when compress is true)' },
      compress: { type: { kind: 'bool' }, required: false, default: false, doc: 'contents are base64-encoded zlib streams' },
      sha256: { type: { kind: 'hashes' }, required: false, doc: 'object: file name → SHA-256 hex of the final content; checked before anything is replaced' },
    },
    results: { updated: 'names of the files written', delay_ms: 'time until the restart into the new files' },
  },
} as const satisfies Record<string, ActionSpec>;

export type ActionName = keyof typeof ACTIONS;

export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

/** Fields every request may carry besides its action's own (docs/protocol.md#requests). */
export const COMMON_FIELDS = ['id', 'action', 'time_sent'] as const;

export function isActionName(name: string): name is ActionName {
  return Object.prototype.hasOwnProperty.call(ACTIONS, name);
}

/** Typed, coerced fields of each action's request. */
export interface RequestFields {
  ping: Record<string, never>;
  get_version: Record<string, never>;
  get_info: Record<string, never>;
  get_resource_info: Record<string, never>;
  list_actions: Record<string, never>;
  setup_pin: { pin: PinId; mode: 'input' | 'output'; pull: 'up' | 'down' | 'none'; value?: 0 | 1; safe?: 0 | 1; safe_after_ms?: number };
  write_pin: { pin: PinId; value: 0 | 1; timeout: number };
  read_pin: { pin: PinId };
  set_pwm: { pin: PinId; freq: number; duty: number };
  read_adc: { channel: number };
  watch_pin: { pin: PinId; edge: 'rising' | 'falling' | 'both'; debounce_ms: number };
  unwatch_pin: { pin: PinId };
  reset: Record<string, never>;
  sleep: { time_ms: number; deep: boolean };
  update: { files: Record<string, string>; compress: boolean; sha256?: Record<string, string> };
}

/** Resource information reported by get_info. */
export interface DeviceInfo {
  mem_free: number;
  mem_alloc: number;
  uptime_ms: number;
  board: string;
  platform: string;
  firmware: string;
  protocol: number;
  capabilities: string[];
  rssi: number | null;
  pins: number[];
  last_update: { status: 'none' | 'ok' | 'rolled_back'; files: string[] };
  device_id?: string;
}

/** Result fields of each action's successful response. */
export interface ResultFields {
  ping: Record<string, never>;
  get_version: { version: string; protocol?: number; capabilities?: string[] };
  get_info: { info: DeviceInfo };
  get_resource_info: { info: DeviceInfo };
  list_actions: { actions: string[] };
  setup_pin: { value: 0 | 1 };
  write_pin: { previous: 0 | 1; reverts_to?: 0 | 1; lease_ms?: number };
  read_pin: { value: 0 | 1 };
  set_pwm: { duty_u16: number };
  read_adc: { value: number; volts: number; temperature_c?: number };
  watch_pin: { value: 0 | 1 };
  unwatch_pin: { watching: false };
  reset: { delay_ms: number };
  sleep: { delay_ms: number };
  update: { updated: string[]; delay_ms: number };
}
