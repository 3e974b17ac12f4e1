/**
 * Managing devices through the API (docs/hub.md#managing-devices):
 *
 *   POST   /api/devices            {"id", "ssid"?, "password"?} → 201 credentials and config.json
 *   POST   /api/devices/:id/token  → 200 new credentials; the old token stops working and a
 *                                    connected device is disconnected
 *   DELETE /api/devices/:id        → 204; its link is closed, its credentials and record
 *                                    forgotten (no longer listed); its telemetry and history stay
 *
 * The token and telemetry key are shown only in these answers. `config` is the agent's
 * config.json from the same builder as `picolink agent bundle`, pointed at this hub. Each
 * change is in the audit log (without secrets: no token, key or WiFi password).
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { agentConfig } from '@picolink/agent';
import type { AgentConfig } from '@picolink/agent';
import { DEFAULT_DEVICE_PORT, ErrorCode, PicolinkError } from '@picolink/protocol';
import type { IssuedCredentials } from '../credentials.js';
import { apiActor } from './commands.js';
import type { ApiContext } from './context.js';

/** Longest WiFi name and password accepted, in characters (WPA2: 32 and 63 bytes). */
const MAX_SSID_CHARS = 32;
const MAX_PASSWORD_CHARS = 63;

const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '']);
/** Longest a removal waits for the device's link to close, in ms. */
const REMOVE_CLOSE_WAIT_MS = 2000;

type DeviceParams = FastifyRequest<{ Params: { id: string } }>;

export interface ManagedDeviceAnswer extends IssuedCredentials {
  config: AgentConfig;
}

interface AddBody {
  id: string;
  ssid: string;
  password: string;
}

function optionalText(body: Record<string, unknown>, key: string, max: number): string {
  const value = body[key];
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new PicolinkError(ErrorCode.BAD_TYPE, `"${key}" must be a string`);
  if (value.length > max) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `"${key}" must be at most ${max} characters`);
  return value;
}

function parseAddBody(body: unknown): AddBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new PicolinkError(ErrorCode.NOT_OBJECT, 'send {"id": "pico-3"} as JSON ("ssid" and "password" optional, for the agent\'s config.json)');
  }
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!['id', 'ssid', 'password'].includes(key)) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `adding a device takes "id", "ssid" and "password", not ${JSON.stringify(key.slice(0, 40))}`);
  }
  if (fields.id === undefined) throw new PicolinkError(ErrorCode.MISSING_FIELD, 'adding a device needs "id" (1-64 of A-Z a-z 0-9 _ . -)');
  if (typeof fields.id !== 'string') throw new PicolinkError(ErrorCode.OUT_OF_RANGE, '"id" must be a string of 1-64 of A-Z a-z 0-9 _ . -');
  return { id: fields.id, ssid: optionalText(fields, 'ssid', MAX_SSID_CHARS), password: optionalText(fields, 'password', MAX_PASSWORD_CHARS) };
}

/** No body, or an empty object: rotation and removal take nothing. */
function requireNoFields(body: unknown, what: string): void {
  if (body === undefined) return;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0) return;
  throw new PicolinkError(ErrorCode.UNKNOWN_FIELD, `${what} takes no body`);
}

/**
 * The host a device should dial: the gateway's own address, or, when it listens on every
 * interface, the name the person reached the API by (the device is on the same network).
 */
function hostFor(bound: string, request: FastifyRequest): string {
  if (!WILDCARDS.has(bound)) return bound.includes(':') ? `[${bound}]` : bound;
  const header = request.headers.host ?? '';
  const match = /^(\[[^\]]+\]|[^:]+)/.exec(header);
  return match?.[1] ?? '127.0.0.1';
}

export function registerDeviceManagementRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { config } = ctx;

  /** Records a change in the audit log; a failure to write it is logged, not answered. */
  async function audit(request: FastifyRequest, deviceId: string, action: string, fields: Record<string, unknown>): Promise<void> {
    try {
      await ctx.store.insertAudit({ time: Date.now(), actor: apiActor(request), deviceId, action, request: { action, ...fields }, result: 'ok', response: null });
    } catch (err) {
      ctx.log(`http: cannot record ${action} of "${deviceId}" in the audit log: ${(err as Error).message}`);
    }
  }
  let gatewayFingerprint: Promise<string | undefined> | undefined;

  /** SHA-256 fingerprint of the gateway's certificate, which the agent pins; undefined without TLS. */
  function fingerprint(): Promise<string | undefined> {
    gatewayFingerprint ??= (async () => {
      if (config.gateway.tls === undefined) return undefined;
      try {
        return new X509Certificate(await readFile(config.gateway.tls.cert)).fingerprint256;
      } catch (err) {
        ctx.log(`http: cannot read the gateway certificate ${config.gateway.tls.cert} for device configurations: ${(err as Error).message}`);
        return undefined;
      }
    })();
    return gatewayFingerprint;
  }

  async function answer(issued: IssuedCredentials, request: FastifyRequest, wifi: { ssid: string; password: string }): Promise<ManagedDeviceAnswer> {
    const pinned = await fingerprint();
    const gatewayHost = hostFor(config.gateway.host, request);
    const telemetryHost = hostFor(config.telemetry.host, request);
    const agent = agentConfig({
      ssid: wifi.ssid,
      password: wifi.password,
      deviceId: issued.id,
      port: DEFAULT_DEVICE_PORT,
      token: issued.token,
      telemetry: { target: `${telemetryHost}:${ctx.ports.telemetry}`, key: issued.telemetryKey },
      hub: { address: `${gatewayHost}:${ctx.ports.gateway}`, ...(pinned === undefined ? {} : { fingerprint: pinned }) },
    });
    return { ...issued, config: agent };
  }

  app.post('/api/devices', async function addDevice(request: FastifyRequest, reply: FastifyReply) {
    const body = parseAddBody(request.body);
    const issued = await ctx.credentials.add(body.id);
    ctx.log(`http: device "${issued.id}" added`);
    await audit(request, issued.id, 'add_device', body.ssid === '' ? {} : { ssid: body.ssid });
    reply.header('cache-control', 'no-store');
    return reply.code(201).send(await answer(issued, request, body));
  });

  app.post('/api/devices/:id/token', async function rotateDeviceToken(request: DeviceParams, reply: FastifyReply) {
    requireNoFields(request.body, 'rotating a token');
    const issued = await ctx.credentials.rotate(request.params.id);
    ctx.directory.get(issued.id)?.close('its token was rotated');
    ctx.log(`http: device "${issued.id}" has a new token`);
    await audit(request, issued.id, 'rotate_token', {});
    reply.header('cache-control', 'no-store');
    return answer(issued, request, { ssid: '', password: '' });
  });

  app.delete('/api/devices/:id', async function removeDevice(request: DeviceParams, reply: FastifyReply) {
    requireNoFields(request.body, 'removing a device');
    const { id } = request.params;
    await ctx.credentials.remove(id);
    // Closed first, so that its going offline is recorded before its record is dropped;
    // from now on its hellos are refused, so nothing records it again.
    ctx.directory.get(id)?.close('it was removed from the hub');
    const deadline = Date.now() + REMOVE_CLOSE_WAIT_MS;
    while (ctx.directory.isOnline(id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await ctx.store.forgetDevice(id);
    // Parts that announced the device elsewhere (the MQTT bridge's discovery) withdraw it.
    ctx.bus.emit('event', { deviceId: id, type: 'removed', time: Date.now(), data: {} });
    ctx.log(`http: device "${id}" removed`);
    await audit(request, id, 'remove_device', {});
    return reply.code(204).send();
  });
}
