/**
 * The network tools part of the OpenAPI document (openapi.ts): schemas and paths of
 * /api/nettools/* (docs/hub.md#network-tools-sessions).
 */
import { json, object, queryParam, ref, t } from './openapi-parts.js';

const ERRORS: Record<number, string> = {
  400: 'Invalid body or parameter (PL_ERR_BAD_TYPE for bad hex, PL_ERR_OUT_OF_RANGE for a local port below 1024, PL_ERR_MISSING_FIELD, PL_ERR_UNKNOWN_FIELD, PL_ERR_FIELD_CONFLICT)',
  401: 'Missing or wrong API token, or no live session cookie (PL_ERR_UNAUTHORIZED)',
  403: 'Host not allowed (PL_ERR_HOST_NOT_ALLOWED), or a cookie-signed request without X-CSRF-Token (PL_ERR_CSRF)',
  404: 'No such session, repeat or saved message (PL_ERR_NOT_FOUND)',
  409: 'Nobody to send to: not connected, no peer (PL_ERR_CONNECTION_CLOSED); or the local port is in use (PL_ERR_LISTEN_FAILED)',
  413: 'One send larger than nettools.maxSendBytes (PL_ERR_FRAME_TOO_LARGE)',
  426: 'A plain GET on a WebSocket route (PL_ERR_NOT_SUPPORTED)',
  429: 'Too many sessions (nettools.maxSessions) or saved messages (nettools.maxSavedMessages) (PL_ERR_RATE_LIMITED)',
  503: 'The peer is not reading what was sent to it (PL_ERR_BUSY), or too many stream clients (PL_ERR_TOO_MANY_CLIENTS)',
};

const errors = (...statuses: number[]): Record<string, object> =>
  Object.fromEntries([...statuses, 401, 403].sort((a, b) => a - b).map((status) => [String(status), { description: ERRORS[status] ?? 'Error', content: json(ref('Error')) }]));

const sessionId = { name: 'id', in: 'path', required: true, description: 'Session id', schema: { type: 'string' } };
const framing = { type: 'string', enum: ['none', 'lf', 'crlf', 'nul'] };
const ending = { type: 'string', enum: ['none', 'lf', 'crlf', 'nul'] };
const sessionAnswer = { description: 'The session', content: json(ref('NetSession')) };

export const nettoolsSchemas: Record<string, object> = {
  NetSession: object(
    {
      id: t.string,
      kind: { type: 'string', enum: ['tcp-client', 'tcp-server', 'udp', 'tls-client'] },
      name: t.string,
      state: { type: 'string', enum: ['connecting', 'open', 'listening', 'stopped', 'failed'] },
      host: { type: 'string', description: 'Remote host (clients; udp: default destination)' },
      port: { type: 'integer', description: 'Remote port (clients; udp: default destination)' },
      localPort: { type: 'integer', description: 'Local port as bound (tcp-server, udp)' },
      fingerprint: { type: 'string', description: "tls-client: the peer certificate's SHA-256 (AB:CD:…)" },
      peers: { type: 'array', items: { type: 'object', properties: { id: t.string, address: t.string } } },
      framing,
      createdAt: t.integer,
      lastActivity: t.integer,
      bytesIn: t.integer,
      bytesOut: t.integer,
      droppedBytes: { type: 'integer', description: 'Received bytes dropped over nettools.maxReceiveBytesPerSecond' },
      droppedEntries: { type: 'integer', description: 'Log entries dropped (log over nettools.logBytes, or a slow stream reader)' },
      repeats: { type: 'array', items: { type: 'object', properties: { id: t.string, remaining: t.integer } } },
      error: { type: 'object', properties: { code: t.string, message: t.string } },
    },
    ['host', 'port', 'localPort', 'fingerprint', 'peers', 'error'],
  ),
  NetLogEntry: object(
    {
      seq: t.integer,
      t: { type: 'integer', description: 'Unix ms' },
      dir: { type: 'string', enum: ['in', 'out', 'info'] },
      peer: { type: 'string', description: '"addr:port"' },
      data: { type: 'string', description: 'Base64 of the bytes; for "info", the UTF-8 text' },
    },
    ['peer'],
  ),
  SavedMessage: object({ id: t.string, name: t.string, data: t.string, encoding: { type: 'string', enum: ['text', 'hex'] }, ending }),
};

export const nettoolsPaths: Record<string, object> = {
  '/api/nettools/addresses': {
    get: {
      operationId: 'getNettoolsAddresses',
      summary: "The hub's host name and IP addresses (what to type into the Pico's code)",
      responses: {
        '200': {
          description: 'Addresses',
          content: json({
            type: 'object',
            properties: {
              hostname: { type: 'string' },
              addresses: { type: 'array', items: { type: 'object', properties: { interface: { type: 'string' }, address: { type: 'string' }, family: { type: 'string', enum: ['IPv4', 'IPv6'] }, internal: { type: 'boolean' } } } },
            },
          }),
        },
        ...errors(),
      },
    },
  },
  '/api/nettools/sessions': {
    get: {
      operationId: 'listNettoolsSessions',
      summary: 'Network tools sessions run by the hub',
      responses: { '200': { description: 'Sessions', content: json({ type: 'object', properties: { sessions: { type: 'array', items: ref('NetSession') } } }) }, ...errors() },
    },
    post: {
      operationId: 'openNettoolsSession',
      summary: 'Open a session and start it (tcp-client/tls-client: host+port; tcp-server: localPort, 0 = any; udp: localPort, optional default host+port)',
      requestBody: {
        required: true,
        content: json({
          type: 'object',
          required: ['kind'],
          properties: {
            kind: { type: 'string', enum: ['tcp-client', 'tcp-server', 'udp', 'tls-client'] },
            name: { type: 'string', maxLength: 100 },
            host: { type: 'string' },
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            localPort: { type: 'integer', description: '0 or 1024-65535' },
            framing: { ...framing, default: 'lf' },
            fingerprint: { type: 'string', description: 'tls-client: pin the certificate (mismatch: state "failed", PL_ERR_TLS_FINGERPRINT_MISMATCH)' },
          },
        }),
      },
      responses: { '201': { description: 'The session, connecting, listening or bound', content: json(ref('NetSession')) }, ...errors(400, 409, 429) },
    },
  },
  '/api/nettools/sessions/{id}': {
    delete: { operationId: 'closeNettoolsSession', summary: 'Stop and forget a session (its log too)', parameters: [sessionId], responses: { '204': { description: 'Closed' }, ...errors(404) } },
  },
  '/api/nettools/sessions/{id}/start': {
    post: { operationId: 'startNettoolsSession', summary: 'Connect or listen again (the log is kept)', parameters: [sessionId], responses: { '200': sessionAnswer, ...errors(404, 409) } },
  },
  '/api/nettools/sessions/{id}/stop': {
    post: { operationId: 'stopNettoolsSession', summary: 'Disconnect or stop listening: the port is free when this answers; the log is kept', parameters: [sessionId], responses: { '200': sessionAnswer, ...errors(404) } },
  },
  '/api/nettools/sessions/{id}/send': {
    post: {
      operationId: 'sendNettools',
      summary: 'Send text or hex with a line ending, once or repeated by the hub (audited)',
      parameters: [sessionId],
      requestBody: {
        required: true,
        content: json({
          type: 'object',
          required: ['data'],
          properties: {
            data: { type: 'string' },
            encoding: { type: 'string', enum: ['text', 'hex'], default: 'text' },
            ending: { ...ending, default: 'none' },
            peer: { type: 'string', description: 'tcp-server: a peer id, or "all" (default)' },
            to: { type: 'string', description: 'udp: "host:port" (default: the session\'s host and port)' },
            repeat: { type: 'object', properties: { count: { type: 'integer', minimum: 1, maximum: 1000 }, intervalMs: { type: 'integer', minimum: 10, maximum: 3_600_000 } } },
          },
        }),
      },
      responses: {
        '200': { description: 'Bytes of one send; the repeat id when repeated', content: json({ type: 'object', properties: { bytes: { type: 'integer' }, repeat: { type: 'object', properties: { id: { type: 'string' } } } } }) },
        ...errors(400, 404, 409, 413, 503),
      },
    },
  },
  '/api/nettools/sessions/{id}/repeat/{repeatId}': {
    delete: {
      operationId: 'cancelNettoolsRepeat',
      summary: 'Cancel a repeat',
      parameters: [sessionId, { name: 'repeatId', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '204': { description: 'Cancelled' }, ...errors(404) },
    },
  },
  '/api/nettools/sessions/{id}/log': {
    get: {
      operationId: 'getNettoolsLog',
      summary: 'Log entries after a sequence number (at most nettools.logBytes are kept, oldest dropped first)',
      parameters: [sessionId, queryParam('after', 'Only entries with a larger seq (default 0: all)', { type: 'integer', minimum: 0 })],
      responses: {
        '200': { description: 'Entries', content: json({ type: 'object', properties: { entries: { type: 'array', items: ref('NetLogEntry') }, droppedEntries: { type: 'integer' } } }) },
        ...errors(400, 404),
      },
    },
    delete: { operationId: 'clearNettoolsLog', summary: "Clear a session's log", parameters: [sessionId], responses: { '204': { description: 'Cleared' }, ...errors(404) } },
  },
  '/api/nettools/messages': {
    get: {
      operationId: 'listSavedMessages',
      summary: 'Saved messages (kept in the store)',
      responses: { '200': { description: 'Messages', content: json({ type: 'object', properties: { messages: { type: 'array', items: ref('SavedMessage') } } }) }, ...errors() },
    },
    post: {
      operationId: 'saveMessage',
      summary: 'Save a message',
      requestBody: {
        required: true,
        content: json({
          type: 'object',
          required: ['name', 'data'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, data: { type: 'string' }, encoding: { type: 'string', enum: ['text', 'hex'], default: 'text' }, ending: { ...ending, default: 'none' } },
        }),
      },
      responses: { '201': { description: 'Saved', content: json(ref('SavedMessage')) }, ...errors(400, 429) },
    },
  },
  '/api/nettools/messages/{id}': {
    delete: {
      operationId: 'deleteSavedMessage',
      summary: 'Delete a saved message',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '204': { description: 'Deleted' }, ...errors(404) },
    },
  },
  '/api/nettools/stream': {
    get: {
      operationId: 'nettoolsStream',
      summary: 'WebSocket: network tools sessions live',
      description:
        'Upgrade to a WebSocket. Messages (JSON text): {"type":"hello","limits"} first, one {"type":"session","session"} per session, then ' +
        '{"type":"session","session"} on each change, {"type":"entry","session","entry"} per log entry, {"type":"closed","id"} when a session is deleted. ' +
        'A slow reader loses entries first (a gap in seq; re-read with GET …/log?after=); one that stops reading is closed (1013).',
      parameters: [queryParam('token', 'The API token, for clients that cannot set headers')],
      responses: { '101': { description: 'Switching to the WebSocket protocol' }, ...errors(426, 503) },
    },
  },
};
