/**
 * The browser-safe part of @picolink/nettools (`@picolink/nettools/core`): delimiters and
 * message framing, the tutorials' reply rules, and the terminal core. No Node built-ins.
 */
export * from './delimiter.js';
export { DEFAULT_MAX_MESSAGE_BYTES, MessageFramer } from '@picolink/protocol';
export type { FramedMessage, MessageFramerOptions } from '@picolink/protocol';
export * from './replies.js';
export * from './display.js';
export * from './terminal-core.js';
export * from './framing.js';
export * from './send-input.js';
export * from './sessions.js';
