/**
 * A JSON value as the fuzzer builds it: like a parsed value, but an object is a list of
 * members (so a key can repeat, and `__proto__` is an ordinary key), and any value can be
 * raw text written as it is (so numbers like 1e309, nesting 20,000 deep, or text that is
 * not JSON at all can go where a value goes).
 */

/** Text written verbatim where a value (or a key) goes. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object as an ordered list of members; keys may repeat. */
export class JsonMembers {
  constructor(readonly entries: Array<[string | RawJson, JsonNode]> = []) {}

  keys(): string[] {
    return this.entries.map(([key]) => (typeof key === 'string' ? key : key.text));
  }
}

export type JsonNode = null | boolean | number | string | RawJson | JsonMembers | JsonNode[];

/** A parsed JSON value as a node: objects become members (a deep copy). */
export function toNode(value: unknown): JsonNode {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(toNode);
  if (typeof value === 'object') return new JsonMembers(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toNode(v)]));
  return null;
}

/** The node as JSON text (not necessarily valid JSON, when it holds raw text). */
export function emitJson(node: JsonNode): string {
  if (node instanceof RawJson) return node.text;
  if (node instanceof JsonMembers) {
    return '{' + node.entries.map(([key, value]) => (typeof key === 'string' ? JSON.stringify(key) : key.text) + ':' + emitJson(value)).join(',') + '}';
  }
  if (Array.isArray(node)) return '[' + node.map(emitJson).join(',') + ']';
  return JSON.stringify(node);
}
