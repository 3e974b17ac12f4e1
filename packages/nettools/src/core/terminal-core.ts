/**
 * The part of a network terminal that has nothing to do with sockets or screens: what
 * bytes a typed line becomes, and how received bytes are shown (text or hex, with
 * timestamps, a line at a time). `picolink term` drives it from a TTY or from scripts;
 * the dashboard can drive it from a browser page.
 */
import { joinBytes } from '@picolink/protocol';
import { CR_BYTE, NEWLINE_BYTE, NUL_BYTE, utf8 } from './delimiter.js';
import { escapeBytes, formatClock, hexDump } from './display.js';

/** What is added to each line sent. */
export type LineEnding = 'lf' | 'crlf' | 'nul' | 'none';

export const LINE_ENDINGS: readonly LineEnding[] = ['lf', 'crlf', 'nul', 'none'];

export function isLineEnding(value: string): value is LineEnding {
  return (LINE_ENDINGS as readonly string[]).includes(value);
}

const ENDING_BYTES: Record<LineEnding, Uint8Array> = {
  lf: Uint8Array.of(NEWLINE_BYTE),
  crlf: Uint8Array.of(CR_BYTE, NEWLINE_BYTE),
  nul: Uint8Array.of(NUL_BYTE),
  none: new Uint8Array(0),
};

/** The bytes a line ending adds (shared: do not change them). */
export function lineEndingBytes(ending: LineEnding): Uint8Array {
  return ENDING_BYTES[ending];
}

/** One line to show: data from the peer, or a status note about the link. */
export interface DisplayLine {
  kind: 'data' | 'status';
  text: string;
}

export interface TerminalCoreOptions {
  /** Added to each line sent. Default `lf`. */
  eol?: LineEnding;
  /** Show received bytes as a hex dump instead of text. Default false. */
  hex?: boolean;
  /** Put the time (`HH:MM:SS.mmm`) before each line shown. Default false. */
  timestamps?: boolean;
  /** Timestamps in UTC instead of local time. Default false. */
  utc?: boolean;
  /** Longest received line held back waiting for its end, in bytes; then it is shown anyway. Default 4096. */
  maxLineBytes?: number;
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

export interface ReceiveOptions {
  /** The bytes are a whole message (a UDP datagram): show all of them now. */
  whole?: boolean;
  /** Who sent them (`host:port`); a status line names a new sender when it changes. */
  source?: string;
}

export class TerminalCore {
  readonly eol: LineEnding;
  readonly hex: boolean;
  private readonly timestamps: boolean;
  private readonly utc: boolean;
  private readonly maxLineBytes: number;
  private readonly now: () => number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private lastSource: string | undefined;

  constructor(options: TerminalCoreOptions = {}) {
    this.eol = options.eol ?? 'lf';
    this.hex = options.hex ?? false;
    this.timestamps = options.timestamps ?? false;
    this.utc = options.utc ?? false;
    this.maxLineBytes = options.maxLineBytes ?? 4096;
    this.now = options.now ?? Date.now;
  }

  /** Bytes of a received line that has not ended yet. */
  get pendingLineBytes(): number {
    return this.pendingBytes;
  }

  /** The bytes to send for a typed line: its UTF-8 followed by the line ending. */
  encodeLine(text: string): Uint8Array {
    return joinBytes([utf8(text)], lineEndingBytes(this.eol));
  }

  /**
   * Received bytes → lines to show. In text mode a line ends at `\n` (a `\r` before it
   * is dropped) or at a NUL byte (tcpcom's end of message); an unfinished line waits
   * for more bytes, for {@link flush}, or until it reaches `maxLineBytes`.
   */
  receive(bytes: Uint8Array, options: ReceiveOptions = {}): DisplayLine[] {
    const out: DisplayLine[] = [];
    if (options.source !== undefined && options.source !== this.lastSource) {
      out.push(...this.flush());
      this.lastSource = options.source;
      out.push(this.status(`from ${options.source}`));
    }
    if (this.hex) {
      for (const line of hexDump(bytes)) out.push(this.data(line));
      return out;
    }
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte !== NEWLINE_BYTE && byte !== NUL_BYTE) continue;
      let stop = i;
      if (byte === NEWLINE_BYTE && stop > start && bytes[stop - 1] === CR_BYTE) stop -= 1;
      else if (byte === NEWLINE_BYTE && stop === start && this.endsWithCr()) this.dropTrailingCr();
      this.emitLine(bytes.subarray(start, stop), out);
      start = i + 1;
    }
    if (start < bytes.length) this.hold(bytes.subarray(start), out);
    if (options.whole) out.push(...this.flush());
    return out;
  }

  /** Shows an unfinished received line now (the peer went quiet, or the link ended). */
  flush(): DisplayLine[] {
    if (this.pendingBytes === 0) return [];
    const out: DisplayLine[] = [];
    this.emitLine(new Uint8Array(0), out);
    return out;
  }

  /** A status note (connected, closed, ...), timestamped like data. */
  status(text: string): DisplayLine {
    return { kind: 'status', text: this.stamp(`* ${text}`) };
  }

  private data(text: string): DisplayLine {
    return { kind: 'data', text: this.stamp(text) };
  }

  private stamp(text: string): string {
    return this.timestamps ? `${formatClock(this.now(), this.utc)} ${text}` : text;
  }

  private emitLine(tail: Uint8Array, out: DisplayLine[]): void {
    const line = joinBytes(this.pending, tail);
    this.pending = [];
    this.pendingBytes = 0;
    out.push(this.data(escapeBytes(line)));
  }

  private hold(tail: Uint8Array, out: DisplayLine[]): void {
    this.pending.push(tail.slice());
    this.pendingBytes += tail.length;
    if (this.pendingBytes >= this.maxLineBytes) this.emitLine(new Uint8Array(0), out);
  }

  private endsWithCr(): boolean {
    const last = this.pending[this.pending.length - 1];
    return last !== undefined && last[last.length - 1] === CR_BYTE;
  }

  /** A CR LF split across two chunks: the CR is already held. */
  private dropTrailingCr(): void {
    const last = this.pending.pop();
    if (!last) return;
    this.pendingBytes -= 1;
    if (last.length > 1) this.pending.push(last.subarray(0, last.length - 1));
  }
}
