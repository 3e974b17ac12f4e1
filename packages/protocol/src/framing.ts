/**
 * Framing (docs/protocol.md#framing): how a byte stream is cut into messages. The control
 * channel is one JSON object per `\n`-terminated UTF-8 line ({@link LineDecoder}); the
 * tutorials' plain-text modes end messages with a newline, a NUL byte, or not at all
 * ({@link MessageFramer}). Both are one bounded, incremental splitter
 * ({@link BoundedFramer}): it never holds more than its limit of an unfinished message.
 */
import { ErrorCode, PicolinkError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from './version.js';
import { parseBoundedJson } from './json-limits.js';
import type { JsonLimits } from './json-limits.js';

/**
 * How plain-text messages are separated on a TCP stream: one per line (`lf`, what telnet
 * and netcat send), NUL-terminated (`nul`, the tcpcom library's end-of-block byte), or
 * one per read (`none`, as the embassy-net and Freenove examples do).
 */
export type Delimiter = 'lf' | 'nul' | 'none';

export const NEWLINE_BYTE = 0x0a;
export const NUL_BYTE = 0x00;
export const CR_BYTE = 0x0d;

/** The byte that ends a message, or undefined for `none`. */
export function delimiterByte(delimiter: Delimiter): number | undefined {
  if (delimiter === 'lf') return NEWLINE_BYTE;
  if (delimiter === 'nul') return NUL_BYTE;
  return undefined;
}

/** `parts` followed by `tail` as one array; `tail` itself when there are no parts. */
export function joinBytes(parts: readonly Uint8Array[], tail: Uint8Array): Uint8Array {
  if (parts.length === 0) return tail;
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, tail.length));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  out.set(tail, offset);
  return out;
}

/**
 * Splits a byte stream at one delimiter byte, holding at most `maxBytes` of an unfinished
 * message. A message past the bound yields one {@link tooLarge} result and is dropped up
 * to its delimiter, so the stream stays in step. Subclasses say what a finished message
 * becomes ({@link deliver}); with `none` every chunk is one message.
 */
export abstract class BoundedFramer<T> {
  private readonly end: number | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(
    delimiter: Delimiter,
    protected readonly maxBytes: number,
  ) {
    this.end = delimiterByte(delimiter);
  }

  /** Bytes held for a message whose delimiter has not arrived yet. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds a chunk; returns what the messages it completes became, in order. Messages may
   * view the chunk's memory: copy them before changing the chunk.
   */
  push(chunk: Uint8Array): T[] {
    const out: T[] = [];
    if (this.end === undefined) {
      if (chunk.length > 0) this.deliver(chunk, out);
      return out;
    }
    let start = 0;
    for (;;) {
      const stop = chunk.indexOf(this.end, start);
      if (stop === -1) break;
      this.finish(chunk.subarray(start, stop), out);
      start = stop + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start), out);
    return out;
  }

  /** Drops an unfinished message (the connection is going away); returns its size. */
  reset(): number {
    const dropped = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
    return dropped;
  }

  /** Adds to `out` what one complete message (delimiter excluded) becomes, if anything. */
  protected abstract deliver(message: Uint8Array, out: T[]): void;

  /** The result that stands for a message past the bound. */
  protected abstract tooLarge(): T;

  private finish(tail: Uint8Array, out: T[]): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const length = this.pendingBytes + tail.length;
    if (length > this.maxBytes) {
      this.reset();
      out.push(this.tooLarge());
      return;
    }
    let message = joinBytes(this.pending, tail);
    this.pending = [];
    this.pendingBytes = 0;
    // Lines typed in telnet or sent by Windows programs end in CR LF.
    if (this.end === NEWLINE_BYTE && message.length > 0 && message[message.length - 1] === CR_BYTE) {
      message = message.subarray(0, message.length - 1);
    }
    this.deliver(message, out);
  }

  private keep(tail: Uint8Array, out: T[]): void {
    if (this.discarding) return;
    if (this.pendingBytes + tail.length > this.maxBytes) {
      this.reset();
      this.discarding = true;
      out.push(this.tooLarge());
      return;
    }
    // A copy: the caller may reuse the chunk's memory after push() returns.
    this.pending.push(tail.slice());
    this.pendingBytes += tail.length;
  }
}

/**
 * One decoder for every LineDecoder: it only ever decodes whole lines (no `stream`
 * option), so it keeps no state between calls, and a hub holding thousands of
 * connections does not hold thousands of decoders. ignoreBOM keeps a U+FEFF at the start
 * of a line, so it fails as JSON the same way in every implementation instead of being
 * dropped silently here only.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** One result of feeding bytes to a {@link LineDecoder}. */
export type DecodedLine = { line: string; error?: undefined } | { line?: undefined; error: PicolinkError };

export interface LineDecoderOptions {
  /** Largest accepted line in bytes, newline excluded. Default 65536 (64 KiB). */
  maxFrameBytes?: number;
}

/**
 * Splits a byte stream into control-channel lines. Blank lines are skipped, a trailing
 * `\r` is dropped. A line longer than the maximum yields one `PL_ERR_FRAME_TOO_LARGE`
 * error and is discarded up to its newline; invalid UTF-8 yields `PL_ERR_BAD_UTF8`.
 */
export class LineDecoder extends BoundedFramer<DecodedLine> {
  constructor(options: LineDecoderOptions = {}) {
    super('lf', options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  }

  get maxFrameBytes(): number {
    return this.maxBytes;
  }

  protected deliver(bytes: Uint8Array, out: DecodedLine[]): void {
    if (isBlank(bytes)) return;
    try {
      out.push({ line: UTF8.decode(bytes) });
    } catch {
      out.push({ error: new PicolinkError(ErrorCode.BAD_UTF8, 'the frame is not valid UTF-8; send JSON text encoded as UTF-8') });
    }
  }

  protected tooLarge(): DecodedLine {
    return {
      error: new PicolinkError(ErrorCode.FRAME_TOO_LARGE, `frame larger than ${this.maxBytes} bytes; split the request or raise the peer's frame limit`),
    };
  }
}

function isBlank(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

/** Default limit of one plain-text message, in bytes (delimiter excluded): 64 KiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

/** One result of {@link MessageFramer.push}: a message, or the error that replaced one. */
export type FramedMessage = { message: Uint8Array; error?: undefined } | { message?: undefined; error: PicolinkError };

export interface MessageFramerOptions {
  /** How messages end. */
  delimiter: Delimiter;
  /** Largest message held while waiting for its delimiter, in bytes. Default 65536. */
  maxMessageBytes?: number;
}

/**
 * Splits a byte stream into plain-text messages by a {@link Delimiter}. A peer that passes
 * the bound gets one `PL_ERR_MESSAGE_TOO_LARGE` result; what follows is dropped up to
 * the next delimiter, so a caller that keeps the connection stays in step.
 */
export class MessageFramer extends BoundedFramer<FramedMessage> {
  readonly delimiter: Delimiter;

  constructor(options: MessageFramerOptions) {
    super(options.delimiter, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.delimiter = options.delimiter;
  }

  get maxMessageBytes(): number {
    return this.maxBytes;
  }

  protected deliver(message: Uint8Array, out: FramedMessage[]): void {
    out.push({ message });
  }

  protected tooLarge(): FramedMessage {
    const name = this.delimiter === 'nul' ? 'NUL byte' : 'newline';
    return {
      error: new PicolinkError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `message larger than ${this.maxBytes} bytes without a ${name}; end each message with a ${name}, or use --delimiter none for peers that send no delimiter`,
      ),
    };
  }
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
