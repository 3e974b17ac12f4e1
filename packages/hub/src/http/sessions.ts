/**
 * Browser sessions (docs/hub.md#sessions-and-sign-in). The dashboard trades the API token
 * for a session once (`POST /api/session`); the browser then holds only the session id in
 * an HttpOnly, SameSite=Strict cookie that page scripts cannot read, and the page holds
 * the session's CSRF token, which every state-changing request must echo in
 * `X-CSRF-Token` (a cookie is sent by the browser on its own; the header shows that the
 * hub's page made the request).
 *
 * Sessions live in this process only: a restart signs every browser out. They end after
 * `idleMs` without a request, or when signed out. Ids are 32 random bytes; the map is
 * keyed by their SHA-256 digest so that looking one up takes the same time whatever the
 * guess.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The cookie's name. */
export const SESSION_COOKIE = 'picolink_session';
/** Header carrying the CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
/** Sessions end after this long without a request, in ms (12 h). */
export const DEFAULT_SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Most sessions at once; signing in beyond it ends the least recently used. */
export const DEFAULT_MAX_SESSIONS = 1000;
/** Longest cookie value read, in characters (ids are 43). */
const MAX_ID_CHARS = 128;

export interface BrowserSession {
  /** Token the page sends in X-CSRF-Token (base64url, 32 random bytes). */
  readonly csrf: string;
  /** Unix ms of the last request. */
  lastUsed: number;
}

export interface SessionsOptions {
  /** Idle time after which a session ends, in ms. Default 12 h. */
  idleMs?: number;
  /** Most sessions kept. Default 1000. */
  maxSessions?: number;
  /** Clock, Unix ms. Default Date.now. */
  now?: () => number;
}

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/** The session id in a request's Cookie header, if any. */
export function sessionIdOf(request: IncomingMessage): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (value !== '' && value.length <= MAX_ID_CHARS) return value;
  }
  return undefined;
}

/** `Set-Cookie` value that gives the browser a session id (`secure`: served over HTTPS). */
export function sessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}

/** `Set-Cookie` value that makes the browser forget its session id. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}

/** True when `sent` (the X-CSRF-Token header) is the session's CSRF token. */
export function csrfMatches(session: BrowserSession, sent: string | string[] | undefined): boolean {
  if (typeof sent !== 'string' || sent === '') return false;
  return timingSafeEqual(createHash('sha256').update(sent).digest(), createHash('sha256').update(session.csrf).digest());
}

/** The hub's sessions, in memory. */
export class Sessions {
  /** By id digest, least recently used first (a used session is moved to the end). */
  private readonly byDigest = new Map<string, BrowserSession>();
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: SessionsOptions = {}) {
    this.idleMs = options.idleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** Starts a session; returns its id (for the cookie) and the session. */
  create(): { id: string; session: BrowserSession } {
    this.dropIdle();
    while (this.byDigest.size >= this.maxSessions) {
      const oldest = this.byDigest.keys().next().value;
      if (oldest === undefined) break;
      this.byDigest.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const session: BrowserSession = { csrf: randomBytes(32).toString('base64url'), lastUsed: this.now() };
    this.byDigest.set(digest(id), session);
    return { id, session };
  }

  /** The live session with this id, marked as used now; undefined when unknown or idle too long. */
  use(id: string | undefined): BrowserSession | undefined {
    if (id === undefined) return undefined;
    const key = digest(id);
    const session = this.byDigest.get(key);
    if (session === undefined) return undefined;
    const now = this.now();
    this.byDigest.delete(key);
    if (now - session.lastUsed > this.idleMs) return undefined;
    session.lastUsed = now;
    this.byDigest.set(key, session);
    return session;
  }

  /** Ends the session with this id (sign-out). */
  end(id: string | undefined): void {
    if (id !== undefined) this.byDigest.delete(digest(id));
  }

  /** Removes idle sessions from the front of the map (the least recently used). */
  private dropIdle(): void {
    const now = this.now();
    for (const [key, session] of this.byDigest) {
      if (now - session.lastUsed <= this.idleMs) break;
      this.byDigest.delete(key);
    }
  }
}
