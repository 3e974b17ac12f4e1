/** The JSON shapes of the hub's network tools API (docs/hub.md#network-tools). */

/** How received bytes are cut into log entries (as `picolink term --eol`). */
export type Framing = 'none' | 'lf' | 'crlf' | 'nul';
/** What is appended to a message sent. */
export type Ending = 'none' | 'lf' | 'crlf' | 'nul';
export type SessionKind = 'tcp-client' | 'tcp-server' | 'udp' | 'tls-client';
export type SessionState = 'connecting' | 'open' | 'listening' | 'stopped' | 'failed';

export const FRAMINGS: readonly Framing[] = ['lf', 'crlf', 'nul', 'none'];
export const ENDINGS: readonly Ending[] = ['lf', 'crlf', 'nul', 'none'];

export const KIND_LABELS: Record<SessionKind, string> = {
  'tcp-client': 'TCP client',
  'tcp-server': 'TCP server',
  udp: 'UDP',
  'tls-client': 'TLS client',
};

export const ENDING_LABELS: Record<Ending, string> = { none: 'none', lf: 'LF (\\n)', crlf: 'CRLF (\\r\\n)', nul: 'NUL (\\0)' };

export interface Peer {
  id: string;
  address: string;
}

export interface SessionInfo {
  id: string;
  kind: SessionKind;
  name: string;
  state: SessionState;
  host?: string;
  port?: number;
  localPort?: number;
  fingerprint?: string;
  peers?: Peer[];
  framing: Framing;
  createdAt: number;
  lastActivity: number;
  bytesIn: number;
  bytesOut: number;
  droppedBytes: number;
  error?: { code: string; message: string };
  /** Repeats running in the hub, when the hub reports them. */
  repeats?: { id: string; remaining?: number }[];
}

export interface LogEntry {
  seq: number;
  t: number;
  dir: 'in' | 'out' | 'info';
  peer?: string;
  /** Base64 of the bytes; for `info`, the text of a state line. */
  data: string;
}

export interface SavedMessage {
  id: string;
  name: string;
  data: string;
  encoding: 'text' | 'hex';
  ending: Ending;
}

export interface HubAddresses {
  hostname: string;
  addresses: { interface: string; address: string; family: 'IPv4' | 'IPv6'; internal: boolean }[];
}

export type NetStreamMessage =
  | { type: 'session'; session: SessionInfo }
  | { type: 'closed'; id: string }
  | { type: 'entry'; session: string; entry: LogEntry };

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
