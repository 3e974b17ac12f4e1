/**
 * Field coercion, the way piconetcontrol's server converts types (docs/protocol.md#types):
 * strings typed on a command line ("2", "0.5", "false") become numbers and booleans.
 * Unlike Python's bool("false"), the strings "false", "0", "no" and "off" are false.
 */
import { ErrorCode, PicolinkError } from './errors.js';

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_WORDS: ReadonlySet<string> = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', '0', 'no', 'off']);
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const FILE_NAME_CHARS = /^[A-Za-z0-9_.\-/]{1,64}$/;

/** The board's on-board LED, addressed by name as MicroPython's `Pin("LED")`. */
export const LED_PIN = 'LED';
export type PinId = number | typeof LED_PIN;

export type FieldType =
  | { kind: 'int'; min: number; max: number; unit?: string }
  | { kind: 'number'; min: number; max: number; unit?: string }
  | { kind: 'bool' }
  | { kind: 'bit' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'pin' }
  | { kind: 'files' }
  | { kind: 'hashes' };

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function badType(field: string, expected: string, value: unknown): PicolinkError {
  return new PicolinkError(ErrorCode.BAD_TYPE, `field "${field}" must be ${expected}, got ${describe(value)}`);
}

function checkRange(field: string, n: number, min: number, max: number, unit?: string): number {
  if (n < min || n > max) {
    const suffix = unit ? ` ${unit}` : '';
    throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `field "${field}" must be between ${min} and ${max}${suffix}, got ${n}`);
  }
  return n;
}

export function coerceInt(field: string, value: unknown, min: number, max: number, unit?: string): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && INTEGER_TEXT.test(value.trim())) n = Number(value.trim());
  else throw badType(field, 'an integer', value);
  if (!Number.isInteger(n)) throw badType(field, 'an integer', value);
  return checkRange(field, n, min, max, unit);
}

export function coerceNumber(field: string, value: unknown, min: number, max: number, unit?: string): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && NUMBER_TEXT.test(value.trim())) n = Number(value.trim());
  else throw badType(field, 'a number', value);
  if (!Number.isFinite(n)) throw badType(field, 'a finite number', value);
  return checkRange(field, n, min, max, unit);
}

export function coerceBool(field: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw badType(field, 'true or false (also 1/0, "true"/"false", "on"/"off")', value);
}

export function coerceBit(field: string, value: unknown): 0 | 1 {
  try {
    return coerceBool(field, value) ? 1 : 0;
  } catch {
    throw badType(field, '0 or 1 (also true/false, "on"/"off")', value);
  }
}

export function coerceEnum(field: string, value: unknown, values: readonly string[]): string {
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (values.includes(word)) return word;
    throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `field "${field}" must be one of ${values.join(', ')}, got ${describe(value)}`);
  }
  throw badType(field, `one of ${values.join(', ')}`, value);
}

export function coercePin(field: string, value: unknown): PinId {
  if (typeof value === 'string' && value.trim().toUpperCase() === LED_PIN) return LED_PIN;
  try {
    return coerceInt(field, value, 0, 63);
  } catch (err) {
    if (err instanceof PicolinkError && err.code === ErrorCode.BAD_TYPE) throw badType(field, 'a GPIO number or "LED"', value);
    throw err;
  }
}

function plainObject(field: string, value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badType(field, what, value);
  return value as Record<string, unknown>;
}

/** A relative path of real names: no empty, "." or ".." segment (so no leading or trailing "/"). */
function isSafeFileName(name: string): boolean {
  if (!FILE_NAME_CHARS.test(name) || name.includes('..')) return false;
  return name.split('/').every((segment) => segment !== '' && segment !== '.');
}

function checkFileName(field: string, name: string): void {
  if (!isSafeFileName(name)) {
    throw new PicolinkError(
      ErrorCode.UPDATE_FILE,
      `field "${field}" has an unsafe file name ${describe(name)}; use a relative path of at most 64 letters, digits, "_", "-", "." and "/", without "..", "." or empty parts`,
    );
  }
}

export function coerceFiles(field: string, value: unknown): Record<string, string> {
  const files = plainObject(field, value, 'an object of file name to content');
  const out: Record<string, string> = {};
  const names = Object.keys(files);
  if (names.length === 0) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `field "${field}" must name at least one file`);
  for (const name of names) {
    checkFileName(field, name);
    const content = files[name];
    if (typeof content !== 'string') throw badType(`${field}.${name}`, 'a string', content);
    out[name] = content;
  }
  return out;
}

export function coerceHashes(field: string, value: unknown): Record<string, string> {
  const hashes = plainObject(field, value, 'an object of file name to SHA-256 hex digest');
  const out: Record<string, string> = {};
  for (const name of Object.keys(hashes)) {
    checkFileName(field, name);
    const digest = hashes[name];
    if (typeof digest !== 'string' || !HEX_SHA256.test(digest)) throw badType(`${field}.${name}`, 'a SHA-256 digest (64 hex digits)', digest);
    out[name] = digest.toLowerCase();
  }
  return out;
}

/** Coerces `value` to `type`; throws a coded {@link PicolinkError} naming `field`. */
export function coerceField(field: string, type: FieldType, value: unknown): unknown {
  switch (type.kind) {
    case 'int':
      return coerceInt(field, value, type.min, type.max, type.unit);
    case 'number':
      return coerceNumber(field, value, type.min, type.max, type.unit);
    case 'bool':
      return coerceBool(field, value);
    case 'bit':
      return coerceBit(field, value);
    case 'enum':
      return coerceEnum(field, value, type.values);
    case 'pin':
      return coercePin(field, value);
    case 'files':
      return coerceFiles(field, value);
    case 'hashes':
      return coerceHashes(field, value);
  }
}
