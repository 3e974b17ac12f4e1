/**
 * Splits a byte stream into plain-text messages by a {@link Delimiter}, incrementally and
 * with a bound: it never holds more than `maxMessageBytes` of an unfinished message. A
 * peer that passes the bound gets one `PL_ERR_MESSAGE_TOO_LARGE` result; what follows is
 * dropped up to the next delimiter, so a caller that keeps the connection stays in step.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { CR_BYTE, delimiterByte, NEWLINE_BYTE } from './delimiter.js';
import type { Delimiter } from './delimiter.js';

/** Default limit of one message, in bytes (delimiter excluded): 64 KiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

/** One result of {@link MessageFramer.push}: a message, or the error that replaced one. */
export type FramedMessage = { message: Uint8Array; error?: undefined } | { message?: undefined; error: PicolinkError };

export interface MessageFramerOptions {
  /** How messages end. */
  delimiter: Delimiter;
  /** Largest message held while waiting for its delimiter, in bytes. Default 65536. */
  maxMessageBytes?: number;
}

export class MessageFramer {
  readonly delimiter: Delimiter;
  readonly maxMessageBytes: number;
  private readonly end: number | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(options: MessageFramerOptions) {
    this.delimiter = options.delimiter;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.end = delimiterByte(options.delimiter);
  }

  /** Bytes held for a message whose delimiter has not arrived yet. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds a chunk; returns the messages it completes, in order. With `none` the chunk
   * itself is the message. Messages may view the chunk's memory: copy them before
   * changing the chunk.
   */
  push(chunk: Uint8Array): FramedMessage[] {
    if (this.end === undefined) return chunk.length > 0 ? [{ message: chunk }] : [];
    const out: FramedMessage[] = [];
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

  private finish(tail: Uint8Array, out: FramedMessage[]): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const length = this.pendingBytes + tail.length;
    if (length > this.maxMessageBytes) {
      this.reset();
      out.push({ error: this.tooLarge() });
      return;
    }
    let message = tail;
    if (this.pendingBytes > 0) {
      message = new Uint8Array(length);
      let offset = 0;
      for (const part of this.pending) {
        message.set(part, offset);
        offset += part.length;
      }
      message.set(tail, offset);
      this.pending = [];
      this.pendingBytes = 0;
    }
    // Lines typed in telnet or sent by Windows programs end in CR LF.
    if (this.end === NEWLINE_BYTE && message.length > 0 && message[message.length - 1] === CR_BYTE) {
      message = message.subarray(0, message.length - 1);
    }
    out.push({ message });
  }

  private keep(tail: Uint8Array, out: FramedMessage[]): void {
    if (this.discarding) return;
    if (this.pendingBytes + tail.length > this.maxMessageBytes) {
      this.reset();
      this.discarding = true;
      out.push({ error: this.tooLarge() });
      return;
    }
    // A copy: the caller may reuse the chunk's memory after push() returns.
    this.pending.push(tail.slice());
    this.pendingBytes += tail.length;
  }

  private tooLarge(): PicolinkError {
    const name = this.delimiter === 'nul' ? 'NUL byte' : 'newline';
    return new PicolinkError(
      ErrorCode.MESSAGE_TOO_LARGE,
      `message larger than ${this.maxMessageBytes} bytes without a ${name}; end each message with a ${name}, or use --delimiter none for peers that send no delimiter`,
    );
  }
}
