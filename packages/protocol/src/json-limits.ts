/**
 * Limits on the shape of JSON received from a peer (docs/protocol.md#framing): how deep
 * it nests and how many values it holds. A few kilobytes of `[[[[…` parse fine but make
 * any recursive walk (JSON.stringify of an echo, a schema check, Python's json) overflow
 * its stack, so every parser of peer input checks the text first, in one linear pass,
 * before JSON.parse builds anything.
 */
import { ErrorCode, PicolinkError } from './errors.js';

/** Deepest nesting accepted: objects and arrays inside each other. */
export const DEFAULT_MAX_JSON_DEPTH = 32;
/** Most values (objects, arrays, and the members and elements in them) accepted in one text. */
export const DEFAULT_MAX_JSON_VALUES = 4096;

export interface JsonLimits {
  /** Deepest nesting of objects and arrays. Default {@link DEFAULT_MAX_JSON_DEPTH} (32). */
  maxDepth?: number;
  /** Most values in the whole text. Default {@link DEFAULT_MAX_JSON_VALUES} (4096). */
  maxValues?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * Throws `PL_ERR_JSON_TOO_COMPLEX` when `text` nests deeper than `maxDepth` or holds more
 * than `maxValues` values. Counts only structure outside strings; it does not check that
 * the text is JSON (JSON.parse does that afterwards), and it stops at the first excess, so
 * its cost is linear in the text and never more than one pass.
 */
export function checkJsonLimits(text: string, limits: JsonLimits = {}): void {
  const excess = jsonLimitExcess(text, limits);
  if (excess !== undefined) throw tooComplex(excess);
}

/**
 * The check of {@link checkJsonLimits} without throwing, for receivers that reject a flood
 * of bad input and should not pay for an Error each time: what is exceeded ("nests deeper
 * than 32 levels"), or undefined when the text is within the limits.
 */
export function jsonLimitExcess(text: string, limits: JsonLimits = {}): string | undefined {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const maxValues = limits.maxValues ?? DEFAULT_MAX_JSON_VALUES;
  let depth = 0;
  // The top-level value counts as one; each comma and each opened container adds one.
  let values = 1;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Skip the string: to the next quote not escaped by a backslash.
      for (i += 1; i < length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i += 1;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
      values += 1;
      if (depth > maxDepth) return `nests deeper than ${maxDepth} levels`;
      if (values > maxValues) return `holds more than ${maxValues} values`;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
    } else if (c === COMMA) {
      values += 1;
      if (values > maxValues) return `holds more than ${maxValues} values`;
    }
  }
  return undefined;
}

/** JSON.parse after {@link checkJsonLimits}: `PL_ERR_JSON_TOO_COMPLEX` or `PL_ERR_BAD_JSON` instead of a SyntaxError. */
export function parseBoundedJson(text: string, limits?: JsonLimits): unknown {
  checkJsonLimits(text, limits);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new PicolinkError(ErrorCode.BAD_JSON, `invalid JSON: ${detail}`);
  }
}

/**
 * True when an already-built value stays within the same limits, and its strings hold
 * at most `maxChars` characters in all. Walks with its own stack (no recursion) and stops
 * at the first excess, so it costs at most `maxValues` steps whatever it is given: the
 * check before something not parsed by {@link parseBoundedJson} is echoed or serialised.
 */
export function isWithinJsonLimits(value: unknown, limits: JsonLimits & { maxChars?: number } = {}): boolean {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const maxValues = limits.maxValues ?? DEFAULT_MAX_JSON_VALUES;
  let chars = limits.maxChars ?? Number.POSITIVE_INFINITY;
  let values = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    values += 1;
    if (values > maxValues) return false;
    const current = item.value;
    if (typeof current === 'string') {
      chars -= current.length;
      if (chars < 0) return false;
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) return false;
    if (Array.isArray(current)) {
      if (values + current.length > maxValues) return false;
      for (const element of current) stack.push({ value: element, depth });
      continue;
    }
    const keys = Object.keys(current);
    if (values + keys.length > maxValues) return false;
    for (const key of keys) {
      chars -= key.length;
      if (chars < 0) return false;
      stack.push({ value: (current as Record<string, unknown>)[key], depth });
    }
  }
  return true;
}

function tooComplex(detail: string): PicolinkError {
  return new PicolinkError(ErrorCode.JSON_TOO_COMPLEX, `the JSON ${detail}; send flat requests (docs/protocol.md#framing)`);
}
