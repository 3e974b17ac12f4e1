/**
 * What the API says about a device: the stored record, the live link and the telemetry
 * counters merged into one JSON object, and the refusal of commands to a device that only
 * sends telemetry.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { ConfiguredDevice } from '../config.js';
import { knownDeviceIds, requireKnownDevice } from '../known-devices.js';
import type { DeviceLink, RemoteDevice } from '../directory.js';
import type { DeviceMode, DeviceRecord } from '../store/store.js';
import type { DeviceView, TelemetryStats } from '../api-types.js';
import type { ApiContext } from './context.js';

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function configuredMode(device: ConfiguredDevice): DeviceMode {
  if (device.address !== undefined) return 'server';
  if (device.token === undefined && device.telemetryKey !== undefined) return 'telemetry';
  return 'dial-home';
}

function telemetryView(stats: TelemetryStats | undefined): DeviceView['telemetry'] {
  if (stats === undefined) return null;
  const expected = stats.accepted + stats.lost;
  return { ...stats, loss: expected === 0 ? 0 : stats.lost / expected };
}

/**
 * The hub asks for get_info when a device comes online, so the uptime it reported then
 * plus the time since is its uptime now; offline devices have none.
 */
function uptimeOf(info: Record<string, unknown> | null, connectedAt: number | null): number | null {
  const reported = numberOrNull(info?.uptime_ms);
  if (reported === null || connectedAt === null) return null;
  return reported + Math.max(0, Date.now() - connectedAt);
}

/** Where the device is connected now: a link of this hub, or another hub's connection. */
export interface LiveConnection {
  link: DeviceLink | undefined;
  remote: RemoteDevice | undefined;
  /** This hub's id, shown as `hub` for its own links. */
  hubId: string;
}

/** Merges what the hub knows about one device. */
export function deviceView(
  id: string,
  record: DeviceRecord | undefined,
  live: LiveConnection,
  configured: ConfiguredDevice | undefined,
  stats: TelemetryStats | undefined,
  managed = false,
): DeviceView {
  const { link } = live;
  // A device another hub holds is shown as that hub announced it; local links win.
  const remote = link ? undefined : live.remote;
  const info = record?.info ?? null;
  const memFree = numberOrNull(info?.mem_free);
  const memAlloc = numberOrNull(info?.mem_alloc);
  const infoCapabilities = Array.isArray(info?.capabilities) ? info.capabilities.filter((c): c is string => typeof c === 'string') : [];
  const connectedAt = link?.connectedAt ?? remote?.connectedAt ?? null;
  const lastSeen = Math.max(record?.lastSeen ?? 0, stats?.lastSeen ?? 0, link || remote ? Date.now() : 0);
  return {
    id,
    online: link !== undefined || remote !== undefined,
    hub: link ? live.hubId : (remote?.hubId ?? null),
    mode: link?.mode ?? remote?.mode ?? record?.mode ?? (configured ? configuredMode(configured) : 'dial-home'),
    address: link?.address ?? remote?.address ?? record?.address ?? null,
    lastSeen: lastSeen === 0 ? null : lastSeen,
    firstSeen: record?.firstSeen ?? null,
    connectedAt,
    firmware: record?.firmware ?? null,
    protocol: link ? link.protocol : remote ? remote.protocol : numberOrNull(info?.protocol),
    capabilities: link ? [...link.capabilities] : remote ? [...remote.capabilities] : infoCapabilities,
    rssi: numberOrNull(info?.rssi),
    memory: memFree === null || memAlloc === null ? null : { free: memFree, alloc: memAlloc },
    uptimeMs: uptimeOf(info, connectedAt),
    telemetry: telemetryView(stats),
    configured: configured !== undefined,
    managed,
  };
}

function liveConnection(ctx: ApiContext, id: string): LiveConnection {
  return { link: ctx.directory.get(id), remote: ctx.directory.remote(id), hubId: ctx.config.hubId };
}

function isManaged(ctx: ApiContext, id: string): boolean {
  return ctx.credentials.get(id)?.managed === true;
}

/** Every device the hub knows: stored, configured, added through the API or connected; sorted by id. */
export async function listDeviceViews(ctx: ApiContext): Promise<DeviceView[]> {
  const records = new Map((await ctx.store.listDevices()).map((record) => [record.id, record]));
  const configured = new Map(ctx.config.devices.map((device) => [device.id, device]));
  return knownDeviceIds(records.keys(), ctx).map((id) => deviceView(id, records.get(id), liveConnection(ctx, id), configured.get(id), ctx.telemetryStats(id), isManaged(ctx, id)));
}

/** One device's view; PL_ERR_UNKNOWN_DEVICE when the hub has never heard of it. */
export async function requireDeviceView(ctx: ApiContext, id: string): Promise<DeviceView> {
  const record = await requireKnownDevice(ctx, id);
  return deviceView(id, record, liveConnection(ctx, id), ctx.config.devices.find((d) => d.id === id), ctx.telemetryStats(id), isManaged(ctx, id));
}

/**
 * Refuses commands to a device that can never take them (PL_ERR_DEVICE_NO_COMMANDS): it is
 * not connected, has no server-mode address, and the hub has only ever heard its
 * telemetry (a device that dials home once is recorded as `dial-home` from then on).
 * Told apart from PL_ERR_DEVICE_OFFLINE, whose advice (check its power) would not help.
 */
export function refuseTelemetryOnly(ctx: ApiContext, id: string, record: DeviceRecord | undefined): void {
  if (ctx.directory.isConnected(id)) return;
  const configured = ctx.config.devices.find((d) => d.id === id);
  if (configured?.address !== undefined) return;
  if ((record?.mode ?? (configured && configuredMode(configured))) !== 'telemetry') return;
  throw new PicolinkError(
    ErrorCode.DEVICE_NO_COMMANDS,
    `device "${id}" only sends telemetry, so it cannot take commands: the hub has no server-mode address for it and it has never dialed home; ` +
      'give it an "address" in the hub configuration\'s devices, or let it dial home with a token (picolink agent bundle --hub, picolink device --hub)',
  );
}

