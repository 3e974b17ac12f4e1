/**
 * The valid (and nearly valid) messages the fuzzer mutates, taken from the shared test
 * vectors: every request of test-vectors/requests.json, every hello of hello.json, every
 * datagram and ack of telemetry.json. Requests that would stop the target being a target
 * (`reset`, `sleep`) are left out: a fuzzed device must stay up to be fuzzed.
 */
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Actions the fuzzer never sends as seeds: they restart or suspend the device on purpose. */
export const DISRUPTIVE_ACTIONS: ReadonlySet<string> = new Set(['reset', 'sleep']);

export interface FuzzSeeds {
  /** Request objects (valid and invalid ones) from requests.json. */
  requests: Array<Record<string, unknown>>;
  /** Hello frames from hello.json. */
  hellos: Array<Record<string, unknown>>;
  /** Telemetry datagrams and acks (objects, without mac) from telemetry.json. */
  datagrams: Array<Record<string, unknown>>;
}

interface VectorFile {
  cases: Array<Record<string, unknown>>;
}

function readVectors(root: string, name: string): VectorFile {
  return JSON.parse(readFileSync(join(root, 'test-vectors', name), 'utf8')) as VectorFile;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

let cached: FuzzSeeds | undefined;

/** The seeds, read once from the repository's test-vectors/. */
export function loadSeeds(): FuzzSeeds {
  if (cached) return cached;
  // dist/src/fuzz/ of packages/test-kit, in the repository.
  const root = fileURLToPath(new URL('../../../../../', import.meta.url));
  const requests = readVectors(root, 'requests.json')
    .cases.map((c) => c.request)
    .filter(isObject)
    .filter((r) => !(typeof r.action === 'string' && DISRUPTIVE_ACTIONS.has(r.action)));
  const hellos = readVectors(root, 'hello.json')
    .cases.map((c) => c.hello)
    .filter(isObject);
  const datagrams = readVectors(root, 'telemetry.json')
    .cases.map((c) => c.message)
    .filter(isObject);
  cached = { requests, hellos, datagrams };
  return cached;
}
