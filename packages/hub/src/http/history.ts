/**
 * What happened, newest first: `GET /api/devices/:id/events` (pin changes, online and
 * offline, state re-applied, rejected telemetry), `GET /api/events` (every device) and
 * `GET /api/audit` (every command sent to a device: who, what, the result).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from './context.js';
import { requireKnownDevice } from '../known-devices.js';
import { parseDeviceId, parseEventType, parseIntParam, parseOptionalTimeRange } from './query.js';
import type { RawQuery } from './query.js';

/** Default and largest number of records in one answer. */
export const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 10_000;

type DeviceHistoryRequest = FastifyRequest<{ Params: { id: string }; Querystring: RawQuery }>;
type HistoryRequest = FastifyRequest<{ Querystring: RawQuery }>;

function historyFilter(query: RawQuery): { from?: number; to?: number; limit: number } {
  return { ...parseOptionalTimeRange(query), limit: parseIntParam(query, 'limit', DEFAULT_HISTORY_LIMIT, 1, MAX_HISTORY_LIMIT) };
}

function withType(query: RawQuery): { type?: string } {
  const type = parseEventType(query);
  return type === undefined ? {} : { type };
}

export function registerHistoryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/devices/:id/events', async function getDeviceEvents(request: DeviceHistoryRequest) {
    const deviceId = request.params.id;
    await requireKnownDevice(ctx, deviceId);
    const events = await ctx.store.listEvents({ deviceId, ...withType(request.query), ...historyFilter(request.query) });
    return { device: deviceId, events };
  });

  app.get('/api/events', async function getEvents(request: HistoryRequest) {
    const deviceId = parseDeviceId(request.query);
    const events = await ctx.store.listEvents({ ...(deviceId === undefined ? {} : { deviceId }), ...withType(request.query), ...historyFilter(request.query) });
    return { events };
  });

  app.get('/api/audit', async function getAudit(request: HistoryRequest) {
    const deviceId = parseDeviceId(request.query);
    const audit = await ctx.store.listAudit({ ...(deviceId === undefined ? {} : { deviceId }), ...historyFilter(request.query) });
    return { audit };
  });
}
