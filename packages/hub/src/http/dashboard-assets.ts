/**
 * The dashboard's static files (built by `packages/dashboard` into this package's `web/`
 * directory): `GET /` and every other GET path outside `/api/` answer `index.html` (the
 * page routes itself: `/devices/pico-1`), `GET /assets/NAME` answers the file with a long
 * cache (Vite puts a content hash in each name). None of these need the token: the page
 * holds no data until the person signs in.
 *
 * They are served from fastify's not-found handler rather than as routes, so the API's
 * route list (and the OpenAPI document that must match it) stays the API's.
 *
 * Bounds: asset names are one path segment of [A-Za-z0-9_.-]; files are read once and kept
 * in memory (the whole build is a few hundred KB).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where the build lands: `packages/hub/web/`, beside `dist/` (this file is `dist/src/http/`). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const ASSET_NAME = /^[A-Za-z0-9_.-]+$/;

/** True for paths the dashboard answers (everything but the API): the token hook lets them through. */
export function isDashboardPath(path: string): boolean {
  return path !== '/api' && !path.startsWith('/api/');
}

/** Files read so far, by name under `DASHBOARD_DIR`; null: not there. */
class AssetCache {
  private readonly files = new Map<string, Buffer | null>();

  constructor(private readonly dir: string) {}

  async get(name: string): Promise<Buffer | null> {
    if (this.files.has(name)) return this.files.get(name) ?? null;
    let content: Buffer | null;
    try {
      content = await readFile(this.dir + name);
    } catch {
      content = null;
    }
    // index.html is not cached while missing, so a build made after the hub started is picked up.
    if (content !== null || name !== 'index.html') this.files.set(name, content);
    return content;
  }
}

type NotFoundHandler = (request: FastifyRequest, reply: FastifyReply) => FastifyReply;

/**
 * Serves the dashboard for GET and HEAD requests outside `/api/`; every other request
 * that matches no route goes to `apiNotFound`.
 */
export function registerDashboardAssets(app: FastifyInstance, apiNotFound: NotFoundHandler, dir: string = DASHBOARD_DIR): void {
  const cache = new AssetCache(dir);
  app.setNotFoundHandler(async function dashboardOrNotFound(request, reply) {
    const path = request.url.split('?')[0] ?? '/';
    if ((request.method !== 'GET' && request.method !== 'HEAD') || !isDashboardPath(path)) return apiNotFound(request, reply);
    reply.headers(SECURITY_HEADERS);
    if (path.startsWith('/assets/')) {
      const name = path.slice('/assets/'.length);
      const content = ASSET_NAME.test(name) ? await cache.get(`assets/${name}`) : null;
      if (content === null) return reply.code(404).type('text/plain; charset=utf-8').send(`no dashboard asset ${path}\n`);
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type(TYPES[extname(name)] ?? 'application/octet-stream')
        .send(content);
    }
    const index = await cache.get('index.html');
    if (index === null) {
      return reply.code(503).type('text/plain; charset=utf-8').send('the dashboard is not built; run `npm run build` in the picolink repository\n');
    }
    return reply.header('cache-control', 'no-cache').type(TYPES['.html'] ?? 'text/html').send(index);
  });
}
