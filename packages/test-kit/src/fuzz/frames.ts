/**
 * Structure-aware frame generator: each input starts from a seed message (a request, a
 * hello or a datagram from the shared test vectors) and gets one to three structural
 * mutations (deep nesting, wide containers, huge numbers, odd strings, prototype keys,
 * duplicate keys, wrong types, missing or unknown fields, odd actions and ids, shapes of
 * responses and events), then sometimes one byte-level mutation (truncation, invalid
 * UTF-8, raw NUL bytes, raw lone surrogates, a BOM, random bytes, a line past the frame
 * limit). Input N of a campaign is a pure function of (seed, N).
 *
 * Bounds: one frame is at most MAX_FRAME_BYTES + 8 KiB (oversize lines pass the 64 KiB
 * limit by a little, which is all a receiver needs to reject them); nesting is at most
 * 20,000 levels and a container at most 30,000 wide. Sizes are drawn so that most frames
 * are small (about 500 bytes on average) and the large ones come often enough to be sent
 * thousands of times in a long run.
 */
import { DEFAULT_MAX_FRAME_BYTES } from '@picolink/protocol';
import { emitJson, JsonMembers, RawJson, toNode } from './json-text.js';
import type { JsonNode } from './json-text.js';
import type { FuzzRandom } from './random.js';
import { inputRandom } from './random.js';

export const MAX_FRAME_BYTES = DEFAULT_MAX_FRAME_BYTES;

/** One generated input. */
export interface FuzzFrame {
  /** Its index in the campaign: (seed, index) rebuilds it. */
  index: number;
  /** The mutations applied, e.g. "seed:write_pin+deep+utf8", for reports. */
  mutation: string;
  /** The bytes, without the line ending (the stream adds it). */
  bytes: Buffer;
}

export interface FrameOptions {
  /** Largest frame to produce, in bytes. Default: a little past the 64 KiB frame limit. */
  maxBytes?: number;
  /** Probability of a byte-level mutation. Default 0.3. */
  byteMutationRate?: number;
  /** Probability of a frame past the size limit. Default 0.004 (they are slow to send). */
  oversizeRate?: number;
}

/** Nesting depth: mostly just past the 32-level limit, sometimes thousands (the depths that overflowed stacks). */
function drawDepth(rng: FuzzRandom): number {
  const r = rng.below(100);
  if (r < 70) return rng.between(31, 100);
  if (r < 90) return rng.between(100, 1000);
  if (r < 98) return rng.pick([4200, 6000]);
  return 20000;
}

/** Container width: mostly small, sometimes just past the 4096-value limit, rarely far past it. */
function drawWidth(rng: FuzzRandom): number {
  const r = rng.below(100);
  if (r < 80) return rng.between(1, 100);
  if (r < 95) return rng.pick([4095, 4096, 4097]);
  return rng.pick([10000, 30000]);
}
const NUMBERS = [
  '1e308', '-1e308', '1e309', '-1e309', '-0', '-0.0', '0e0', '1E+2', '1e-400', '5e-324',
  '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993',
  '123456789012345678901234567890', '0.1', '1.5', '-1', '4294967296', '18446744073709551616',
  // Not JSON: each must be refused as PL_ERR_BAD_JSON.
  '01', '1.', '.5', '-', '+1', 'NaN', 'Infinity', '-Infinity', '0x10', '1e', 'undefined',
];
const STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udc00', 'x\ud800y', '\ud83d\ude00', '\u2028\u2029', '\uffff', '\ufeff',
  '\\', '"', '%', '%zz', '../../etc/passwd', 'GP15', 'LED', 'ÿ', '\u00e9t\u00e9', 'null', 'true', '1', '-1',
  '__proto__', 'constructor', 'hello', 'ping', '\r', '\t', '\u001b[31m',
];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const ACTIONS = [
  'ping', 'get_version', 'get_info', 'get_resource_info', 'list_actions', 'setup_pin', 'write_pin', 'read_pin',
  'set_pwm', 'read_adc', 'watch_pin', 'unwatch_pin', 'blink', 'update', 'hello', 'welcome', '', 'PING', ' ping',
  'ping ', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'ping\u0000', 'x'.repeat(300),
];
const INVALID_UTF8 = [
  [0xff], [0xfe], [0xc0, 0x80], [0xc1, 0xbf], [0x80], [0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3],
];

function sampleValue(rng: FuzzRandom, depth = 0): JsonNode {
  switch (rng.below(depth > 2 ? 7 : 10)) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.between(-5, 50);
    case 3: return new RawJson(rng.pick(NUMBERS));
    case 4: return rng.pick(STRINGS);
    case 5: return 'x'.repeat(rng.size(rng.chance(0.1) ? 2000 : 100));
    case 6: return rng.chance(0.5) ? [] : new JsonMembers();
    case 7: return Array.from({ length: rng.size(5) }, () => sampleValue(rng, depth + 1));
    case 8: return new JsonMembers(Array.from({ length: rng.size(4) }, () => [rng.chance(0.3) ? rng.pick(PROTO_KEYS) : rng.pick(STRINGS), sampleValue(rng, depth + 1)] as [string, JsonNode]));
    default: return toNode({ pin: rng.between(-1, 40), value: rng.below(3) });
  }
}

/** `depth` levels of arrays or objects around a value, possibly left unclosed. */
function deepText(rng: FuzzRandom, depth: number): string {
  const closed = rng.chance(0.85);
  const inner = rng.pick(['1', '"x"', 'null', '[]', '{}', '']);
  switch (rng.below(3)) {
    case 0: return '['.repeat(depth) + inner + (closed ? ']'.repeat(depth) : '');
    case 1: return '{"a":'.repeat(depth) + (inner || '1') + (closed ? '}'.repeat(depth) : '');
    default: {
      let open = '';
      let close = '';
      for (let i = 0; i < depth; i++) {
        if (i % 2 === 0) {
          open += '[';
          close = ']' + close;
        } else {
          open += '{"k":';
          close = '}' + close;
        }
      }
      return open + (inner || '1') + (closed ? close : '');
    }
  }
}

function wideText(rng: FuzzRandom, width: number): string {
  if (rng.chance(0.5)) return '[' + Array.from({ length: width }, (_, i) => (i % 7 === 0 ? '[]' : '0')).join(',') + ']';
  return '{' + Array.from({ length: width }, (_, i) => `"k${i}":${i % 5}`).join(',') + '}';
}

/** A member to change: an existing one, or a new key. */
function targetKey(rng: FuzzRandom, members: JsonMembers): string {
  const keys = members.keys();
  if (keys.length > 0 && rng.chance(0.8)) return rng.pick(keys);
  return rng.pick(['x', 'value', 'pin', 'time_sent', 'capabilities', 'readings', 'files', 'id', 'extra']);
}

function setMember(members: JsonMembers, key: string, value: JsonNode): void {
  const at = members.entries.findIndex(([k]) => k === key);
  if (at === -1) members.entries.push([key, value]);
  else members.entries[at] = [key, value];
}

type Mutation = (rng: FuzzRandom, members: JsonMembers) => string;

const STRUCTURAL: Array<[number, Mutation]> = [
  [6, function deep(rng, m) {
    setMember(m, targetKey(rng, m), new RawJson(deepText(rng, drawDepth(rng))));
    return 'deep';
  }],
  [3, function wide(rng, m) {
    setMember(m, targetKey(rng, m), new RawJson(wideText(rng, drawWidth(rng))));
    return 'wide';
  }],
  [6, function hugeNumber(rng, m) {
    const digits = rng.chance(0.2) ? (rng.chance(0.5) ? '-' : '') + '9'.repeat(rng.size(rng.chance(0.1) ? 20000 : 400)) : rng.pick(NUMBERS);
    setMember(m, targetKey(rng, m), new RawJson(digits));
    return 'number';
  }],
  [5, function oddString(rng, m) {
    setMember(m, targetKey(rng, m), rng.pick(STRINGS));
    return 'string';
  }],
  [6, function prototypeKey(rng, m) {
    const key = rng.pick(PROTO_KEYS);
    const value = rng.pick<JsonNode>([new JsonMembers(), null, 'x', 1, [], toNode({ polluted: true, action: 'ping' }), toNode({ toString: 1 })]);
    if (rng.chance(0.7)) m.entries.splice(rng.below(m.entries.length + 1), 0, [key, value]);
    else setMember(m, targetKey(rng, m), new JsonMembers([[key, value]]));
    return 'proto';
  }],
  [5, function duplicateKey(rng, m) {
    const key = m.entries.length > 0 && rng.chance(0.8) ? rng.pick(m.keys()) : 'action';
    m.entries.splice(rng.below(m.entries.length + 1), 0, [key, sampleValue(rng)]);
    return 'duplicate';
  }],
  [8, function wrongType(rng, m) {
    setMember(m, targetKey(rng, m), sampleValue(rng));
    return 'type';
  }],
  [3, function dropField(rng, m) {
    if (m.entries.length > 0) m.entries.splice(rng.below(m.entries.length), 1);
    return 'drop';
  }],
  [4, function oddAction(rng, m) {
    setMember(m, 'action', rng.chance(0.8) ? rng.pick(ACTIONS) : sampleValue(rng));
    return 'action';
  }],
  [4, function oddId(rng, m) {
    setMember(m, 'id', rng.pick<JsonNode>([new RawJson('-0'), new RawJson('1e308'), new RawJson('9007199254740993'), 'x'.repeat(129), [], new JsonMembers(), null, true, 1.5, '\ud800', rng.between(0, 1000), '']));
    return 'id';
  }],
  [3, function responseShape(rng, m) {
    if (rng.chance(0.5)) {
      setMember(m, 'ok', rng.pick<JsonNode>([true, false, 'true', null]));
      if (rng.chance(0.5)) setMember(m, 'code', rng.pick<JsonNode>(['PL_ERR_INTERNAL', 'PL_ERR_NOPE', 1, null]));
      if (rng.chance(0.5)) setMember(m, 'error', sampleValue(rng));
    } else {
      setMember(m, 'event', rng.pick<JsonNode>(['pin_change', 'status', 'closing', '', 1, null]));
    }
    return 'response-shape';
  }],
];

const TOP_LEVEL = ['[]', '1', '"s"', 'null', 'true', '[{"action":"ping"}]', '{}', '{', '}', '{"action":"ping"', '{"action":"ping"}}', '{"action":"ping"} {"action":"ping"}', '{"a":1,}', "{'action':'ping'}"];

function totalWeight(list: Array<[number, Mutation]>): number {
  return list.reduce((sum, [w]) => sum + w, 0);
}
const STRUCTURAL_WEIGHT = totalWeight(STRUCTURAL);

function pickStructural(rng: FuzzRandom): Mutation {
  let r = rng.below(STRUCTURAL_WEIGHT);
  for (const [weight, mutation] of STRUCTURAL) {
    if (r < weight) return mutation;
    r -= weight;
  }
  return (STRUCTURAL[0] as [number, Mutation])[1];
}

function insertAt(bytes: Buffer, at: number, extra: Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
}

/** A position just inside a string literal when there is one, else anywhere. */
function stringPosition(rng: FuzzRandom, bytes: Buffer): number {
  for (let tries = 0; tries < 4; tries++) {
    const at = rng.below(bytes.length);
    const quote = bytes.indexOf(0x22, at);
    if (quote !== -1) return quote + 1;
  }
  return rng.below(bytes.length + 1);
}

function byteMutation(rng: FuzzRandom, bytes: Buffer): [string, Buffer] {
  switch (rng.below(8)) {
    case 0: return ['truncate', bytes.subarray(0, rng.below(bytes.length))];
    case 1: return ['utf8', insertAt(bytes, stringPosition(rng, bytes), Buffer.from(rng.pick(INVALID_UTF8)))];
    case 2: return ['nul', insertAt(bytes, rng.chance(0.7) ? stringPosition(rng, bytes) : rng.below(bytes.length + 1), Buffer.alloc(rng.size(4)))];
    case 3: return ['raw-surrogate', insertAt(bytes, stringPosition(rng, bytes), Buffer.from([0xed, 0xa0 + rng.below(32), 0x80 + rng.below(64)]))];
    case 4: return ['bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes])];
    case 5: {
      const noise = Buffer.alloc(rng.size(256));
      for (let i = 0; i < noise.length; i++) noise[i] = rng.below(256);
      return ['garbage', rng.chance(0.5) ? noise : insertAt(bytes, rng.below(bytes.length + 1), noise)];
    }
    case 6: return ['whitespace', insertAt(bytes, rng.below(bytes.length + 1), Buffer.from(rng.pick([' ', '\t', '\r', ' \r ', '\u00a0', '\f'])))];
    default: return ['top-level', Buffer.from(rng.pick(TOP_LEVEL))];
  }
}

/** Pads a string member so that the frame passes `limit` by a little. */
function oversize(rng: FuzzRandom, members: JsonMembers, limit: number): string {
  const base = emitJson(members).length;
  const pad = Math.max(0, limit - base) + rng.between(1, 8192);
  setMember(members, targetKey(rng, members), 'x'.repeat(pad));
  return emitJson(members);
}

/**
 * Makes frame `index` of the campaign `seed` from `seeds` (objects to mutate). The same
 * arguments always give the same bytes.
 */
export function fuzzFrame(seed: number, index: number, seeds: ReadonlyArray<Record<string, unknown>>, options: FrameOptions = {}): FuzzFrame {
  const rng = inputRandom(seed, index);
  const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES + 8192;
  const source = rng.pick(seeds);
  const node = toNode(source);
  const members = node instanceof JsonMembers ? node : new JsonMembers();
  const steps: string[] = [`seed:${typeof source.action === 'string' ? source.action : typeof source.device === 'string' ? 'datagram' : 'other'}`];
  let text: string;
  if (rng.chance(options.oversizeRate ?? 0.004)) {
    text = oversize(rng, members, Math.min(maxBytes - 8192, MAX_FRAME_BYTES));
    steps.push('oversize');
  } else {
    // One in ten inputs is the seed unchanged: valid traffic mixed with the bad.
    const count = rng.chance(0.1) ? 0 : rng.between(1, 3);
    for (let i = 0; i < count; i++) steps.push(pickStructural(rng)(rng, members));
    text = emitJson(members);
  }
  let bytes: Buffer = Buffer.from(text, 'utf8');
  if (rng.chance(options.byteMutationRate ?? 0.3)) {
    const [name, mutated] = byteMutation(rng, bytes);
    steps.push(name);
    bytes = mutated;
  }
  if (bytes.length > maxBytes) bytes = bytes.subarray(0, maxBytes);
  // A newline inside the bytes would split the input in two; garbage may hold one, keep it.
  return { index, mutation: steps.join('+'), bytes };
}
