/**
 * How received bytes are cut into messages for a log or a screen: the three delimiters of
 * {@link Delimiter} and `crlf` (Windows programs, telnet). A CR before an LF is always
 * dropped by the `lf` cut, so `crlf` cuts the same way and names what the peer sends; a
 * lone LF also ends a `crlf` message, as peers that mix the two are common.
 */
import { MessageFramer } from '@picolink/protocol';
import type { Delimiter } from './delimiter.js';

export type Framing = Delimiter | 'crlf';

export const FRAMINGS: readonly Framing[] = ['none', 'lf', 'crlf', 'nul'];

export function isFraming(value: unknown): value is Framing {
  return typeof value === 'string' && (FRAMINGS as readonly string[]).includes(value);
}

/** The delimiter a framing cuts at (`crlf` → `lf`, whose cut drops the CR). */
export function framingDelimiter(framing: Framing): Delimiter {
  return framing === 'crlf' ? 'lf' : framing;
}

/**
 * A bounded framer for one stream (one TCP connection); with `none` every chunk is one
 * message. @param maxMessageBytes longest unfinished message held, bytes; default 65536.
 */
export function createFramer(framing: Framing, maxMessageBytes?: number): MessageFramer {
  return new MessageFramer({ delimiter: framingDelimiter(framing), ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }) });
}
