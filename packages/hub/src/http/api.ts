/**
 * The hub's HTTP API: fastify with one file per route group, bearer-token or session-cookie
 * auth (auth.ts), coded errors, and the two WebSocket routes (live stream, device link).
 * `startHttpApi` takes an already listening server (tests, socket activation) or binds
 * `config.http`.
 *
 * Every request and upgrade passes the Host check (host-check.ts) before anything else;
 * bodies are read by the bounded JSON parser (json-body.ts); whatever a client sends is
 * answered with a coded 4xx, and a failure of the hub's own code with 500 PL_ERR_INTERNAL
 * for that request only.
 *
 * Served over HTTPS when `http.tls` names a certificate and key (the WebSockets too), so
 * that the token and the session cookie can cross a LAN.
 */
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Server as TlsServer } from 'node:tls';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { isLoopbackHost } from '../config.js';
import type { RateLimitedLog } from '@picolink/net';
import { ApiAuth, PUBLIC_PATHS, TokenCheck } from './auth.js';
import { registerCommandRoutes } from './commands.js';
import { DEFAULT_API_LIMITS } from './context.js';
import type { ApiContext, ApiLimits } from './context.js';
import { registerCsvRoutes } from './csv.js';
import { isDashboardPath, registerDashboardAssets } from './dashboard-assets.js';
import { SdkLinks } from './sdk-link.js';
import { registerDeviceRoutes } from './devices.js';
import { registerDeviceManagementRoutes } from './device-management.js';
import { apiOnFrameworkError, apiOnNotFound, httpOnClientError, makeErrorHandler, sendAuthError, sendRawError } from './errors.js';
import { HostCheck } from './host-check.js';
import { registerJsonBodies } from './json-body.js';
import { registerHealthRoutes } from './health.js';
import { registerHistoryRoutes } from './history.js';
import { registerNettoolsRoutes } from './nettools-routes.js';
import { NettoolsStream } from './nettools-stream.js';
import type { NettoolsSessions } from '../nettools/registry.js';
import { listenConfigured, readConfiguredFile } from '../listeners.js';
import { registerOpenApiRoutes } from './openapi.js';
import { registerSessionRoutes } from './session-routes.js';
import { Sessions } from './sessions.js';
import { SignInLimit } from './sign-in-limit.js';
import { LiveStream } from './stream.js';
import { registerTelemetryRoutes } from './telemetry.js';
import { attachUpgradeRoutes, WebSocketKeepAlive } from './websocket.js';

export interface HttpApiOptions extends Omit<ApiContext, 'limits' | 'logLimited'> {
  limits?: Partial<ApiLimits>;
  /** The hub's network tools sessions (built and closed by startHub). */
  nettools: NettoolsSessions;
  /** The hub's rate-limited log, for the lines clients can trigger at will (`logLimited`). */
  limitedLog: RateLimitedLog;
  /**
   * A server already listening (an https.Server to serve HTTPS); default: a new one bound
   * to config.http.host and port, HTTPS when config.http.tls is set.
   */
  server?: Server;
}

export interface RegisteredRoute {
  method: string;
  /** Path as registered, with `:name` parameters. */
  url: string;
}

export interface HttpApi {
  /** "http://HOST:PORT" ("https://" when served over TLS), IPv6 in brackets. */
  url: string;
  port: number;
  /** Every route registered (HEAD routes fastify adds for GETs left out). */
  readonly routes: readonly RegisteredRoute[];
  readonly stream: LiveStream;
  readonly sdkLinks: SdkLinks;
  /** Dashboard sessions (signed in with POST /api/session). */
  readonly sessions: Sessions;
  /** Closes WebSockets and connections, and the server unless it was given. */
  close(): Promise<void>;
}

function boundAddress(server: Server): AddressInfo {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new PicolinkError(ErrorCode.CONFIG, 'the HTTP server given to the hub is not listening on a TCP port');
  }
  return address;
}

/** Refuses to serve without auth anywhere but on a loopback address (PL_ERR_CONFIG). */
export function checkAuthPolicy(auth: boolean, host: string): void {
  if (!auth && !isLoopbackHost(host)) {
    throw new PicolinkError(
      ErrorCode.CONFIG,
      `hub configuration: "http.auth" is false but "http.host" is ${host}; turning auth off is allowed only on a loopback address (127.0.0.1, ::1, localhost)`,
    );
  }
}

/** The API's server from `config.http`: HTTPS when `http.tls` names a certificate and key. */
async function createApiServer(tls: { cert: string; key: string } | undefined): Promise<Server> {
  if (tls === undefined) return createServer();
  // One after the other, so a person missing both files hears about the certificate first, every time.
  const cert = await readConfiguredFile(tls.cert, 'http.tls.cert');
  const key = await readConfiguredFile(tls.key, 'http.tls.key');
  try {
    return createHttpsServer({ cert, key });
  } catch (err) {
    throw new PicolinkError(ErrorCode.CONFIG, `hub configuration: "http.tls" ${tls.cert} and ${tls.key} are not a PEM certificate and its key: ${(err as Error).message}`);
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Idle keep-alive connections would hold close() open until the client hangs up.
    server.closeAllConnections();
  });
}

export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const { server: given, limits, nettools, limitedLog, ...rest } = options;
  const ctx: ApiContext = { ...rest, limits: { ...DEFAULT_API_LIMITS, ...limits }, logLimited: (kind, line) => limitedLog.limited(kind, line) };
  checkAuthPolicy(ctx.token !== null, ctx.config.http.host);
  const server = given ?? (await createApiServer(ctx.config.http.tls));
  const secure = server instanceof TlsServer;
  if (given) checkAuthPolicy(ctx.token !== null, boundAddress(given).address);
  const hosts = new HostCheck({ allowed: ctx.config.http.allowedHosts });
  // The configured host may be a name ("pi.lan"); the address it resolved to is added once bound.
  hosts.allowBound(given ? boundAddress(given).address : ctx.config.http.host);

  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: ctx.limits.bodyLimitBytes,
    forceCloseConnections: true,
    frameworkErrors: apiOnFrameworkError,
    clientErrorHandler: httpOnClientError,
    serverFactory: (handler) =>
      server.on('request', function serverOnRequest(request, response) {
        try {
          hosts.check(request.headers.host);
        } catch (err) {
          sendRawError(response, err as PicolinkError);
          return;
        }
        handler(request, response);
      }),
  });
  registerJsonBodies(app);
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });

  const sessions = new Sessions({ idleMs: ctx.limits.sessionIdleMs });
  const auth = new ApiAuth(new TokenCheck(ctx.token), sessions);
  app.addHook('onRequest', async function checkToken(request, reply) {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC_PATHS.has(path) || isDashboardPath(path)) return;
    try {
      auth.check(request.raw, false);
    } catch (err) {
      return sendAuthError(reply, err as PicolinkError);
    }
  });
  app.setErrorHandler(makeErrorHandler((line) => ctx.logLimited('http-internal', line)));
  registerDashboardAssets(app, apiOnNotFound);

  registerHealthRoutes(app, ctx);
  registerSessionRoutes(app, {
    auth,
    limit: new SignInLimit({ burst: ctx.limits.signInBurst, refillMs: ctx.limits.signInRefillMs, delayMs: ctx.limits.signInDelayMs }),
    secure,
  });
  registerDeviceRoutes(app, ctx);
  registerDeviceManagementRoutes(app, ctx);
  registerCommandRoutes(app, ctx);
  registerTelemetryRoutes(app, ctx);
  registerCsvRoutes(app, ctx);
  registerHistoryRoutes(app, ctx);
  registerNettoolsRoutes(app, ctx, nettools);
  registerOpenApiRoutes(app, ctx);
  const keepAlive = new WebSocketKeepAlive(ctx.limits.webSocketPingMs);
  const stream = new LiveStream(ctx, keepAlive);
  const sdkLinks = new SdkLinks(ctx, keepAlive);
  const netStream = new NettoolsStream(ctx, nettools, keepAlive);
  const detachUpgrades = attachUpgradeRoutes(app, server, [stream.route, sdkLinks.route, netStream.route], { hosts, tokens: auth }, (line) => ctx.logLimited('http-upgrade', line));

  await app.ready();
  if (!given) {
    try {
      await listenConfigured(server, ctx.config.http.host, ctx.config.http.port, 'http.port');
    } catch (err) {
      stream.close();
      sdkLinks.close();
      netStream.close();
      keepAlive.stop();
      await app.close();
      throw err;
    }
  }
  const address = boundAddress(server);
  hosts.allowBound(address.address);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `${secure ? 'https' : 'http'}://${host}:${address.port}`,
    port: address.port,
    routes,
    stream,
    sdkLinks,
    sessions,
    close: () =>
      (closing ??= (async () => {
        detachUpgrades();
        keepAlive.stop();
        stream.close();
        sdkLinks.close();
        netStream.close();
        await app.close();
        // fastify closes only servers it started listening itself; this one is ours unless given.
        if (!given) await closeServer(server);
      })()),
  };
}
