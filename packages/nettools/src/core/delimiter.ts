/**
 * How plain-text messages are separated on a TCP stream. The tutorials use three
 * conventions: one message per read (`none`, as the embassy-net and Freenove examples
 * do), one per line (`lf`, what telnet and netcat send), and NUL-terminated messages
 * (`nul`, the tcpcom library's end-of-block byte).
 */

export type Delimiter = 'lf' | 'nul' | 'none';

export const DELIMITERS: readonly Delimiter[] = ['lf', 'nul', 'none'];

export const NEWLINE_BYTE = 0x0a;
export const NUL_BYTE = 0x00;
export const CR_BYTE = 0x0d;

export function isDelimiter(value: string): value is Delimiter {
  return (DELIMITERS as readonly string[]).includes(value);
}

/** The byte that ends a message, or undefined for `none`. */
export function delimiterByte(delimiter: Delimiter): number | undefined {
  if (delimiter === 'lf') return NEWLINE_BYTE;
  if (delimiter === 'nul') return NUL_BYTE;
  return undefined;
}

/** `message` followed by the delimiter's byte (a copy), or `message` itself for `none`. */
export function withDelimiter(message: Uint8Array, delimiter: Delimiter): Uint8Array {
  const end = delimiterByte(delimiter);
  if (end === undefined) return message;
  const out = new Uint8Array(message.length + 1);
  out.set(message, 0);
  out[message.length] = end;
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
