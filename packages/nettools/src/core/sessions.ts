/**
 * The network tools sessions a hub runs, as its API shows them
 * (docs/hub.md#network-tools-sessions): a session's description, its log entries, and the
 * events the WebSocket carries. One definition for the hub that sends them and the
 * dashboard that reads them.
 */
import type { Framing } from './framing.js';

export type SessionKind = 'tcp-client' | 'tcp-server' | 'udp' | 'tls-client';

export const SESSION_KINDS: readonly SessionKind[] = ['tcp-client', 'tcp-server', 'udp', 'tls-client'];

export type SessionState = 'connecting' | 'open' | 'listening' | 'stopped' | 'failed';

export interface PeerInfo {
  /** "p1", "p2", … per session, never reused. */
  id: string;
  /** "addr:port", IPv6 in brackets. */
  address: string;
}

export interface SessionInfo {
  id: string;
  kind: SessionKind;
  name: string;
  state: SessionState;
  /** Remote host (clients; udp: the default destination). */
  host?: string;
  /** Remote port (clients; udp: the default destination). */
  port?: number;
  /** Local port as bound (tcp-server, udp). */
  localPort?: number;
  /** tls-client: SHA-256 of the peer's certificate, as the SDK prints it. */
  fingerprint?: string;
  /** tcp-server: connected peers. */
  peers?: PeerInfo[];
  framing: Framing;
  createdAt: number;
  lastActivity: number;
  bytesIn: number;
  bytesOut: number;
  /** Received bytes dropped because the session received faster than its limit. */
  droppedBytes: number;
  /** Log entries dropped: the log was over its size, or a page read too slowly. */
  droppedEntries: number;
  /** Repeats running, with the sends each has left. */
  repeats: Array<{ id: string; remaining: number }>;
  error?: { code: string; message: string };
}

export interface LogEntry {
  /** Per session, increasing by one. */
  seq: number;
  /** Unix ms. */
  t: number;
  dir: 'in' | 'out' | 'info';
  /** "addr:port" of the other end. */
  peer?: string;
  /** Base64 of the bytes; for "info", the UTF-8 text of a state line. */
  data: string;
}

export type NettoolsEvent =
  | { type: 'session'; session: SessionInfo }
  | { type: 'closed'; id: string }
  | { type: 'entry'; session: string; entry: LogEntry };
