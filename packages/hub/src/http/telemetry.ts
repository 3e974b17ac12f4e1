/**
 * `GET /api/devices/:id/telemetry`: readings in a time range, raw (`rows`) or, with
 * `bucket=`, as min/max/avg/count per bucket and metric (`buckets`) for plots.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from './context.js';
import { requireKnownDevice } from '../known-devices.js';
import type { RawQuery } from './query.js';
import { DEFAULT_SPAN_MS, parseTelemetryRequest } from './telemetry-query.js';

type TelemetryHttpRequest = FastifyRequest<{ Params: { id: string }; Querystring: RawQuery }>;

export function registerTelemetryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/devices/:id/telemetry', async function getTelemetry(request: TelemetryHttpRequest) {
    const deviceId = request.params.id;
    await requireKnownDevice(ctx, deviceId);
    const query = parseTelemetryRequest(deviceId, request.query, DEFAULT_SPAN_MS);
    const base = { device: deviceId, metric: query.metric ?? null, from: query.from, to: query.to };
    const storeQuery = { deviceId, from: query.from, to: query.to, limit: query.limit, ...(query.metric === undefined ? {} : { metric: query.metric }) };
    if (query.bucketMs !== undefined) {
      const buckets = await ctx.store.bucketTelemetry({ ...storeQuery, bucketMs: query.bucketMs });
      return { ...base, bucketMs: query.bucketMs, buckets, truncated: buckets.length === query.limit };
    }
    const rows = await ctx.store.queryTelemetry(storeQuery);
    return { ...base, rows: rows.map(({ metric, time, value }) => ({ metric, time, value })), truncated: rows.length === query.limit };
  });
}
