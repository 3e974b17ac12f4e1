/** `GET /api/health`: the one route without auth, for supervisors and load balancers. */
import type { FastifyInstance } from 'fastify';
import type { HealthTelemetry } from '../api-types.js';
import type { ApiContext } from './context.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/health', async function getHealth() {
    return { ok: true, version: ctx.version, hubId: ctx.config.hubId, uptimeMs: Date.now() - ctx.startedAt, telemetry: healthTelemetry(ctx), mqtt: ctx.mqttStats?.() ?? null };
  });
}

/** The store writer's counters, named for someone watching a hub from outside it. */
function healthTelemetry(ctx: ApiContext): HealthTelemetry {
  const counters = ctx.telemetryWriter();
  return {
    written: counters.written,
    buffered: counters.pending,
    dropped: counters.dropped,
    droppedOldest: counters.droppedOldest,
    failed: counters.failed,
    retries: counters.retries,
    storeUnreachableSince: counters.unreachableSince,
  };
}
