/**
 * The network tools API (docs/hub.md#network-tools-sessions): sessions run by the hub
 * (open, start, stop, close, send, repeat, log) and saved messages kept in the store.
 * Every open/start/stop/close/send is in the audit log (device id "nettools.<session>",
 * at most a 64-byte preview of what was sent).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isFingerprint } from '@picolink/client';
import { ErrorCode, PicolinkError, toPicolinkError } from '@picolink/protocol';
import { encodeSendInput, isFraming, isLineEnding, isSendEncoding, previewBytes } from '@picolink/nettools/core';
import type { Framing, LineEnding, SendEncoding } from '@picolink/nettools/core';
import type { NettoolsSessions, SessionSpec } from '../nettools/registry.js';
import { SESSION_KINDS } from '@picolink/nettools/core';
import type { SessionKind } from '@picolink/nettools/core';
import type { SavedMessage } from '../api-types.js';
import type { SavedMessageRecord } from '../store/store.js';
import { apiActor } from './commands.js';
import type { ApiContext } from './context.js';
import { errorBody } from './errors.js';

/** Bytes of a send shown in its audit record. */
const AUDIT_PREVIEW_BYTES = 64;
const MAX_NAME_CHARS = 100;
const MAX_HOST_CHARS = 253;

type Body = Record<string, unknown>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

function objectBody(body: unknown, what: string): Body {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new PicolinkError(ErrorCode.NOT_OBJECT, `${what} takes a JSON object`);
  return body as Body;
}

function onlyFields(body: Body, known: readonly string[], what: string): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) throw new PicolinkError(ErrorCode.UNKNOWN_FIELD, `${what} has no field "${key}"; its fields are ${known.join(', ')}`);
  }
}

function text(body: Body, key: string, max: number, required: boolean): string | undefined {
  const value = body[key];
  if (value === undefined) {
    if (required) throw new PicolinkError(ErrorCode.MISSING_FIELD, `"${key}" is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new PicolinkError(ErrorCode.BAD_TYPE, `"${key}" must be a string`);
  if (value.length > max || (required && value.length === 0)) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `"${key}" must be ${required ? '1' : '0'}-${max} characters`);
  return value;
}

function integer(body: Body, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new PicolinkError(ErrorCode.BAD_TYPE, `"${key}" must be a whole number`);
  if (value < min || value > max) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `"${key}" must be from ${min} to ${max}, got ${value}`);
  return value;
}

function choice<T extends string>(body: Body, key: string, is: (v: unknown) => v is T, names: string, fallback: T): T {
  const value = body[key];
  if (value === undefined) return fallback;
  if (!is(value)) throw new PicolinkError(ErrorCode.BAD_TYPE, `"${key}" must be one of ${names}`);
  return value;
}

const isKind = (v: unknown): v is SessionKind => typeof v === 'string' && (SESSION_KINDS as readonly string[]).includes(v);
const isEnding = (v: unknown): v is LineEnding => typeof v === 'string' && isLineEnding(v);

/** "host:port" (IPv6 in brackets) → parts; PL_ERR_BAD_TYPE otherwise. */
export function parseHostPort(value: string, key: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!match || host === undefined || port < 1 || port > 65535) throw new PicolinkError(ErrorCode.BAD_TYPE, `"${key}" must be "host:port" (IPv6 in brackets), got "${value}"`);
  return { host, port };
}

function parseOpen(raw: unknown): SessionSpec {
  const body = objectBody(raw, 'opening a session');
  onlyFields(body, ['kind', 'name', 'host', 'port', 'localPort', 'framing', 'fingerprint'], 'opening a session');
  if (body.kind === undefined) throw new PicolinkError(ErrorCode.MISSING_FIELD, `"kind" is required: one of ${SESSION_KINDS.join(', ')}`);
  const kind = choice(body, 'kind', isKind, SESSION_KINDS.join(', '), 'tcp-client');
  const framing: Framing = choice(body, 'framing', isFraming, 'none, lf, crlf, nul', 'lf');
  const client = kind === 'tcp-client' || kind === 'tls-client';
  const host = text(body, 'host', MAX_HOST_CHARS, client);
  const port = integer(body, 'port', 1, 65535);
  if (client && port === undefined) throw new PicolinkError(ErrorCode.MISSING_FIELD, `a ${kind} session needs "host" and "port"`);
  if (kind === 'udp' && (host === undefined) !== (port === undefined)) throw new PicolinkError(ErrorCode.FIELD_CONFLICT, 'a udp session takes "host" and "port" together (its default destination), or neither');
  if (kind === 'tcp-server' && (host !== undefined || port !== undefined)) throw new PicolinkError(ErrorCode.FIELD_CONFLICT, 'a tcp-server session takes "localPort", not "host" or "port"');
  const localPort = integer(body, 'localPort', 0, 65535);
  if (client && localPort !== undefined) throw new PicolinkError(ErrorCode.FIELD_CONFLICT, `a ${kind} session takes "host" and "port", not "localPort"`);
  if (kind === 'tcp-server' && localPort === undefined) throw new PicolinkError(ErrorCode.MISSING_FIELD, 'a tcp-server session needs "localPort" (0 for any free port)');
  const fingerprint = text(body, 'fingerprint', 200, false);
  if (fingerprint !== undefined && kind !== 'tls-client') throw new PicolinkError(ErrorCode.FIELD_CONFLICT, '"fingerprint" is for tls-client sessions');
  if (fingerprint !== undefined && !isFingerprint(fingerprint)) throw new PicolinkError(ErrorCode.BAD_TYPE, '"fingerprint" must be a SHA-256 certificate fingerprint: 64 hex digits, with or without colons');
  const target = host === undefined ? '' : ` ${host.includes(':') ? `[${host}]` : host}:${port}`;
  const name = text(body, 'name', MAX_NAME_CHARS, false) ?? (client || kind === 'udp' ? `${kind}${target}` : kind);
  return { kind, name, framing, host, port, localPort: kind === 'udp' ? (localPort ?? 0) : localPort, fingerprint };
}

interface SendBody {
  bytes: Uint8Array;
  encoding: SendEncoding;
  peer: string | undefined;
  to: { host: string; port: number } | undefined;
  repeat: { count: number; intervalMs: number } | undefined;
}

function parseSend(raw: unknown, limits: NettoolsSessions['limits']): SendBody {
  const body = objectBody(raw, 'a send');
  onlyFields(body, ['data', 'encoding', 'ending', 'peer', 'to', 'repeat'], 'a send');
  const data = text(body, 'data', limits.maxSendBytes * 3, false);
  if (data === undefined) throw new PicolinkError(ErrorCode.MISSING_FIELD, '"data" is required (text, or hex digits with "encoding": "hex")');
  const encoding = choice(body, 'encoding', isSendEncoding, 'text, hex', 'text');
  const ending = choice(body, 'ending', isEnding, 'none, lf, crlf, nul', 'none');
  const bytes = encodeSendInput(data, encoding, ending);
  if (bytes.length > limits.maxSendBytes) throw new PicolinkError(ErrorCode.FRAME_TOO_LARGE, `${bytes.length} bytes in one send; the limit is ${limits.maxSendBytes} ("nettools.maxSendBytes")`);
  const peer = text(body, 'peer', 32, false);
  const toText = text(body, 'to', MAX_HOST_CHARS + 8, false);
  let repeat: SendBody['repeat'];
  if (body.repeat !== undefined) {
    const r = objectBody(body.repeat, '"repeat"');
    onlyFields(r, ['count', 'intervalMs'], '"repeat"');
    const count = integer(r, 'count', 1, limits.maxRepeat);
    const intervalMs = integer(r, 'intervalMs', limits.minIntervalMs, 3_600_000);
    if (count === undefined || intervalMs === undefined) throw new PicolinkError(ErrorCode.MISSING_FIELD, '"repeat" needs "count" and "intervalMs"');
    repeat = { count, intervalMs };
  }
  return { bytes, encoding, peer, to: toText === undefined ? undefined : parseHostPort(toText, 'to'), repeat };
}

function parseMessage(raw: unknown, maxDataChars: number): Omit<SavedMessageRecord, 'id' | 'createdAt'> {
  const body = objectBody(raw, 'a saved message');
  onlyFields(body, ['name', 'data', 'encoding', 'ending'], 'a saved message');
  const name = text(body, 'name', MAX_NAME_CHARS, true) ?? '';
  const data = text(body, 'data', maxDataChars, false) ?? '';
  const encoding = choice(body, 'encoding', isSendEncoding, 'text, hex', 'text');
  const ending = choice(body, 'ending', isEnding, 'none, lf, crlf, nul', 'none');
  if (encoding === 'hex') encodeSendInput(data, 'hex', 'none');
  return { name, data, encoding, ending };
}

/** Start and stop take no body (or an empty object). */
function requireNoFields(body: unknown, what: string): void {
  onlyFields(objectBody(body, what), [], what);
}

/** The contract's statuses for these routes: nobody to send to, and a port in use, are 409. */
function sendCoded(reply: FastifyReply, err: unknown): FastifyReply {
  const coded = err instanceof PicolinkError ? err : undefined;
  if (coded && (coded.code === ErrorCode.CONNECTION_CLOSED || coded.code === ErrorCode.LISTEN_FAILED)) {
    return reply.code(409).type('application/json; charset=utf-8').send(errorBody(coded));
  }
  throw err;
}

export function registerNettoolsRoutes(app: FastifyInstance, ctx: ApiContext, nettools: NettoolsSessions): void {
  /** An audit record; a failure to write it is logged, not answered. */
  async function audit(request: FastifyRequest, sessionId: string, action: string, fields: Record<string, unknown>, result: string): Promise<void> {
    try {
      await ctx.store.insertAudit({ time: Date.now(), actor: apiActor(request), deviceId: `nettools.${sessionId}`, action, request: { action, ...fields }, result, response: null });
    } catch (err) {
      ctx.log(`http: cannot record ${action} of network tools session ${sessionId} in the audit log: ${(err as Error).message}`);
    }
  }

  /** Runs an audited action: the record says "ok" or the error code. */
  async function audited<T>(request: FastifyRequest, sessionId: string, action: string, fields: Record<string, unknown>, run: () => Promise<T> | T): Promise<T> {
    try {
      const value = await run();
      await audit(request, sessionId, action, fields, 'ok');
      return value;
    } catch (err) {
      await audit(request, sessionId, action, fields, toPicolinkError(err).code);
      throw err;
    }
  }

  app.get('/api/nettools/addresses', async function getNettoolsAddresses() {
    return nettools.addresses();
  });

  app.get('/api/nettools/sessions', async function listNettoolsSessions() {
    return { sessions: nettools.list() };
  });

  app.post('/api/nettools/sessions', async function openNettoolsSession(request: FastifyRequest, reply: FastifyReply) {
    const spec = parseOpen(request.body);
    const fields = { kind: spec.kind, name: spec.name, host: spec.host, port: spec.port, localPort: spec.localPort };
    let id = '-';
    try {
      const session = await nettools.open(spec);
      id = session.id;
      await audit(request, id, 'net_open', fields, 'ok');
      return reply.code(201).send(session.describe());
    } catch (err) {
      await audit(request, id, 'net_open', fields, toPicolinkError(err).code);
      return sendCoded(reply, err);
    }
  });

  app.post('/api/nettools/sessions/:id/send', async function sendNettools(request: IdRequest, reply: FastifyReply) {
    const { id } = request.params;
    const session = nettools.get(id);
    const body = parseSend(request.body, nettools.limits);
    const to = body.to ?? (session.spec.kind === 'udp' && session.spec.host !== undefined && session.spec.port !== undefined ? { host: session.spec.host, port: session.spec.port } : undefined);
    const target = { ...(body.peer === undefined ? {} : { peer: body.peer }), ...(to === undefined ? {} : { to }) };
    const preview = previewBytes(body.bytes.subarray(0, AUDIT_PREVIEW_BYTES), AUDIT_PREVIEW_BYTES);
    const fields = { bytes: body.bytes.length, preview, encoding: body.encoding, ...target, ...(body.repeat ? { repeat: body.repeat } : {}) };
    try {
      return await audited(request, id, 'net_send', fields, () => {
        session.takeSendRequest();
        if (body.repeat && body.repeat.count > 1 && session.repeats.list.length >= nettools.limits.maxRunningRepeats) {
          throw new PicolinkError(ErrorCode.RATE_LIMITED, `${nettools.limits.maxRunningRepeats} repeats are already running in this session ("nettools.maxRunningRepeats"); cancel one first`);
        }
        session.send(body.bytes, target);
        if (!body.repeat || body.repeat.count === 1) return { bytes: body.bytes.length };
        const repeatId = session.repeats.start(
          body.repeat.count,
          body.repeat.intervalMs,
          () => session.send(body.bytes, target),
          (err) => session.info(`repeat stopped: ${toPicolinkError(err).message}`),
        );
        return { bytes: body.bytes.length, repeat: { id: repeatId } };
      });
    } catch (err) {
      return sendCoded(reply, err);
    }
  });

  app.delete('/api/nettools/sessions/:id/repeat/:repeatId', async function cancelNettoolsRepeat(request: FastifyRequest<{ Params: { id: string; repeatId: string } }>, reply: FastifyReply) {
    const session = nettools.get(request.params.id);
    if (!session.repeats.cancel(request.params.repeatId)) {
      throw new PicolinkError(ErrorCode.NOT_FOUND, `no repeat "${request.params.repeatId}" is running in this session`);
    }
    return reply.code(204).send();
  });

  app.get('/api/nettools/sessions/:id/log', async function getNettoolsLog(request: FastifyRequest<{ Params: { id: string }; Querystring: { after?: string } }>) {
    const session = nettools.get(request.params.id);
    const raw = request.query.after;
    const after = raw === undefined ? 0 : Number(raw);
    if (typeof raw !== 'undefined' && (!/^\d{1,15}$/.test(raw) || !Number.isSafeInteger(after))) throw new PicolinkError(ErrorCode.BAD_TYPE, '"after" must be a sequence number (a whole number ≥ 0)');
    return { entries: session.log.after(after), droppedEntries: session.log.dropped + session.droppedForPages };
  });

  app.delete('/api/nettools/sessions/:id/log', async function clearNettoolsLog(request: IdRequest, reply: FastifyReply) {
    nettools.get(request.params.id).log.clear();
    return reply.code(204).send();
  });

  app.post('/api/nettools/sessions/:id/stop', async function stopNettoolsSession(request: IdRequest) {
    const { id } = request.params;
    requireNoFields(request.body, 'stop');
    return audited(request, id, 'net_stop', {}, async () => {
      const session = nettools.get(id);
      await session.stop();
      return session.describe();
    });
  });

  app.post('/api/nettools/sessions/:id/start', async function startNettoolsSession(request: IdRequest, reply: FastifyReply) {
    const { id } = request.params;
    requireNoFields(request.body, 'start');
    try {
      return await audited(request, id, 'net_start', {}, async () => {
        const session = nettools.get(id);
        try {
          await session.start();
        } catch (err) {
          // A client that cannot connect is a session in state "failed" with its error, as after opening;
          // a server whose port is taken is refused (409).
          if (session.spec.kind === 'tcp-server' || session.spec.kind === 'udp') throw err;
        }
        return session.describe();
      });
    } catch (err) {
      return sendCoded(reply, err);
    }
  });

  app.delete('/api/nettools/sessions/:id', async function closeNettoolsSession(request: IdRequest, reply: FastifyReply) {
    const { id } = request.params;
    await audited(request, id, 'net_close', {}, () => nettools.remove(id));
    return reply.code(204).send();
  });

  app.get('/api/nettools/messages', async function listSavedMessages() {
    const messages = await ctx.store.listSavedMessages();
    return { messages: messages.map(({ id, name, data, encoding, ending }): SavedMessage => ({ id, name, data, encoding, ending })) };
  });

  app.post('/api/nettools/messages', async function saveMessage(request: FastifyRequest, reply: FastifyReply) {
    const fields = parseMessage(request.body, nettools.limits.maxSendBytes * 3);
    const count = (await ctx.store.listSavedMessages()).length;
    if (count >= nettools.limits.maxSavedMessages) {
      throw new PicolinkError(ErrorCode.RATE_LIMITED, `${count} messages are saved, the limit ("nettools.maxSavedMessages"); delete one first`);
    }
    const message: SavedMessageRecord = { id: randomBytes(6).toString('hex'), ...fields, createdAt: Date.now() };
    await ctx.store.addSavedMessage(message);
    const { createdAt: _createdAt, ...answer } = message;
    return reply.code(201).send(answer);
  });

  app.delete('/api/nettools/messages/:id', async function deleteSavedMessage(request: IdRequest, reply: FastifyReply) {
    if (!(await ctx.store.removeSavedMessage(request.params.id))) throw new PicolinkError(ErrorCode.NOT_FOUND, `no saved message "${request.params.id}"`);
    return reply.code(204).send();
  });
}
