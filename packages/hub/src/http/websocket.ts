/**
 * WebSocket routes. Node's HTTP server hands upgrade requests to us, not to fastify, so
 * they are routed here: check the Host (host-check.ts) and the origin (browsers: only
 * pages of the hub itself) first, then find the route, then the token (header or
 * `?token=`) or the dashboard's session cookie, and let the route accept or refuse. A refusal is a plain HTTP answer with
 * the API's `{ error, code }` body, so clients learn why (400, 401, 403, 404, 503), and
 * the socket is closed. Plain GETs on these paths get 426 from fastify routes registered
 * for them, which also puts them in the route table.
 *
 * Once open, a socket's messages go through {@link guardMessages}: binary where text is
 * expected closes it with 1003, and a handler that throws closes only that socket (1011,
 * PL_ERR_INTERNAL logged), never the hub. ws itself closes a socket with 1007 on text that
 * is not UTF-8 and 1009 on a message over the route's maxPayload.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode, PicolinkError, toPicolinkError } from '@picolink/protocol';
import type { RawData, WebSocket } from 'ws';
import type { ApiAuth } from './auth.js';
import type { HubLog } from './context.js';
import { errorBody, statusFor } from './errors.js';
import type { HostCheck } from './host-check.js';
import { decodePathPart, parseRequestTarget } from './request-url.js';

export interface UpgradeRoute {
  /** Path with `:name` parameters, as registered with fastify (e.g. "/api/devices/:id/link"). */
  path: string;
  /** Accepts the upgrade (or throws a coded error to refuse it). */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, params: Record<string, string>): Promise<void> | void;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Turns "/api/devices/:id/link" into a matcher returning the parameters. */
function compilePath(path: string): (pathname: string) => Record<string, string> | null {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(part.slice(1));
      return '([^/]+)';
    })
    .join('/');
  const pattern = new RegExp(`^${source}$`);
  return (pathname) => {
    const match = pattern.exec(pathname);
    if (!match) return null;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      params[name] = decodePathPart(match[i + 1] ?? '');
    });
    return params;
  };
}

/** Answers an upgrade request with an HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, err: PicolinkError): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = statusFor(err.code);
  const body = JSON.stringify(errorBody(err));
  const extra = status === 401 ? 'WWW-Authenticate: Bearer realm="picolink"\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
  );
}

/**
 * WebSockets are exempt from the browser's same-origin rules, so a page from anywhere
 * could otherwise open one to a hub on localhost (and, with auth off, drive its devices).
 * A browser always sends Origin: it must name the hub itself. Programs send none.
 */
function checkOrigin(request: IncomingMessage): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = '';
  }
  if (originHost === '' || originHost !== request.headers.host) {
    throw new PicolinkError(ErrorCode.UNAUTHORIZED, `WebSocket connections from pages of ${origin} are refused; open the page from the hub itself (${request.headers.host ?? 'its own address'})`);
  }
}

export interface UpgradeChecks {
  hosts: HostCheck;
  /** The token or session cookie (a WebSocket upgrade is a GET, so needs no CSRF token). */
  tokens: Pick<ApiAuth, 'check'>;
}

/** Routes upgrade requests on `server` to `routes`, after the Host, origin and token checks. */
export function attachUpgradeRoutes(app: FastifyInstance, server: Server, routes: readonly UpgradeRoute[], checks: UpgradeChecks, log: HubLog): () => void {
  const compiled = routes.map((route) => ({ route, match: compilePath(route.path) }));
  for (const { route } of compiled) {
    app.get(route.path, async function webSocketOnly(_request, reply: FastifyReply) {
      const err = new PicolinkError(ErrorCode.NOT_SUPPORTED, `${route.path} is a WebSocket; connect with a WebSocket client (ws://)`);
      return reply.code(426).header('upgrade', 'websocket').send(errorBody(err));
    });
  }

  /** The route and its decoded parameters; throws the coded refusal. */
  function routeOf(request: IncomingMessage): { route: UpgradeRoute; params: Record<string, string>; pathname: string } {
    checks.hosts.check(request.headers.host);
    checkOrigin(request);
    const { pathname } = parseRequestTarget(request.url);
    for (const { route, match } of compiled) {
      const params = match(pathname);
      if (params !== null) {
        checks.tokens.check(request, true);
        return { route, params, pathname };
      }
    }
    throw new PicolinkError(ErrorCode.NOT_FOUND, `the hub has no WebSocket route ${JSON.stringify(pathname.slice(0, 120))}; see /api/openapi.json`);
  }

  function serverOnUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A socket error before the WebSocket takes over must not crash the hub.
    socket.on('error', socketOnError);
    let found: ReturnType<typeof routeOf>;
    try {
      found = routeOf(request);
    } catch (err) {
      refuseUpgrade(socket, refusalFor(err, 'upgrade'));
      return;
    }
    Promise.resolve()
      .then(() => found.route.upgrade(request, socket, head, found.params))
      .catch((err: unknown) => {
        if (!socket.destroyed) refuseUpgrade(socket, refusalFor(err, `upgrade ${found.pathname}`));
      });
  }

  /** The coded refusal; a failure of the hub's own is logged and answered without its details. */
  function refusalFor(err: unknown, what: string): PicolinkError {
    const coded = toPicolinkError(err);
    if (coded.code !== ErrorCode.INTERNAL) return coded;
    log(`http: WebSocket ${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return new PicolinkError(ErrorCode.INTERNAL, 'the hub failed to accept this WebSocket; see the hub log');
  }
  function socketOnError(): void {}

  server.on('upgrade', serverOnUpgrade);
  return () => server.off('upgrade', serverOnUpgrade);
}

/** WebSocket close codes the hub sends (RFC 6455 section 7.4.1). */
export const CLOSE_UNSUPPORTED_DATA = 1003;
export const CLOSE_INTERNAL_ERROR = 1011;

/**
 * Calls `onText` with each text message of `ws`, so that no message can end the hub: a
 * binary message closes the socket with 1003, and an exception thrown by `onText` closes
 * the socket with 1011 and is logged (PL_ERR_INTERNAL), since ws calls listeners from its
 * socket's data event, where an exception would be uncaught.
 */
export function guardMessages(ws: WebSocket, what: string, log: HubLog, onText: (text: string) => void): void {
  ws.on('message', function webSocketOnMessage(data: RawData, isBinary: boolean) {
    if (isBinary) {
      ws.close(CLOSE_UNSUPPORTED_DATA, 'send text messages');
      return;
    }
    try {
      onText((Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8'));
    } catch (err) {
      failSocket(ws, what, log, err);
    }
  });
}

/** Closes one socket after a failure of the hub's own code (1011), logged as PL_ERR_INTERNAL. */
export function failSocket(ws: WebSocket, what: string, log: HubLog, err: unknown): void {
  // One line, bounded: the log is read by people, and the message may quote peer input.
  log(`http: ${what} closed after an internal error (${ErrorCode.INTERNAL}): ${(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300)}`);
  if (ws.readyState === ws.OPEN) ws.close(CLOSE_INTERNAL_ERROR, ErrorCode.INTERNAL);
  else ws.terminate();
}

/**
 * Pings every WebSocket it tracks each `intervalMs`; one that has not answered the
 * previous ping by the next one is terminated (a browser tab that vanished).
 */
export class WebSocketKeepAlive {
  private readonly alive = new Map<WebSocket, boolean>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.timerOnTick(), intervalMs);
      this.timer.unref();
    }
  }

  track(ws: WebSocket): void {
    this.alive.set(ws, true);
    ws.on('pong', () => this.alive.set(ws, true));
    ws.once('close', () => this.alive.delete(ws));
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.alive.clear();
  }

  private timerOnTick(): void {
    for (const [ws, alive] of this.alive) {
      if (!alive) {
        ws.terminate();
        this.alive.delete(ws);
        continue;
      }
      this.alive.set(ws, false);
      ws.ping();
    }
  }
}
