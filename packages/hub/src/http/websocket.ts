/**
 * WebSocket routes. Node's HTTP server hands upgrade requests to us, not to fastify, so
 * they are routed here: find the route, check the origin (browsers: only pages of the hub
 * itself) and the token (header or `?token=`), let the route accept or refuse. A refusal
 * is a plain HTTP answer with the API's `{ error, code }` body, so clients learn why
 * (401, 404, 503). Plain GETs on these paths get 426 from fastify routes registered for
 * them, which also puts them in the route table.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode, PicolinkError, toPicolinkError } from '@picolink/protocol';
import type { WebSocket } from 'ws';
import type { TokenCheck } from './auth.js';
import type { HubLog } from './context.js';
import { errorBody, statusFor } from './errors.js';

export interface UpgradeRoute {
  /** Path with `:name` parameters, as registered with fastify (e.g. "/api/devices/:id/link"). */
  path: string;
  /** Accepts the upgrade (or throws a coded error to refuse it). */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, params: Record<string, string>): Promise<void> | void;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
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
      params[name] = decodeURIComponent(match[i + 1] ?? '');
    });
    return params;
  };
}

/** Answers an upgrade request with an HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, err: PicolinkError): void {
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

/** Routes upgrade requests on `server` to `routes`, after the origin and token checks. */
export function attachUpgradeRoutes(app: FastifyInstance, server: Server, routes: readonly UpgradeRoute[], tokens: TokenCheck, log: HubLog): () => void {
  const compiled = routes.map((route) => ({ route, match: compilePath(route.path) }));
  for (const { route } of compiled) {
    app.get(route.path, async function webSocketOnly(_request, reply: FastifyReply) {
      const err = new PicolinkError(ErrorCode.NOT_SUPPORTED, `${route.path} is a WebSocket; connect with a WebSocket client (ws://)`);
      return reply.code(426).header('upgrade', 'websocket').send(errorBody(err));
    });
  }

  function serverOnUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A socket error before the WebSocket takes over must not crash the hub.
    socket.on('error', socketOnError);
    const pathname = new URL(request.url ?? '/', 'http://hub').pathname;
    let params: Record<string, string> | null = null;
    const found = compiled.find(({ match }) => (params = match(pathname)) !== null);
    if (!found || params === null) {
      refuseUpgrade(socket, new PicolinkError(ErrorCode.NOT_FOUND, `the hub has no WebSocket route ${pathname}; see /api/openapi.json`));
      return;
    }
    try {
      checkOrigin(request);
      tokens.check(request, true);
    } catch (err) {
      refuseUpgrade(socket, toPicolinkError(err));
      return;
    }
    Promise.resolve()
      .then(() => found.route.upgrade(request, socket, head, params as Record<string, string>))
      .catch((err: unknown) => {
        const coded = toPicolinkError(err);
        if (coded.code === ErrorCode.INTERNAL) log(`http: WebSocket upgrade ${pathname} failed: ${(err as Error).stack ?? String(err)}`);
        if (!socket.destroyed) refuseUpgrade(socket, coded);
      });
  }
  function socketOnError(): void {}

  server.on('upgrade', serverOnUpgrade);
  return () => server.off('upgrade', serverOnUpgrade);
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
