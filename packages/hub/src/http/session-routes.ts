/**
 * Sign-in for the dashboard (docs/hub.md#sessions-and-sign-in):
 *
 *   POST   /api/session  {"token"}  → 200 {csrf, auth} and the session cookie; 401 wrong
 *                                     token; 429 after too many wrong ones (sign-in-limit.ts)
 *   GET    /api/session             → 200 {csrf, auth} for a live cookie (a reloaded page
 *                                     recovers its CSRF token); 401 without one
 *   DELETE /api/session             → 204, the session ended and the cookie cleared
 *
 * With auth off every answer is 200 `{csrf, auth: false}` and no cookie is set.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { ApiAuth } from './auth.js';
import { sendAuthError, sendError } from './errors.js';
import { clearedSessionCookie, sessionCookie, sessionIdOf } from './sessions.js';
import type { SignInLimit } from './sign-in-limit.js';

/** Longest token read from a sign-in body, in characters (tokens are 16-512). */
const MAX_TOKEN_CHARS = 512;

export interface SessionRoutesOptions {
  auth: ApiAuth;
  limit: SignInLimit;
  /** Served over HTTPS: the cookie gets `Secure`. */
  secure: boolean;
}

export interface SessionAnswer {
  csrf: string;
  auth: boolean;
}

function tokenOf(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new PicolinkError(ErrorCode.NOT_OBJECT, 'send {"token": "…"} as JSON, with the token picolink hub printed');
  }
  const { token, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw new PicolinkError(ErrorCode.UNKNOWN_FIELD, `sign-in takes only "token", not ${JSON.stringify(extra.slice(0, 40))}`);
  if (token === undefined) throw new PicolinkError(ErrorCode.MISSING_FIELD, 'sign-in needs "token": the API token picolink hub printed');
  if (typeof token !== 'string') throw new PicolinkError(ErrorCode.BAD_TYPE, '"token" must be a string');
  if (token.length > MAX_TOKEN_CHARS) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `"token" is longer than ${MAX_TOKEN_CHARS} characters; it is not the hub's token`);
  return token;
}

export function registerSessionRoutes(app: FastifyInstance, options: SessionRoutesOptions): void {
  const { auth, limit, secure } = options;
  // With auth off there is nothing to protect, but the page still asks for a CSRF token.
  const openCsrf = randomBytes(32).toString('base64url');
  const open: SessionAnswer = { csrf: openCsrf, auth: false };

  app.post('/api/session', async function signIn(request: FastifyRequest, reply: FastifyReply) {
    if (!auth.tokens.enabled) return open;
    const address = request.socket.remoteAddress ?? '';
    const wait = limit.retryAfterSeconds(address);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return sendError(reply, new PicolinkError(ErrorCode.RATE_LIMITED, `too many wrong tokens from ${address}; try again in ${wait} s with the token picolink hub printed`));
    }
    const token = tokenOf(request.body);
    if (!auth.tokens.matches(token)) {
      limit.failed(address);
      await new Promise((resolve) => setTimeout(resolve, limit.delayMs));
      return sendError(reply, new PicolinkError(ErrorCode.UNAUTHORIZED, 'that is not the hub\'s API token; use the one picolink hub printed (kept in its data directory as api-token)'));
    }
    // A browser signing in again replaces its old session.
    auth.sessions.end(sessionIdOf(request.raw));
    const { id, session } = auth.sessions.create();
    reply.header('set-cookie', sessionCookie(id, secure));
    reply.header('cache-control', 'no-store');
    return { csrf: session.csrf, auth: true } satisfies SessionAnswer;
  });

  app.get('/api/session', async function getSession(request: FastifyRequest, reply: FastifyReply) {
    if (!auth.tokens.enabled) return open;
    const session = auth.sessions.use(sessionIdOf(request.raw));
    if (session === undefined) return sendAuthError(reply, new PicolinkError(ErrorCode.UNAUTHORIZED, 'no dashboard session; sign in with POST /api/session {"token": …}'));
    reply.header('cache-control', 'no-store');
    return { csrf: session.csrf, auth: true } satisfies SessionAnswer;
  });

  app.delete('/api/session', async function signOut(request: FastifyRequest, reply: FastifyReply) {
    if (auth.tokens.enabled) {
      try {
        auth.check(request.raw, false);
      } catch (err) {
        return sendAuthError(reply, err as PicolinkError);
      }
    }
    auth.sessions.end(sessionIdOf(request.raw));
    reply.header('set-cookie', clearedSessionCookie(secure));
    return reply.code(204).send();
  });
}
