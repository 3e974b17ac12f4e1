/**
 * `GET /api/openapi.json`: the API described as OpenAPI 3.1, written as data. A test
 * checks that every route the server registers is described here.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import { nettoolsPaths, nettoolsSchemas } from './openapi-nettools.js';
import { json, nullable, object, queryParam, ref, t } from './openapi-parts.js';

/** Error answers of a route; every route may answer 403 (the Host check, docs/hub.md#host-check). */
const errorResponses = (...statuses: number[]): Record<string, object> => {
  const text: Record<number, string> = {
    400:
      'A parameter, the path or the body is invalid (PL_ERR_BAD_TYPE, PL_ERR_OUT_OF_RANGE, PL_ERR_MISSING_FIELD, ...; ' +
      'PL_ERR_BAD_URL for a path that is not valid percent-encoding; PL_ERR_BAD_JSON, PL_ERR_BAD_UTF8, PL_ERR_JSON_TOO_COMPLEX for a body that cannot be read)',
    401: 'Missing or wrong API token, or no live session cookie (PL_ERR_UNAUTHORIZED)',
    403:
      'The Host header names a host the hub does not answer to (PL_ERR_HOST_NOT_ALLOWED); add it to http.allowedHosts. ' +
      'Or a state-changing request signed in by the session cookie lacks X-CSRF-Token (PL_ERR_CSRF)',
    404: 'Unknown device (PL_ERR_UNKNOWN_DEVICE)',
    409:
      'A device with that id exists already (PL_ERR_DEVICE_EXISTS); or, for commands, the device only sends telemetry: ' +
      'no server-mode address and it never dialed home (PL_ERR_DEVICE_NO_COMMANDS)',
    429: 'Too many wrong tokens from this address; wait the seconds of Retry-After (PL_ERR_RATE_LIMITED)',
    413: 'Body too large (PL_ERR_FRAME_TOO_LARGE)',
    426: 'A plain GET on a WebSocket route (PL_ERR_NOT_SUPPORTED)',
    502: 'The link to the device failed while waiting (PL_ERR_CONNECTION_CLOSED)',
    503: 'The device is not connected (PL_ERR_DEVICE_OFFLINE), or too many clients (PL_ERR_TOO_MANY_CLIENTS)',
    504: 'The device did not answer in time (PL_ERR_TIMEOUT)',
  };
  return Object.fromEntries([...statuses, 403].sort((a, b) => a - b).map((status) => [String(status), { description: text[status] ?? 'Error', content: json(ref('Error')) }]));
};

const idParam = { name: 'id', in: 'path', required: true, description: 'Device id', schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } };
const timeParam = (name: string, description: string): object =>
  queryParam(name, `${description}: Unix ms, an ISO 8601 date, "now", or a time ago such as -15m, -1h, -7d`);
const limitParam = (fallback: number, max: number): object =>
  queryParam('limit', `Most records returned (default ${fallback}, at most ${max})`, { type: 'integer', minimum: 1, maximum: max });
const metricParam = queryParam('metric', 'One metric (all when absent)');
const bucketParam = queryParam('bucket', 'Bucket width for min/max/avg (ms, or 10s, 5m, 1h, 1d); raw rows when absent. At most 10,000 buckets.');
const deviceFilterParam = queryParam('device', 'Only this device');
const typeParam = queryParam('type', 'Only events of this type (pin_change, online, offline, ...)');
const tokenParam = queryParam('token', 'The API token, for WebSocket clients that cannot send an Authorization header (browsers)');

const schemas = {
  Error: object({ error: { type: 'string', description: 'What went wrong and what to do' }, code: { type: 'string', description: 'Stable code from docs/errors.md' } }),
  Device: {
    type: 'object',
    required: ['id', 'online', 'hub', 'mode'],
    properties: {
      id: { type: 'string' },
      online: { type: 'boolean' },
      hub: { type: ['string', 'null'], description: 'The hubId of the hub holding the connection (several hubs on one PostgreSQL), null when offline' },
      mode: { enum: ['dial-home', 'server', 'telemetry'] },
      address: { type: ['string', 'null'], description: 'host:port of the live link, else where last seen' },
      lastSeen: { type: ['integer', 'null'], description: 'Unix ms' },
      firstSeen: { type: ['integer', 'null'], description: 'Unix ms' },
      connectedAt: { type: ['integer', 'null'], description: 'Unix ms at which the current link opened' },
      firmware: { type: ['string', 'null'] },
      protocol: { type: ['integer', 'null'] },
      capabilities: { type: 'array', items: { type: 'string' } },
      rssi: { type: ['number', 'null'], description: 'WiFi signal in dBm (last get_info)' },
      memory: { type: ['object', 'null'], properties: { free: { type: 'integer' }, alloc: { type: 'integer' } } },
      uptimeMs: { type: ['integer', 'null'], description: 'Device uptime (get_info at connect plus the time since); null when offline' },
      telemetry: {
        type: ['object', 'null'],
        properties: {
          received: { type: 'integer', description: 'Datagrams that named the device, valid or not' },
          accepted: { type: 'integer', description: 'Datagrams accepted and stored' },
          duplicates: { type: 'integer', description: 'Resends and duplicates (acknowledged, not stored again)' },
          lost: { type: 'integer', description: 'Sequence numbers skipped and never filled' },
          rejected: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Rejected datagrams by error code' },
          ratePerSecond: { type: 'number', description: 'Accepted datagrams per second over the last full second' },
          loss: { type: 'number', description: 'lost / (accepted + lost)' },
          lastSeen: { type: ['integer', 'null'], description: 'Unix ms of the last accepted datagram' },
        },
      },
      configured: { type: 'boolean', description: 'Listed in the hub configuration' },
      managed: { type: 'boolean', description: 'Added through POST /api/devices (can be rotated and removed through the API)' },
    },
  },
  SignIn: object({
    csrf: { type: 'string', description: 'Send as X-CSRF-Token on every POST, PUT, PATCH and DELETE made with the session cookie' },
    auth: { type: 'boolean', description: 'False when the hub runs with auth off (no cookie is set then)' },
  }),
  DeviceCredentials: object({
    id: t.string,
    token: { type: 'string', description: 'The device\'s hello token; shown only in this answer (the hub keeps its SHA-256)' },
    telemetryKey: { type: 'string', description: 'HMAC key (hex) for its telemetry; shown only in this answer' },
    config: { type: 'object', description: "The agent's config.json (as picolink agent bundle writes it), pointed at this hub", additionalProperties: true },
  }),
  Session: {
    type: 'object',
    properties: { id: t.integer, deviceId: t.string, mode: t.string, address: nullable('string'), openedAt: t.integer, closedAt: nullable('integer'), closeReason: nullable('string') },
  },
  Request: {
    type: 'object',
    required: ['action'],
    description: 'A protocol request (docs/protocol.md#actions), e.g. {"action":"write_pin","pin":2,"value":1,"timeout":5}',
    properties: { action: { type: 'string' }, id: { type: ['string', 'integer'] } },
    additionalProperties: true,
  },
  Response: {
    type: 'object',
    required: ['ok'],
    description: "The device's response: the request echoed, ok, and results or error/code/exception",
    properties: { ok: { type: 'boolean' }, error: { type: 'string' }, code: { type: 'string' } },
    additionalProperties: true,
  },
  TelemetryRow: { type: 'object', properties: { metric: t.string, time: t.integer, value: t.number } },
  TelemetryBucket: {
    type: 'object',
    properties: { metric: t.string, time: { type: 'integer', description: 'Bucket start, Unix ms (a multiple of bucketMs)' }, count: t.integer, min: t.number, max: t.number, avg: t.number },
  },
  Event: { type: 'object', properties: { id: t.integer, deviceId: t.string, type: t.string, time: t.integer, deviceTime: nullable('integer'), data: t.object } },
  AuditRecord: {
    type: 'object',
    properties: {
      id: t.integer,
      time: t.integer,
      actor: { type: 'string', description: '"api:ADDRESS", "sdk:ADDRESS", "hub" (state re-applied), ...' },
      deviceId: t.string,
      action: t.string,
      request: t.object,
      result: { type: 'string', description: '"ok" or the error code' },
      response: nullable('object'),
    },
  },
};

/** The document; `serverUrl` is put in `servers` when known. */
export function openApiDocument(version: string, serverUrl?: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'picolink hub API',
      version,
      description:
        'Devices, commands, telemetry, events and the audit log of a picolink hub. Every route except /api/health and sign-in needs ' +
        '"Authorization: Bearer TOKEN" (WebSocket routes also take ?token=), or the dashboard\'s session cookie from POST /api/session; ' +
        'with the cookie, POST, PUT, PATCH and DELETE also need "X-CSRF-Token". Errors are {"error", "code"} with codes from docs/errors.md.',
    },
    ...(serverUrl === undefined ? {} : { servers: [{ url: serverUrl }] }),
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'picolink_session', description: 'From POST /api/session; state-changing requests also need X-CSRF-Token' },
      },
      schemas: { ...schemas, ...nettoolsSchemas },
    },
    paths: {
      '/api/health': {
        get: {
          operationId: 'getHealth',
          summary: 'Liveness (no token needed)',
          security: [],
          responses: {
            '200': {
              description: 'The hub is up',
              content: json({
                type: 'object',
                properties: {
                  ok: { const: true },
                  version: { type: 'string' },
                  hubId: { type: 'string', description: 'This hub\'s id (config hubId)' },
                  uptimeMs: { type: 'integer' },
                  telemetry: {
                    type: 'object',
                    description: "The telemetry store writer's counters since the hub started",
                    properties: {
                      written: { type: 'integer', description: 'Readings the store accepted' },
                      buffered: { type: 'integer', description: 'Readings waiting in memory to be written' },
                      dropped: { type: 'integer', description: 'Readings dropped because the store was too far behind' },
                      droppedOldest: { type: 'integer', description: 'Oldest readings dropped while the store was unreachable (telemetry.maxBufferedRows)' },
                      failed: { type: 'integer', description: 'Readings lost to writes the store refused' },
                      retries: { type: 'integer', description: 'Writes tried again because the store could not be reached' },
                      storeUnreachableSince: { type: ['integer', 'null'], description: 'Unix ms since which the store has been unreachable; null while it answers' },
                    },
                  },
                  mqtt: {
                    type: ['object', 'null'],
                    description: "The MQTT bridge's counters since the hub started (docs/mqtt.md); null without a bridge",
                    properties: {
                      connected: { type: 'boolean', description: 'Connected to the broker now' },
                      published: { type: 'integer', description: 'Messages handed to the broker (QoS 1: acknowledged by it)' },
                      dropped: { type: 'integer', description: 'Messages not published: broker unreachable, socket full, or set commands past the in-flight limit' },
                      received: { type: 'integer', description: 'Set commands received' },
                      commands: { type: 'integer', description: 'Set commands sent to devices' },
                      errors: { type: 'integer', description: 'Set commands answered with an error, and publishes the broker failed' },
                      reconnects: { type: 'integer', description: 'Connections to the broker after the first' },
                    },
                  },
                },
              }),
            },
            ...errorResponses(),
          },
        },
      },
      '/api/session': {
        post: {
          operationId: 'signIn',
          summary: 'Trade the API token for a session cookie (HttpOnly, SameSite=Strict; Secure over HTTPS) and a CSRF token. No token header needed; wrong tokens are slowed and rate-limited per address',
          security: [],
          requestBody: { required: true, content: json({ type: 'object', required: ['token'], properties: { token: { type: 'string' } }, additionalProperties: false }) },
          responses: { '200': { description: 'Signed in; Set-Cookie: picolink_session=…', content: json(ref('SignIn')) }, ...errorResponses(400, 401, 429) },
        },
        get: {
          operationId: 'getSession',
          summary: 'The CSRF token of the session in the cookie (a reloaded page recovers it); with auth off, auth: false without a cookie',
          security: [{ session: [] }],
          responses: { '200': { description: 'The session', content: json(ref('SignIn')) }, ...errorResponses(401) },
        },
        delete: {
          operationId: 'signOut',
          summary: 'End the session and clear the cookie (X-CSRF-Token needed with the cookie)',
          responses: { '204': { description: 'Signed out' }, ...errorResponses(401) },
        },
      },
      '/api/openapi.json': {
        get: { operationId: 'getOpenApi', summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) }, ...errorResponses(401) } },
      },
      '/api/devices': {
        get: {
          operationId: 'listDevices',
          summary: 'Every device the hub knows: stored, configured or connected',
          responses: { '200': { description: 'Devices sorted by id', content: json({ type: 'object', properties: { devices: { type: 'array', items: ref('Device') } } }) }, ...errorResponses(401) },
        },
        post: {
          operationId: 'addDevice',
          summary: 'Add a device: the hub draws its token and telemetry key (shown only in this answer), keeps them in its store, and admits it at once',
          requestBody: {
            required: true,
            content: json({
              type: 'object',
              required: ['id'],
              properties: {
                id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
                ssid: { type: 'string', maxLength: 32, description: 'WiFi name for the config.json (default "")' },
                password: { type: 'string', maxLength: 63, description: 'WiFi password for the config.json (default ""); not kept by the hub' },
              },
              additionalProperties: false,
            }),
          },
          responses: { '201': { description: 'Added', content: json(ref('DeviceCredentials')) }, ...errorResponses(400, 401, 409) },
        },
      },
      '/api/devices/{id}/token': {
        post: {
          operationId: 'rotateDeviceToken',
          summary: 'Draw a new token and telemetry key for a device added through the API; the old ones stop working and a connected device is disconnected',
          parameters: [idParam],
          responses: { '200': { description: 'New credentials', content: json(ref('DeviceCredentials')) }, ...errorResponses(400, 401, 404) },
        },
      },
      '/api/devices/{id}': {
        get: {
          operationId: 'getDevice',
          summary: 'One device, its metrics and its last sessions',
          parameters: [idParam],
          responses: {
            '200': {
              description: 'The device',
              content: json({
                type: 'object',
                properties: { device: ref('Device'), metrics: { type: 'array', items: { type: 'string' } }, sessions: { type: 'array', items: ref('Session') } },
              }),
            },
            ...errorResponses(400, 401, 404),
          },
        },
        delete: {
          operationId: 'removeDevice',
          summary:
            'Remove a device added through the API: its link is closed, its credentials and record forgotten, so it is no longer listed (its telemetry and history stay in the store). ' +
            'Devices of the configuration file are changed there (400 PL_ERR_NOT_SUPPORTED)',
          parameters: [idParam],
          responses: { '204': { description: 'Removed' }, ...errorResponses(400, 401, 404) },
        },
      },
      '/api/devices/{id}/commands': {
        post: {
          operationId: 'sendCommands',
          summary: 'Send one request, or a list, to the device (pipelined, answered in order; recorded in the audit log)',
          parameters: [idParam],
          requestBody: { required: true, content: json({ oneOf: [ref('Request'), { type: 'array', items: ref('Request'), minItems: 1, maxItems: 100 }] }) },
          responses: {
            '200': {
              description: "The device's response (for one request) or responses in order (for a list; a request that never reached the device gets an error response with its code)",
              content: json({ oneOf: [ref('Response'), { type: 'array', items: ref('Response') }] }),
            },
            ...errorResponses(400, 401, 404, 409, 413, 502, 503, 504),
          },
        },
      },
      '/api/devices/{id}/telemetry': {
        get: {
          operationId: 'getTelemetry',
          summary: 'Readings in a time range: raw rows, or min/max/avg per bucket',
          parameters: [idParam, metricParam, timeParam('from', 'Start, inclusive (default: an hour before "to")'), timeParam('to', 'End, exclusive (default now)'), bucketParam, limitParam(10_000, 100_000)],
          responses: {
            '200': {
              description: '`rows` (raw, oldest first) or `buckets` (with bucket=, by metric then time); truncated when the limit was reached',
              content: json({
                type: 'object',
                properties: {
                  device: { type: 'string' },
                  metric: { type: ['string', 'null'] },
                  from: { type: 'integer' },
                  to: { type: 'integer' },
                  bucketMs: { type: 'integer' },
                  rows: { type: 'array', items: ref('TelemetryRow') },
                  buckets: { type: 'array', items: ref('TelemetryBucket') },
                  truncated: { type: 'boolean' },
                },
              }),
            },
            ...errorResponses(400, 401, 404),
          },
        },
      },
      '/api/devices/{id}/telemetry.csv': {
        get: {
          operationId: 'exportTelemetryCsv',
          summary: 'CSV export, streamed (all stored readings unless from/to say otherwise)',
          parameters: [idParam, metricParam, timeParam('from', 'Start, inclusive (default: the first reading)'), timeParam('to', 'End, exclusive (default now)'), bucketParam],
          responses: {
            '200': {
              description: 'text/csv: time,iso_time,device,metric,value (raw) or time,iso_time,device,metric,count,min,max,avg (bucketed)',
              content: { 'text/csv': { schema: { type: 'string' } } },
            },
            ...errorResponses(400, 401, 404),
          },
        },
      },
      '/api/devices/{id}/events': {
        get: {
          operationId: 'getDeviceEvents',
          summary: "A device's events, newest first",
          parameters: [idParam, typeParam, timeParam('from', 'Start, inclusive'), timeParam('to', 'End, exclusive'), limitParam(100, 10_000)],
          responses: { '200': { description: 'Events', content: json({ type: 'object', properties: { device: { type: 'string' }, events: { type: 'array', items: ref('Event') } } }) }, ...errorResponses(400, 401, 404) },
        },
      },
      '/api/events': {
        get: {
          operationId: 'getEvents',
          summary: 'Events of every device (or one), newest first',
          parameters: [deviceFilterParam, typeParam, timeParam('from', 'Start, inclusive'), timeParam('to', 'End, exclusive'), limitParam(100, 10_000)],
          responses: { '200': { description: 'Events', content: json({ type: 'object', properties: { events: { type: 'array', items: ref('Event') } } }) }, ...errorResponses(400, 401) },
        },
      },
      '/api/audit': {
        get: {
          operationId: 'getAudit',
          summary: 'Every command sent to a device: who, what, the result; newest first',
          parameters: [deviceFilterParam, timeParam('from', 'Start, inclusive'), timeParam('to', 'End, exclusive'), limitParam(100, 10_000)],
          responses: { '200': { description: 'Audit records', content: json({ type: 'object', properties: { audit: { type: 'array', items: ref('AuditRecord') } } }) }, ...errorResponses(400, 401) },
        },
      },
      '/api/stream': {
        get: {
          operationId: 'liveStream',
          summary: 'WebSocket: live telemetry, events and device status',
          description:
            'Upgrade to a WebSocket. Messages (JSON text): {"type":"subscribed","devices","types"} first, then ' +
            '{"type":"telemetry","device","rows":[{metric,time,value}]}, {"type":"event","device","event":{type,time,deviceTime,data}}, ' +
            '{"type":"status","device","online","time","hub"}. A client that does not read is dropped (close code 1013); one that sends a binary message is closed (1003).',
          parameters: [
            queryParam('device', 'Comma-separated device ids (all when absent)'),
            queryParam('types', 'Comma-separated kinds: telemetry, event, status (all when absent)'),
            tokenParam,
          ],
          responses: { '101': { description: 'Switching to the WebSocket protocol' }, ...errorResponses(400, 401, 426, 503) },
        },
      },
      '/api/devices/{id}/link': {
        get: {
          operationId: 'deviceLink',
          summary: "WebSocket: the device's control protocol through the hub (the SDK's hub:// transport)",
          description:
            'Upgrade to a WebSocket carrying protocol frames (docs/protocol.md), one JSON line per text message. get_version and ping are answered ' +
            'by the hub; other requests go to the device through the audit log. pin_change events arrive for pins this link watches; ' +
            '{"event":"status","online"} when the device goes offline or comes back. A binary message closes the link (close code 1003), ' +
            'text that is not UTF-8 1007, a message over 64 KiB 1009.',
          parameters: [idParam, tokenParam],
          responses: { '101': { description: 'Switching to the WebSocket protocol' }, ...errorResponses(400, 401, 404, 426, 503) },
        },
      },
      ...nettoolsPaths,
    },
  };
}

export function registerOpenApiRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const document = openApiDocument(ctx.version);
  app.get('/api/openapi.json', async function getOpenApi() {
    return document;
  });
}
