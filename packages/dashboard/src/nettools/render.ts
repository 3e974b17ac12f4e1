/**
 * A log entry as the page shows it, copies it and downloads it. The bytes are shown with
 * `@picolink/nettools/core` (the same escapes and hex dump as `picolink term`), so a
 * peer's control bytes never reach the page as anything but escapes.
 */
import { escapeBytes, formatClock, hexDump } from '@picolink/nettools/core';
import type { LogEntry } from './types.js';

export type View = 'text' | 'hex';

/** The bytes of an entry (base64 in the API). */
export function entryBytes(entry: LogEntry): Uint8Array {
  const binary = atob(entry.data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Bytes of one entry shown on the page; Copy and Download have them all. */
export const SHOWN_BYTES = 1024;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of an info entry. The hub sends it base64-encoded like the bytes; text that
 * is not base64 of UTF-8 is shown as it came.
 */
export function infoText(entry: LogEntry): string {
  if (!BASE64.test(entry.data)) return entry.data;
  try {
    return strictUtf8.decode(entryBytes(entry));
  } catch {
    return entry.data;
  }
}

/** Bytes in an entry, from the length of its base64. */
export function entrySize(entry: LogEntry): number {
  const pad = entry.data.endsWith('==') ? 2 : entry.data.endsWith('=') ? 1 : 0;
  return (entry.data.length / 4) * 3 - pad;
}

/**
 * What an entry shows: an info line as written, bytes escaped or as a hex dump.
 * With `limit`, only the first `limit` bytes, and how many more there are.
 */
export function entryText(entry: LogEntry, view: View, limit = Infinity): string {
  if (entry.dir === 'info') return infoText(entry);
  const all = entryBytes(entry);
  const bytes = all.length > limit ? all.subarray(0, limit) : all;
  const more = all.length > bytes.length ? `${view === 'hex' ? '\n' : ''}… ${all.length - bytes.length} more bytes` : '';
  if (view === 'hex') return bytes.length === 0 ? '(empty)' : hexDump(bytes).join('\n') + more;
  return escapeBytes(bytes) + more;
}

export const DIR_LABELS: Record<LogEntry['dir'], string> = { in: '←', out: '→', info: '·' };
const DIR_WORDS: Record<LogEntry['dir'], string> = { in: 'in', out: 'out', info: 'info' };

/** The log as text: one entry per line (hex dumps indented under their line), for copy and download. */
export function logText(entries: readonly LogEntry[], view: View): string {
  let out = '';
  for (const entry of entries) {
    const head = `${formatClock(entry.t)} ${DIR_WORDS[entry.dir]}${entry.peer === undefined ? '' : ` ${entry.peer}`}`;
    const body = entryText(entry, view);
    out += view === 'hex' && entry.dir !== 'info' ? `${head}\n${body.replace(/^/gm, '  ')}\n` : `${head} ${body}\n`;
  }
  return out;
}

export { formatClock };
