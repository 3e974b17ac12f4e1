/**
 * Compares a documented output block with what a command really printed, "in shape": the
 * same lines, the same words and field names, the same ok / value words; what differs from
 * run to run (timestamps, tokens, table rule widths, fields like `t=` or `uptime_ms=`) only
 * has to be of the same kind.
 */
import { AssertionError } from 'node:assert';

/** `key=value` fields whose value changes from run to run: any value of the same kind matches. */
const VOLATILE_KEYS = new Set(['t', 'time', 'uptime_ms', 'uptimeMs', 'mem_free', 'memFree', 'mem_alloc', 'memAlloc', 'rssi', 'rtt', 'rtt_ms', 'temperature_c', 'temperatureC', 'volts', 'value_u16']);

/** Kinds of word that differ between runs; a documented word of a kind matches an actual word of the same kind. */
const VOLATILE_KINDS: readonly RegExp[] = [
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, // ISO time
  /^\d\d:\d\d:\d\d(\.\d+)?$/, // time of day
  /^-+$/, // a table's rule under its header
  /^[A-Za-z0-9_-]{32,}$/, // a token
  /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, // a SHA-256 fingerprint
];

export interface ShapeOptions {
  /** The documented lines are the first lines of the output; more may follow. Default false. */
  prefix?: boolean;
  /** More kinds of volatile word, for this block only. */
  volatile?: readonly RegExp[];
}

/** Throws an AssertionError naming the first line that differs in shape. */
export function assertOutputShape(documented: string, actual: string, where: string, options: ShapeOptions = {}): void {
  const want = lines(documented);
  const got = lines(actual);
  const kinds = [...VOLATILE_KINDS, ...(options.volatile ?? [])];
  const fail = (why: string): never => {
    throw new AssertionError({ message: `${where}: the output differs from the documented one: ${why}\n--- documented\n${documented}\n--- actual\n${actual}`, actual, expected: documented });
  };
  if (options.prefix === true ? got.length < want.length : got.length !== want.length) fail(`${want.length} lines documented, ${got.length} printed`);
  want.forEach((line, i) => {
    if (!sameShape(line, got[i] ?? '', kinds)) fail(`line ${i + 1}: "${line}" vs "${got[i] ?? ''}"`);
  });
}

function lines(text: string): string[] {
  const all = text.split('\n').map((l) => l.trimEnd());
  while (all.length > 0 && all[all.length - 1] === '') all.pop();
  return all;
}

function sameShape(documented: string, actual: string, kinds: readonly RegExp[]): boolean {
  const a = documented.trim().split(/\s+/);
  const b = actual.trim().split(/\s+/);
  return a.length === b.length && a.every((word, i) => sameWord(word, b[i] ?? '', kinds));
}

function sameWord(documented: string, actual: string, kinds: readonly RegExp[]): boolean {
  if (documented === actual) return true;
  const field = /^([A-Za-z_]+)=(.*)$/;
  const d = field.exec(documented);
  const a = field.exec(actual);
  if (d && a && d[1] === a[1] && VOLATILE_KEYS.has(d[1] ?? '')) return kindOf(d[2] ?? '') === kindOf(a[2] ?? '');
  return kinds.some((kind) => kind.test(documented) && kind.test(actual));
}

function kindOf(value: string): string {
  return /^-?\d+(\.\d+)?$/.test(value) ? 'number' : value;
}
