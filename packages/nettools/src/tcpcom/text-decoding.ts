/**
 * Messages as text for the tcpcom API. Delimited messages are whole, so each is decoded
 * on its own; with `none` a multi-byte character may be split across two reads, so the
 * decoder keeps state between them.
 */
import type { Delimiter } from '../core/delimiter.js';

export class MessageText {
  private readonly decoder = new TextDecoder('utf-8');
  constructor(private readonly delimiter: Delimiter) {}

  decode(message: Uint8Array): string {
    return this.delimiter === 'none' ? this.decoder.decode(message, { stream: true }) : this.decoder.decode(message);
  }
}

/** Reports an exception thrown by a user's state callback without taking the process down. */
export function callbackFailed(owner: string, state: string, err: unknown): void {
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  console.error(`${owner}: the state callback threw while handling ${state}: ${detail}`);
}
