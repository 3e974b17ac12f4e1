/**
 * Bearer-token auth. Every route except the health route needs `Authorization: Bearer
 * TOKEN`; WebSocket routes also take `?token=TOKEN`, because browsers cannot set headers
 * on a WebSocket. Tokens are compared in constant time (as SHA-256 digests, so lengths
 * leak nothing either).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { parseRequestTarget } from './request-url.js';

/** Routes anyone may call: liveness checks by process supervisors and load balancers. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/api/health']);

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

function unauthorized(message: string): PicolinkError {
  return new PicolinkError(ErrorCode.UNAUTHORIZED, message);
}
