/** `GET /api/health`: the one route without auth, for supervisors and load balancers. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/health', async function getHealth() {
    return { ok: true, version: ctx.version, hubId: ctx.config.hubId, uptimeMs: Date.now() - ctx.startedAt };
  });
}
