/**
 * What the tutorials' servers answer: `hello` (the embassy-net tutorial's server),
 * `echo` (Rust std and Freenove), `reverse` (the Rust std UDP server: the bytes reversed).
 */
import { utf8 } from './delimiter.js';

export type ServeMode = 'hello' | 'echo' | 'reverse';

export const SERVE_MODES: readonly ServeMode[] = ['hello', 'echo', 'reverse'];

export function isServeMode(value: string): value is ServeMode {
  return (SERVE_MODES as readonly string[]).includes(value);
}

const HELLO_PREFIX = utf8('hello, ');

/** The reply to one message (delimiter not included). */
export function replyTo(mode: ServeMode, message: Uint8Array): Uint8Array {
  if (mode === 'echo') return message;
  if (mode === 'reverse') return message.slice().reverse();
  const out = new Uint8Array(HELLO_PREFIX.length + message.length);
  out.set(HELLO_PREFIX, 0);
  out.set(message, HELLO_PREFIX.length);
  return out;
}
