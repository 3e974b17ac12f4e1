/** `GET /api/devices` and `GET /api/devices/:id`: the fleet and one device. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from './context.js';
import { listDeviceViews, requireDeviceView } from './device-view.js';

type DeviceParams = FastifyRequest<{ Params: { id: string } }>;

export function registerDeviceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/devices', async function listDevices() {
    return { devices: await listDeviceViews(ctx) };
  });

  app.get('/api/devices/:id', async function getDevice(request: DeviceParams) {
    const device = await requireDeviceView(ctx, request.params.id);
    const [metrics, sessions] = await Promise.all([ctx.store.listMetrics(device.id), ctx.store.listSessions(device.id, 10)]);
    return { device, metrics, sessions };
  });
}
