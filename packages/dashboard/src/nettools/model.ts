/**
 * The network tools as the page knows them: the hub's sessions and each one's log, kept
 * live from `/api/nettools/stream`. A gap in a session's `seq` (entries the hub dropped for
 * a slow page, or a reconnect) is filled from `GET …/log?after=`. Listeners are told at
 * most every 100 ms, so a flood into a session costs the page one render per 100 ms.
 *
 * Bounds: 5000 entries and 2 MiB of bytes kept per session in the page (the hub keeps
 * `nettools.logBytes`, 1 MiB by default); the oldest go first.
 */
import { api } from '../api.js';
import { entrySize } from './render.js';
import { LiveStream } from '../stream.js';
import type { LogEntry, NetStreamMessage, SessionInfo } from './types.js';

export const MAX_ENTRIES = 5000;
export const MAX_LOG_BYTES = 2 * 1024 * 1024;
const PUBLISH_MS = 100;

export interface SessionLog {
  entries: LogEntry[];
  /** Highest seq seen (0: none). */
  lastSeq: number;
  /** Entries the hub's log no longer had when the page asked for them. */
  droppedEntries: number;
  /** Bytes of the kept entries. */
  bytes: number;
}

export function sessionPath(id: string, rest = ''): string {
  return `/api/nettools/sessions/${encodeURIComponent(id)}${rest}`;
}

export class NetToolsModel {
  readonly sessions = new Map<string, SessionInfo>();
  readonly logs = new Map<string, SessionLog>();
  loaded = false;
  connected = false;
  private readonly stream = new LiveStream<NetStreamMessage>('/api/nettools/stream');
  private readonly listeners = new Set<() => void>();
  private readonly filling = new Set<string>();
  /** Sessions whose entries came while their log was being read: read again after. */
  private readonly refill = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribe: (() => void)[] = [];

  start(): void {
    this.unsubscribe = [
      this.stream.subscribe((message) => this.onMessage(message)),
      this.stream.onState((connected) => {
        this.connected = connected;
        // On every (re)connect the hub sends each session; the logs may have moved on meanwhile.
        if (connected) void this.reload();
        this.changed();
      }),
    ];
    this.stream.start();
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.stream.stop();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  log(id: string): SessionLog {
    let log = this.logs.get(id);
    if (!log) {
      log = { entries: [], lastSeq: 0, droppedEntries: 0, bytes: 0 };
      this.logs.set(id, log);
    }
    return log;
  }

  /** Reads the session list and every log from where the page is. */
  async reload(): Promise<void> {
    const { sessions } = await api<{ sessions: SessionInfo[] }>('GET', '/api/nettools/sessions');
    const ids = new Set(sessions.map((s) => s.id));
    for (const id of [...this.sessions.keys()]) if (!ids.has(id)) this.forget(id);
    for (const session of sessions) this.sessions.set(session.id, session);
    this.loaded = true;
    this.changed();
    await Promise.all(sessions.map((s) => this.fill(s.id)));
  }

  /**
   * A session from an HTTP answer (just opened, started or stopped). The stream's copy wins:
   * it may already carry a later state (a TLS pin that failed right after the answer), so
   * the answer only fills in a session the stream has not announced yet.
   */
  put(session: SessionInfo): void {
    if (this.sessions.has(session.id)) return;
    this.sessions.set(session.id, session);
    this.changed();
  }

  forget(id: string): void {
    this.sessions.delete(id);
    this.logs.delete(id);
    this.changed();
  }

  clearLog(id: string): void {
    const log = this.log(id);
    log.entries = [];
    log.droppedEntries = 0;
    log.bytes = 0;
    this.changed();
  }

  private onMessage(message: NetStreamMessage): void {
    if (message.type === 'session') {
      this.sessions.set(message.session.id, message.session);
    } else if (message.type === 'closed') {
      this.forget(message.id);
      return;
    } else if (message.type === 'entry') {
      const log = this.log(message.session);
      if (message.entry.seq <= log.lastSeq) return;
      if (message.entry.seq > log.lastSeq + 1 || this.filling.has(message.session)) {
        void this.fill(message.session);
        return;
      }
      this.append(log, [message.entry]);
    }
    this.changed();
  }

  /** Reads the entries after the last one seen (one request at a time per session). */
  private async fill(id: string): Promise<void> {
    if (this.filling.has(id)) {
      this.refill.add(id);
      return;
    }
    this.filling.add(id);
    try {
      const log = this.log(id);
      const answer = await api<{ entries: LogEntry[]; droppedEntries: number }>('GET', sessionPath(id, `/log?after=${log.lastSeq}`));
      log.droppedEntries = answer.droppedEntries;
      this.append(log, answer.entries.filter((e) => e.seq > log.lastSeq));
      this.changed();
    } catch {
      // The session may be gone; the stream says so.
    } finally {
      this.filling.delete(id);
    }
    if (this.refill.delete(id) && this.sessions.has(id)) await this.fill(id);
  }

  private append(log: SessionLog, entries: LogEntry[]): void {
    if (entries.length === 0) return;
    for (const entry of entries) {
      log.entries.push(entry);
      log.bytes += entrySize(entry);
    }
    log.lastSeq = Math.max(log.lastSeq, entries[entries.length - 1]?.seq ?? 0);
    let drop = 0;
    while (drop < log.entries.length - 1 && (log.entries.length - drop > MAX_ENTRIES || log.bytes > MAX_LOG_BYTES)) {
      log.bytes -= entrySize(log.entries[drop] as LogEntry);
      drop++;
    }
    if (drop > 0) log.entries.splice(0, drop);
  }

  private changed(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const listener of this.listeners) listener();
    }, PUBLISH_MS);
  }
}
