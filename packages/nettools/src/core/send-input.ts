/**
 * What a send box becomes on the wire: text as UTF-8, or hex typed by a person ("68 65 6c
 * 6c 6f", "68656c6c6f", "0x68,0x65"), followed by a line ending. The hub's network tools
 * and the dashboard page read a send box with these same functions.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { utf8 } from './delimiter.js';
import { lineEndingBytes } from './terminal-core.js';
import type { LineEnding } from './terminal-core.js';

export type SendEncoding = 'text' | 'hex';

export function isSendEncoding(value: unknown): value is SendEncoding {
  return value === 'text' || value === 'hex';
}

/** Characters allowed between bytes of hex input. */
const SEPARATORS = new Set([' ', '\t', '\n', '\r', ',', ':', '-']);

function hexValue(char: string): number {
  const code = char.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

/**
 * Hex typed by a person → bytes. Digits come in pairs; spaces, tabs, newlines, `,`, `:`
 * and `-` may separate bytes, and each byte may start with `0x`. Anything else, or an odd
 * number of digits, is `PL_ERR_BAD_TYPE` naming the position (1-based).
 */
export function parseHexInput(text: string): Uint8Array {
  const out: number[] = [];
  let high = -1;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (high === -1 && SEPARATORS.has(char)) continue;
    if (high === -1 && char === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X') && hexValue(text[i + 2] ?? '') !== -1) {
      i += 1;
      continue;
    }
    const value = hexValue(char);
    if (value === -1) {
      const what = high === -1 ? `"${char}"` : `"${char}" after a single digit`;
      throw new PicolinkError(ErrorCode.BAD_TYPE, `hex input has ${what} at position ${i + 1}; write bytes as pairs of hex digits, e.g. "68 65 6c 6c 6f" or "68656c6c6f"`);
    }
    if (high === -1) high = value;
    else {
      out.push(high * 16 + value);
      high = -1;
    }
  }
  if (high !== -1) {
    throw new PicolinkError(ErrorCode.BAD_TYPE, 'hex input has an odd number of digits; every byte is two hex digits, e.g. "0a" not "a"');
  }
  return Uint8Array.from(out);
}

/** The bytes of a send box: `data` as UTF-8 text or hex, then the line ending. */
export function encodeSendInput(data: string, encoding: SendEncoding, ending: LineEnding): Uint8Array {
  const body = encoding === 'hex' ? parseHexInput(data) : utf8(data);
  const end = lineEndingBytes(ending);
  if (end.length === 0) return body;
  const out = new Uint8Array(body.length + end.length);
  out.set(body, 0);
  out.set(end, body.length);
  return out;
}
