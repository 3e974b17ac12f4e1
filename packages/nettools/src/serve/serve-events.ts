/**
 * What `picolink serve` reports: one event per connect, disconnect, refusal and message,
 * rendered as a timestamped text line or as one JSON object per line (NDJSON).
 */
import { ErrorCode } from '@picolink/protocol';
import type { Delimiter } from '../core/delimiter.js';
import { decodeLenient, previewBytes } from '../core/display.js';
import type { ServeMode } from '../core/replies.js';

export type Transport = 'tcp' | 'udp';

export type ServeEvent =
  | { event: 'listening'; transport: Transport; host: string; port: number; mode: ServeMode; delimiter: Delimiter }
  | { event: 'connect'; transport: 'tcp'; peer: string; clients: number }
  | {
      event: 'disconnect';
      transport: 'tcp';
      peer: string;
      by: 'peer' | 'server';
      messages: number;
      /** Bytes of an unfinished message dropped (a client vanished mid-message). */
      droppedBytes: number;
      code?: string;
      error?: string;
    }
  | { event: 'refused'; transport: 'tcp'; peer: string; code: string; error: string }
  | { event: 'message'; transport: Transport; peer: string; message: Uint8Array; reply: Uint8Array }
  | { event: 'error'; transport: Transport; peer?: string; code: string; error: string }
  | { event: 'suppressed'; kind: string; count: number };

const DELIMITER_WORDS: Record<Delimiter, string> = {
  lf: 'messages end with a newline',
  nul: 'messages end with a NUL byte',
  none: 'each read is one message',
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function describe(event: ServeEvent): string {
  switch (event.event) {
    case 'listening':
      return `listening on ${event.transport} ${event.host.includes(':') ? `[${event.host}]` : event.host}:${event.port} (${event.mode}; ${event.transport === 'udp' ? 'each datagram is one message' : DELIMITER_WORDS[event.delimiter]})`;
    case 'connect':
      return `tcp ${event.peer} connected (${plural(event.clients, 'client')})`;
    case 'disconnect': {
      const dropped = event.droppedBytes > 0 ? `; ${plural(event.droppedBytes, 'byte')} of an unfinished message dropped` : '';
      const why = event.error ? `: ${event.error} (${event.code ?? ErrorCode.INTERNAL})` : '';
      const verb = event.by === 'server' ? 'closed by the server' : 'disconnected';
      return `tcp ${event.peer} ${verb} after ${plural(event.messages, 'message')}${dropped}${why}`;
    }
    case 'refused':
      return `tcp ${event.peer} refused: ${event.error} (${event.code})`;
    case 'message':
      return `${event.transport} ${event.peer} ${previewBytes(event.message)} -> ${previewBytes(event.reply)}`;
    case 'error':
      return `${event.transport}${event.peer ? ` ${event.peer}` : ''} error: ${event.error} (${event.code})`;
    case 'suppressed':
      return `(${event.count} more "${event.kind}" lines suppressed)`;
  }
}

/** One log line (no newline): ISO time, then the event in words. */
export function formatServeEvent(event: ServeEvent, timeMs: number): string {
  return `${new Date(timeMs).toISOString()} ${describe(event)}`;
}

/** One NDJSON line (no newline): `time`, `event` and the event's fields; messages as text plus their size. */
export function serveEventJson(event: ServeEvent, timeMs: number): string {
  const time = new Date(timeMs).toISOString();
  if (event.event === 'message') {
    const { message, reply, ...rest } = event;
    return JSON.stringify({ time, ...rest, message: decodeLenient(message), bytes: message.length, reply: decodeLenient(reply) });
  }
  return JSON.stringify({ time, ...event });
}
