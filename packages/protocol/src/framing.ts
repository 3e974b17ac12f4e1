/**
 * Control-channel framing: one JSON object per `\n`-terminated UTF-8 line
 * (docs/protocol.md#framing). The decoder is incremental and bounded: it never holds
 * more than `maxFrameBytes` of an unfinished line.
 */
import { ErrorCode, PicolinkError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from './version.js';
import { parseBoundedJson } from './json-limits.js';
import type { JsonLimits } from './json-limits.js';

const NEWLINE = 0x0a;
/**
 * One decoder for every LineDecoder: it only ever decodes whole lines (no `stream`
 * option), so it keeps no state between calls, and a hub holding thousands of
 * connections does not hold thousands of decoders.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const CARRIAGE_RETURN = 0x0d;

/** One result of feeding bytes to a {@link LineDecoder}. */
export type DecodedLine = { line: string; error?: undefined } | { line?: undefined; error: PicolinkError };

export interface LineDecoderOptions {
  /** Largest accepted line in bytes, newline excluded. Default 65536 (64 KiB). */
  maxFrameBytes?: number;
}

/**
 * Splits a byte stream into lines. Blank lines are skipped, a trailing `\r` is dropped.
 * A line longer than the maximum yields one `PL_ERR_FRAME_TOO_LARGE` error and is
 * discarded up to its newline; invalid UTF-8 yields `PL_ERR_BAD_UTF8`.
 */
export class LineDecoder {
  readonly maxFrameBytes: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private discarding = false;
  // ignoreBOM keeps a U+FEFF at the start of a line, so it fails as JSON the same way in
  // every implementation instead of being dropped silently here only.

  constructor(options: LineDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes held for a line that has not ended yet. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Feeds a chunk; returns the complete lines (or errors) it finished, in order. */
  push(chunk: Uint8Array): DecodedLine[] {
    const out: DecodedLine[] = [];
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) break;
      this.finishLine(chunk, start, end, out);
      start = end + 1;
    }
    if (start < chunk.length) this.keepTail(chunk.subarray(start), out);
    return out;
  }

  /** Drops any unfinished line, e.g. when the connection closes. */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
  }

  private finishLine(chunk: Uint8Array, start: number, end: number, out: DecodedLine[]): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const length = this.pendingBytes + (end - start);
    if (length > this.maxFrameBytes) {
      this.reset();
      out.push({ error: tooLarge(this.maxFrameBytes) });
      return;
    }
    let bytes: Uint8Array;
    if (this.pendingBytes === 0) {
      bytes = chunk.subarray(start, end);
    } else {
      bytes = new Uint8Array(length);
      let offset = 0;
      for (const part of this.pending) {
        bytes.set(part, offset);
        offset += part.length;
      }
      bytes.set(chunk.subarray(start, end), offset);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let stop = bytes.length;
    if (stop > 0 && bytes[stop - 1] === CARRIAGE_RETURN) stop -= 1;
    if (isBlank(bytes, stop)) return;
    try {
      out.push({ line: UTF8.decode(stop === bytes.length ? bytes : bytes.subarray(0, stop)) });
    } catch {
      out.push({ error: new PicolinkError(ErrorCode.BAD_UTF8, 'the frame is not valid UTF-8; send JSON text encoded as UTF-8') });
    }
  }

  private keepTail(tail: Uint8Array, out: DecodedLine[]): void {
    if (this.discarding) return;
    if (this.pendingBytes + tail.length > this.maxFrameBytes) {
      this.reset();
      this.discarding = true;
      out.push({ error: tooLarge(this.maxFrameBytes) });
      return;
    }
    // Copy: the caller may reuse the chunk's memory after push() returns.
    this.pending.push(tail.slice());
    this.pendingBytes += tail.length;
  }
}

function tooLarge(max: number): PicolinkError {
  return new PicolinkError(
    ErrorCode.FRAME_TOO_LARGE,
    `frame larger than ${max} bytes; split the request or raise the peer's frame limit`,
  );
}

function isBlank(bytes: Uint8Array, stop: number): boolean {
  for (let i = 0; i < stop; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

/** Encodes one message as a frame: compact JSON followed by `\n`. */
export function encodeFrame(message: object): string {
  return JSON.stringify(message) + '\n';
}

/**
 * Parses one line into a JSON object, or throws `PL_ERR_JSON_TOO_COMPLEX` (nesting or
 * value count past {@link JsonLimits}, checked before parsing), `PL_ERR_BAD_JSON` or
 * `PL_ERR_NOT_OBJECT`.
 */
export function parseFrame(line: string, limits?: JsonLimits): Record<string, unknown> {
  const value = parseBoundedJson(line, limits);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PicolinkError(ErrorCode.NOT_OBJECT, 'a frame must be one JSON object, like {"action": "ping"}');
  }
  return value as Record<string, unknown>;
}
