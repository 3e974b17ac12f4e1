/**
 * Plain-text tables for terminal output: left-aligned columns separated by two spaces.
 * A cell may hold several lines (a folded text, a key/value list); the row then takes
 * as many lines, the other columns blank below their first line.
 */

/** The rule under a free-text last column stops here, however long the text. */
const MAX_LAST_RULE = 40;

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const split = rows.map((row) => row.map((cell) => cell.split('\n')));
  const widths = headers.map((h, col) => Math.max(h.length, ...split.flatMap((row) => (row[col] ?? ['']).map((line) => line.length))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, col) => (col === cells.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd();
  const rules = widths.map((w, col) => '-'.repeat(col === widths.length - 1 ? Math.min(w, MAX_LAST_RULE) : w));
  const body = split.flatMap((row) => {
    const height = Math.max(...row.map((lines) => lines.length));
    return Array.from({ length: height }, (_, i) => line(row.map((lines) => lines[i] ?? '')));
  });
  return [line(headers), line(rules), ...body].join('\n') + '\n';
}

/** A compact one-line rendering of a JSON value for a table cell. */
export function cell(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) return value.join(',');
  return JSON.stringify(value) ?? '';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The fields of an object, in order, as [key, cell] pairs; nested objects as `outer.inner`. */
function flatten(fields: Record<string, unknown>, prefix = ''): [string, string][] {
  return Object.entries(fields).flatMap(([key, value]): [string, string][] =>
    isPlainObject(value) && Object.keys(value).length > 0 ? flatten(value, `${prefix}${key}.`) : [[`${prefix}${key}`, cell(value)]],
  );
}

/** `key=value` pairs of an object, in order, for a table cell; nested objects as `outer.inner=value`. */
export function pairs(fields: Record<string, unknown>): string {
  return flatten(fields)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
}

/** Breaks `text` into lines of at most `width` characters, after a space or comma where there is one. */
export function fold(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const head = rest.slice(0, width + 1);
    const at = Math.max(head.lastIndexOf(' '), head.lastIndexOf(',', width - 1) + 1);
    const cut = at > 0 ? at : width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}

/** An object as one `key  value` line per field, keys aligned, long values folded to `width`. */
export function keyValueList(fields: Record<string, unknown>, width: number): string {
  const entries = flatten(fields);
  const keyWidth = Math.max(...entries.map(([key]) => key.length));
  const indent = ' '.repeat(keyWidth + 2);
  return entries
    .flatMap(([key, value]) => fold(value, Math.max(width - indent.length, 16)).map((part, i) => (i === 0 ? `${key.padEnd(keyWidth)}  ${part}` : `${indent}${part}`)))
    .join('\n');
}
