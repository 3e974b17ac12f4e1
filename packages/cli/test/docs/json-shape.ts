/**
 * "Same shape" for a documented JSON output and the real one: the same field names
 * (a documented `"…": "…"` stands for fields left out), the same JSON types, and the same
 * words where a reader acts on them (`ok`, `code`, `error`, `action`, `type`, `result`).
 * Times, counters, tokens and readings differ from run to run and are compared by type only.
 */

/** Fields whose value is compared exactly, not only by type. */
const EXACT = new Set(['ok', 'code', 'error', 'action', 'type', 'result']);
const ELLIPSIS = '…';

/** The differences between a documented value and the real one, as readable lines; [] when alike. */
export function shapeProblems(documented: unknown, actual: unknown, path = '$'): string[] {
  if (documented === null || actual === null) return documented === actual ? [] : [`${path}: documented ${JSON.stringify(documented)}, got ${JSON.stringify(actual)}`];
  if (Array.isArray(documented)) {
    if (!Array.isArray(actual)) return [`${path}: documented a list, got ${JSON.stringify(actual)}`];
    if (documented.length > 0 && actual.length === 0) return [`${path}: documented ${documented.length} entries, got none`];
    return documented.flatMap((item, i) => shapeProblems(item, counterpart(item, actual, i), `${path}[${i}]`));
  }
  if (typeof documented === 'object') {
    if (typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: documented an object, got ${JSON.stringify(actual)}`];
    const doc = documented as Record<string, unknown>;
    const real = actual as Record<string, unknown>;
    const problems: string[] = [];
    for (const key of Object.keys(doc)) {
      if (key === ELLIPSIS) continue;
      if (!(key in real)) problems.push(`${path}.${key}: documented, but not in the output`);
      else if (EXACT.has(key) && typeof doc[key] !== 'object') {
        if (doc[key] !== real[key]) problems.push(`${path}.${key}: documented ${JSON.stringify(doc[key])}, got ${JSON.stringify(real[key])}`);
      } else problems.push(...shapeProblems(doc[key], real[key], `${path}.${key}`));
    }
    if (!(ELLIPSIS in doc)) for (const key of Object.keys(real)) if (!(key in doc)) problems.push(`${path}.${key}: in the output, not documented`);
    return problems;
  }
  return typeof documented === typeof actual ? [] : [`${path}: documented ${JSON.stringify(documented)}, got ${JSON.stringify(actual)}`];
}

/** The real entry a documented list entry stands for: the one with the same string `id`, else the same position. */
function counterpart(item: unknown, actual: unknown[], i: number): unknown {
  const id = item !== null && typeof item === 'object' ? (item as Record<string, unknown>).id : undefined;
  if (typeof id === 'string') return actual.find((entry) => entry !== null && typeof entry === 'object' && (entry as Record<string, unknown>).id === id) ?? null;
  return actual[Math.min(i, actual.length - 1)];
}
