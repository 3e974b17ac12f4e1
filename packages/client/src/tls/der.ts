/**
 * A small DER (ASN.1 Distinguished Encoding Rules, ITU-T X.690) encoder: just the types an
 * X.509 certificate needs. Each function returns the complete encoding of one value
 * (tag, length, content), so values nest by passing encodings to the constructed types.
 * Only low tag numbers (below 31) are supported, which is all X.509 uses.
 */

const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const CONTEXT_SPECIFIC = 0x80;
const CONSTRUCTED = 0x20;
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** Encodes a length: short form below 128, else long form with the fewest bytes. */
export function encodeLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid DER length ${length}`);
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Tag + length + content. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(TAG.SEQUENCE, Buffer.concat(items));
}

/** SET OF: DER orders the elements by their encodings. */
export function setOf(...items: Uint8Array[]): Buffer {
  const sorted = items.map((item) => Buffer.from(item)).sort(Buffer.compare);
  return tlv(TAG.SET, Buffer.concat(sorted));
}

export function boolean(value: boolean): Buffer {
  return tlv(TAG.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

export function nullValue(): Buffer {
  return tlv(TAG.NULL, Buffer.alloc(0));
}

/** An INTEGER from a JS integer or bigint, in minimal two's complement. */
export function integer(value: number | bigint): Buffer {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer`);
  let n = BigInt(value);
  const bytes: number[] = [];
  // Emit bytes until the rest is pure sign extension of the last byte's top bit.
  for (;;) {
    const byte = Number(n & 0xffn);
    bytes.unshift(byte);
    n >>= 8n;
    if ((n === 0n && (byte & 0x80) === 0) || (n === -1n && (byte & 0x80) !== 0)) break;
  }
  return tlv(TAG.INTEGER, Buffer.from(bytes));
}

/** An INTEGER whose value is the given big-endian bytes read as an unsigned number. */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const magnitude = Buffer.from(bytes.subarray(start));
  if (magnitude.length === 0) return tlv(TAG.INTEGER, Buffer.from([0]));
  const needsPad = ((magnitude[0] ?? 0) & 0x80) !== 0;
  return tlv(TAG.INTEGER, needsPad ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude);
}

/** An OBJECT IDENTIFIER from its dotted form, e.g. "2.5.4.3". */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`invalid OID "${dotted}"`);
    return BigInt(arc);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2n || (first < 2n && second > 39n)) {
    throw new RangeError(`invalid OID "${dotted}"`);
  }
  const bytes: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) bytes.push(...base128(arc));
  return tlv(TAG.OID, Buffer.from(bytes));
}

function base128(value: bigint): number[] {
  const out = [Number(value & 0x7fn)];
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) out.unshift(Number(rest & 0x7fn) | 0x80);
  return out;
}

/** A BIT STRING; `unusedBits` (0-7) counts the padding bits at the end of the last byte. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) throw new RangeError('unusedBits must be 0-7');
  return tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/**
 * A named-bit BIT STRING (like KeyUsage) with the given bit numbers set, bit 0 being the
 * most significant bit of the first byte; trailing zero bits are dropped, as DER requires.
 */
export function namedBits(bits: number[]): Buffer {
  if (bits.length === 0) return bitString(Buffer.alloc(0));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return bitString(bytes, 7 - (highest & 7));
}

export function octetString(bytes: Uint8Array): Buffer {
  return tlv(TAG.OCTET_STRING, bytes);
}

export function utf8String(text: string): Buffer {
  return tlv(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
}

export function printableString(text: string): Buffer {
  if (!PRINTABLE.test(text)) throw new RangeError(`"${text}" has characters a PrintableString cannot hold`);
  return tlv(TAG.PRINTABLE_STRING, Buffer.from(text, 'ascii'));
}

export function ia5String(text: string): Buffer {
  if (![...text].every((c) => c.charCodeAt(0) < 0x80)) throw new RangeError(`"${text}" is not ASCII`);
  return tlv(TAG.IA5_STRING, Buffer.from(text, 'ascii'));
}

/** UTCTime `YYMMDDHHMMSSZ`; represents the years 1950-2049 only. */
export function utcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime cannot hold the year ${year}`);
  return tlv(TAG.UTC_TIME, Buffer.from(timeDigits(date).slice(2) + 'Z', 'ascii'));
}

/** GeneralizedTime `YYYYMMDDHHMMSSZ` (whole seconds, as RFC 5280 requires). */
export function generalizedTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime cannot hold the year ${year}`);
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(timeDigits(date) + 'Z', 'ascii'));
}

/** An X.509 Time (RFC 5280 4.1.2.5): UTCTime through 2049, GeneralizedTime from 2050. */
export function x509Time(date: Date): Buffer {
  return date.getUTCFullYear() < 2050 ? utcTime(date) : generalizedTime(date);
}

function timeDigits(date: Date): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return (
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds())
  );
}

/** `[n] EXPLICIT`: a constructed context-specific tag wrapping a whole encoding. */
export function explicit(tagNumber: number, inner: Uint8Array): Buffer {
  return tlv(CONTEXT_SPECIFIC | CONSTRUCTED | checkTag(tagNumber), inner);
}

/** `[n] IMPLICIT` for a primitive type: the content bytes under a context-specific tag. */
export function implicit(tagNumber: number, content: Uint8Array): Buffer {
  return tlv(CONTEXT_SPECIFIC | checkTag(tagNumber), content);
}

function checkTag(tagNumber: number): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) throw new RangeError(`tag number ${tagNumber} is not supported`);
  return tagNumber;
}
