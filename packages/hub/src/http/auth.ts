/**
 * Auth. Every route except the health route and sign-in needs `Authorization: Bearer
 * TOKEN`, or the dashboard's session cookie (sessions.ts); WebSocket routes also take
 * `?token=TOKEN`. Tokens are compared in constant time (as SHA-256 digests, so lengths
 * leak nothing either). A request authenticated by the cookie alone must carry the
 * session's CSRF token when it changes anything (POST, PUT, PATCH, DELETE), since the
 * browser sends the cookie whichever page asks; bearer requests need none, as no browser
 * adds that header on its own.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { parseRequestTarget } from './request-url.js';
import { CSRF_HEADER, csrfMatches, sessionIdOf } from './sessions.js';
import type { BrowserSession, Sessions } from './sessions.js';

/**
 * Routes the token hook lets through: liveness checks by process supervisors and load
 * balancers, and sign-in (its routes check the token or cookie themselves).
 */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/api/health', '/api/session']);

/** Methods that change something, so need the CSRF token under cookie auth. */
const STATE_CHANGING: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Checks tokens against the hub's one API token. */
export class TokenCheck {
  private readonly expected: Buffer | null;

  /** `token` null: auth is off and every request is let through. */
  constructor(token: string | null) {
    this.expected = token === null ? null : digest(token);
  }

  get enabled(): boolean {
    return this.expected !== null;
  }

  matches(candidate: string | undefined): boolean {
    if (this.expected === null) return true;
    if (candidate === undefined || candidate === '') return false;
    return timingSafeEqual(digest(candidate), this.expected);
  }

  /**
   * Throws PL_ERR_UNAUTHORIZED unless the request carries the token: in the
   * Authorization header, or (`allowQuery`, WebSocket routes) in `?token=`.
   */
  check(request: IncomingMessage, allowQuery: boolean): void {
    if (this.expected === null) return;
    const header = request.headers.authorization;
    let candidate: string | undefined;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw unauthorized('the Authorization header must be "Bearer TOKEN"');
      candidate = match[1];
    } else if (allowQuery) {
      candidate = parseRequestTarget(request.url).query.get('token') ?? undefined;
    }
    if (candidate === undefined) {
      const how = allowQuery ? 'send "Authorization: Bearer TOKEN" or add ?token=TOKEN' : 'send "Authorization: Bearer TOKEN"';
      throw unauthorized(`this route needs the hub's API token; ${how} (picolink hub prints the token)`);
    }
    if (!this.matches(candidate)) throw unauthorized('the API token is wrong; use the token picolink hub printed (kept in its data directory as api-token)');
  }
}

/** How a request proved who it is. */
export type Authenticated = { via: 'off' } | { via: 'token' } | { via: 'session'; session: BrowserSession };

/** The token check and the session cookie together, as every route and upgrade applies them. */
export class ApiAuth {
  constructor(
    readonly tokens: TokenCheck,
    readonly sessions: Sessions,
  ) {}

  /**
   * Throws PL_ERR_UNAUTHORIZED unless the request carries the token (header, or `?token=`
   * with `allowQuery`) or a live session cookie, and PL_ERR_CSRF when a state-changing
   * request rests on the cookie without the session's CSRF token. A token, when sent,
   * decides alone: a wrong one is refused even beside a good cookie.
   */
  check(request: IncomingMessage, allowQuery: boolean): Authenticated {
    if (!this.tokens.enabled) return { via: 'off' };
    const sendsToken = request.headers.authorization !== undefined || (allowQuery && parseRequestTarget(request.url).query.has('token'));
    if (!sendsToken) {
      const id = sessionIdOf(request);
      if (id !== undefined) {
        const session = this.sessions.use(id);
        if (session === undefined) throw unauthorized('the dashboard session has ended (signed out, 12 hours idle, or the hub restarted); sign in again with the link picolink hub printed');
        if (STATE_CHANGING.has(request.method ?? '') && !csrfMatches(session, request.headers[CSRF_HEADER])) {
          throw new PicolinkError(ErrorCode.CSRF, `a ${request.method ?? ''} request signed in by the session cookie must send the session's CSRF token as "X-CSRF-Token" (the "csrf" of POST or GET /api/session)`);
        }
        return { via: 'session', session };
      }
    }
    this.tokens.check(request, allowQuery);
    return { via: 'token' };
  }
}

function unauthorized(message: string): PicolinkError {
  return new PicolinkError(ErrorCode.UNAUTHORIZED, message);
}
