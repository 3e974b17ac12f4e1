/**
 * The one place where the protocol's snake_case names meet the SDK's camelCase. The wire
 * keeps its names (docs/protocol.md: `mem_free`, `reverts_to`, `pin_change`, ...); every
 * object the SDK hands a program, and every field a program passes to `request()`, is in
 * camelCase (`memFree`, `revertsTo`, `pinChange`). `send()` and `sendCommands()` are the
 * exception by design: they carry raw frames, as the CLI's `send` does.
 */
import type { ChangeCause, PinId } from '@picolink/protocol';

/** A snake_case name in camelCase, as a type: `"safe_after_ms"` → `"safeAfterMs"`. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** An object type with every key (recursively, through arrays) in camelCase. */
export type Camelized<T> = T extends ReadonlyArray<infer Item>
  ? Array<Camelized<Item>>
  : T extends object
    ? { [K in keyof T as K extends string ? CamelCase<K> : K]: Camelized<T[K]> }
    : T;

/**
 * Fields whose value is a map keyed by data (file names), not by protocol names: their
 * keys are never renamed, in either direction.
 */
const DATA_MAPS: ReadonlySet<string> = new Set(['files', 'sha256']);

/** Fields whose string value is a name (an event's, `last_update.status`'s), renamed like keys. */
const NAME_VALUES: ReadonlySet<string> = new Set(['event', 'status']);

/** `"mem_free"` → `"memFree"`, `"duty_u16"` → `"dutyU16"`; a camelCase name stays as it is. */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/** `"safeAfterMs"` → `"safe_after_ms"`; a snake_case name stays as it is. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * A frame from the device with its keys in camelCase, recursively, and its event name
 * and known enumerated values mapped; maps keyed by file names are copied unchanged.
 */
export function fromWire<T = Record<string, unknown>>(frame: Record<string, unknown>): T {
  return mapObject(frame) as T;
}

/** A program's request fields with their keys in the protocol's snake_case (top level only: nested values are data). */
export function toWire(fields: Record<string, unknown>): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) wire[snakeCase(key)] = value;
  return wire;
}

function mapValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mapValue);
  if (value !== null && typeof value === 'object') return mapObject(value as Record<string, unknown>);
  return value;
}

function mapObject(object: Record<string, unknown>): Record<string, unknown> {
  const mapped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const name = camelCase(key);
    if (DATA_MAPS.has(name)) {
      mapped[name] = value;
      continue;
    }
    mapped[name] = NAME_VALUES.has(name) && typeof value === 'string' ? camelCase(value) : mapValue(value);
  }
  return mapped;
}

/** A pin change pushed by the device (wire event `pin_change`). */
export interface PinChange {
  event: 'pinChange';
  pin: PinId;
  value: 0 | 1;
  cause: ChangeCause;
  /** Device clock: ms since the device started. */
  t: number;
  /** Unix time in ms when the device knows it, else absent. */
  time?: number;
}

/**
 * Any event the device (or the hub) pushes, keys and name in camelCase: a
 * {@link PinChange}, `{ event: 'closing', code, error }` before the peer closes the
 * connection, `{ event: 'status', online }` from a hub, or one this SDK does not know yet.
 */
export type DeviceEvent = PinChange | { event: string; [field: string]: unknown };
