/**
 * The JSON shapes of the hub's network tools API (docs/hub.md#network-tools) that are the
 * page's own; sessions and log entries are `@picolink/nettools/core`'s, as the hub sends them.
 */

import type { Framing, LineEnding, NettoolsEvent, SessionKind } from '@picolink/nettools/core';

export type { Framing, LogEntry, SessionInfo, SessionKind, SessionState } from '@picolink/nettools/core';
/** What is appended to a message sent. */
export type Ending = LineEnding;

/** The choices in the order the forms offer them (the common one first). */
export const FRAMINGS: readonly Framing[] = ['lf', 'crlf', 'nul', 'none'];
export const ENDINGS: readonly Ending[] = ['lf', 'crlf', 'nul', 'none'];

export const KIND_LABELS: Record<SessionKind, string> = {
  'tcp-client': 'TCP client',
  'tcp-server': 'TCP server',
  udp: 'UDP',
  'tls-client': 'TLS client',
};

export const ENDING_LABELS: Record<Ending, string> = { none: 'none', lf: 'LF (\\n)', crlf: 'CRLF (\\r\\n)', nul: 'NUL (\\0)' };

export type { HubAddresses, SavedMessage } from '@picolink/hub/api-types';

export type NetStreamMessage = NettoolsEvent;

/** What the create form sends (POST /api/nettools/sessions). */
export interface CreateSession {
  kind: SessionKind;
  name?: string;
  host?: string;
  port?: number;
  localPort?: number;
  framing?: Framing;
  fingerprint?: string;
}

/** What the send box sends (POST /api/nettools/sessions/:id/send). */
export interface SendRequest {
  data: string;
  encoding: 'text' | 'hex';
  ending: Ending;
  peer?: string;
  to?: string;
  repeat?: { count: number; intervalMs: number };
}
