/**
 * Showing bytes from the network to a person: as text that is safe to print on a
 * terminal (no escape sequences from a peer reach it), or as a hex dump.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

const NAMED_ESCAPES: Record<number, string> = { 0x00: '\\0', 0x0a: '\\n', 0x0d: '\\r' };

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

function escapeCodePoint(code: number): string {
  const named = NAMED_ESCAPES[code];
  if (named !== undefined) return named;
  if (code < 0x100) return `\\x${hex2(code)}`;
  return `\\u{${code.toString(16)}}`;
}

/** C0 controls (tab kept), DEL and C1 controls: what a terminal would act on. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || (code >= 0x7f && code < 0xa0);
}

/**
 * Bytes as one line of printable text: UTF-8 is shown as text; control characters
 * (`\0`, `\r`, `\n`, `\x1b`, ...) and bytes that are not UTF-8 are shown escaped.
 */
export function escapeBytes(bytes: Uint8Array): string {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    let out = '';
    for (const byte of bytes) out += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : escapeCodePoint(byte);
    return out;
  }
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    out += isControl(code) ? escapeCodePoint(code) : char;
  }
  return out;
}

/** Bytes as UTF-8 text, invalid sequences replaced by U+FFFD (for JSON logs). */
export function decodeLenient(bytes: Uint8Array): string {
  return lenientUtf8.decode(bytes);
}

/** A quoted, escaped and shortened rendering of a message for a log line. */
export function previewBytes(bytes: Uint8Array, maxChars = 120): string {
  const text = escapeBytes(bytes.length > maxChars * 4 ? bytes.subarray(0, maxChars * 4) : bytes);
  if (text.length <= maxChars && bytes.length <= maxChars * 4) return `"${text}"`;
  return `"${text.slice(0, maxChars)}"… (${bytes.length} bytes)`;
}

/**
 * A hex dump, 16 bytes a line: offset, bytes in two groups of eight, and the printable
 * ASCII characters (others as `.`).
 */
export function hexDump(bytes: Uint8Array, bytesPerLine = 16): string[] {
  const lines: string[] = [];
  const half = bytesPerLine / 2;
  for (let offset = 0; offset < bytes.length; offset += bytesPerLine) {
    const row = bytes.subarray(offset, offset + bytesPerLine);
    let hex = '';
    let ascii = '';
    for (let i = 0; i < bytesPerLine; i++) {
      const byte = row[i];
      hex += byte === undefined ? '   ' : `${hex2(byte)} `;
      if (i === half - 1) hex += ' ';
      if (byte !== undefined) ascii += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
    }
    lines.push(`${offset.toString(16).padStart(4, '0')}  ${hex} |${ascii}|`);
  }
  return lines;
}

/** Time of day as `HH:MM:SS.mmm`, local time or UTC. */
export function formatClock(ms: number, utc = false): string {
  const date = new Date(ms);
  const parts = utc
    ? [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds()]
    : [date.getHours(), date.getMinutes(), date.getSeconds(), date.getMilliseconds()];
  const [h, m, s, milli] = parts.map((n) => String(n));
  return `${(h ?? '').padStart(2, '0')}:${(m ?? '').padStart(2, '0')}:${(s ?? '').padStart(2, '0')}.${(milli ?? '').padStart(3, '0')}`;
}
