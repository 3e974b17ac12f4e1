/** Plain-text tables for terminal output: left-aligned columns separated by two spaces. */

/** The rule under a free-text last column stops here, however long the text. */
const MAX_LAST_RULE = 40;

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, col) => Math.max(h.length, ...rows.map((row) => (row[col] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, col) => (col === cells.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd();
  const rules = widths.map((w, col) => '-'.repeat(col === widths.length - 1 ? Math.min(w, MAX_LAST_RULE) : w));
  return [line(headers), line(rules), ...rows.map(line)].join('\n') + '\n';
}

/** A compact one-line rendering of a JSON value for a table cell. */
export function cell(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) return value.join(',');
  return JSON.stringify(value) ?? '';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `key=value` pairs of an object, in order, for a table cell; nested objects as `outer.inner=value`. */
export function pairs(fields: Record<string, unknown>, prefix = ''): string {
  return Object.entries(fields)
    .map(([key, value]) => (isPlainObject(value) && Object.keys(value).length > 0 ? pairs(value, `${prefix}${key}.`) : `${prefix}${key}=${cell(value)}`))
    .join(' ');
}
