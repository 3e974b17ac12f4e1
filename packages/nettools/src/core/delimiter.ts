/**
 * How plain-text messages are separated on a TCP stream (the {@link Delimiter} and its
 * byte are wire rules, in @picolink/protocol), and what a message with its delimiter
 * looks like on the wire.
 */
import { delimiterByte, joinBytes } from '@picolink/protocol';
import type { Delimiter } from '@picolink/protocol';

export { CR_BYTE, delimiterByte, NEWLINE_BYTE, NUL_BYTE } from '@picolink/protocol';
export type { Delimiter } from '@picolink/protocol';

export const DELIMITERS: readonly Delimiter[] = ['lf', 'nul', 'none'];

export function isDelimiter(value: string): value is Delimiter {
  return (DELIMITERS as readonly string[]).includes(value);
}

/** `message` followed by the delimiter's byte (a copy), or `message` itself for `none`. */
export function withDelimiter(message: Uint8Array, delimiter: Delimiter): Uint8Array {
  const end = delimiterByte(delimiter);
  return end === undefined ? message : joinBytes([message], Uint8Array.of(end));
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
