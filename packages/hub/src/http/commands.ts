/**
 * `POST /api/devices/:id/commands`: one protocol request object, or a list of them, sent
 * to the device through the hub's commands service (which writes the audit log and keeps
 * the outputs it set). The answer is the device's own response (or the list of them, in
 * order), error responses included. Requests are validated first: one bad request and
 * nothing is sent (400 with its code and index). A device that only sends telemetry is
 * 409, one that is offline 503; a single request that got no answer has the status of its
 * failure (504 timeout, 502 link lost); in a list, such a request gets an error response
 * in its place.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorResponse, ErrorCode, PicolinkError, readRequestId, toPicolinkError, validateRequest } from '@picolink/protocol';
import type { ApiContext } from './context.js';
import { requireKnownDevice } from '../known-devices.js';
import { refuseTelemetryOnly } from './device-view.js';
import { sendError } from './errors.js';

type CommandsRequest = FastifyRequest<{ Params: { id: string }; Body: unknown }>;

/** Who sent a command, for the audit log. */
export function apiActor(request: FastifyRequest): string {
  return `api:${request.ip}`;
}

/** Checks the body's shape and every request in it; returns the requests as a list. */
export function parseCommands(body: unknown, max: number): { list: Array<Record<string, unknown>>; single: boolean } {
  const single = !Array.isArray(body);
  const list = single ? [body] : (body as unknown[]);
  if (list.length === 0) throw new PicolinkError(ErrorCode.MISSING_FIELD, 'the list of commands is empty; send at least one request object');
  if (list.length > max) {
    throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `${list.length} commands in one request is more than the ${max} allowed; split them`);
  }
  list.forEach((item, index) => {
    const where = single ? 'the command' : `command ${index}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new PicolinkError(ErrorCode.NOT_OBJECT, `${where} must be a JSON object like {"action": "ping"}`);
    }
    try {
      validateRequest(item as Record<string, unknown>);
    } catch (err) {
      const coded = toPicolinkError(err);
      throw new PicolinkError(coded.code, `${where}: ${coded.message}`);
    }
  });
  return { list: list as Array<Record<string, unknown>>, single };
}

/** One request's answer, and why it never reached the device when it did not. */
export interface Outcome {
  response: Record<string, unknown>;
  /** Set when the request never got an answer from the device (offline, timeout, link lost). */
  failure?: PicolinkError;
}

/**
 * Sends one validated request through the commands service on behalf of `actor`; the
 * response carries the caller's own `id` (or none), not the one the hub's link used. A
 * failure of the link becomes an error response for that request; a failure of the hub's
 * own is logged, and answered without its details.
 */
export async function sendForCaller(ctx: ApiContext, deviceId: string, request: Record<string, unknown>, actor: string): Promise<Outcome> {
  const callerId = readRequestId(request);
  const { id: _id, ...fields } = request;
  try {
    const response = await ctx.sendCommand(deviceId, fields, actor);
    const { id: _linkId, ...rest } = response;
    return { response: callerId === undefined ? rest : { id: callerId, ...rest } };
  } catch (err) {
    let failure = toPicolinkError(err);
    if (failure.code === ErrorCode.INTERNAL) {
      ctx.logLimited('http-internal', `http: command to "${deviceId}" failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      failure = new PicolinkError(ErrorCode.INTERNAL, 'the hub failed to send this command; see the hub log');
    }
    return { response: errorResponse(request, failure), failure };
  }
}

export function registerCommandRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/api/devices/:id/commands', async function postCommands(request: CommandsRequest, reply: FastifyReply) {
    const deviceId = request.params.id;
    // A device connected now needs no record from the store: commands to it keep working
    // while the database is unreachable (docs/scaling.md#when-the-database-restarts).
    if (!ctx.directory.isOnline(deviceId)) refuseTelemetryOnly(ctx, deviceId, await requireKnownDevice(ctx, deviceId));
    const { list, single } = parseCommands(request.body, ctx.limits.maxCommandsPerRequest);
    const actor = apiActor(request);
    // All sent at once: the link pipelines them and the device answers in order. An offline
    // device is refused by the commands service too, so the attempt is in the audit log.
    const outcomes = await Promise.all(list.map((item) => sendForCaller(ctx, deviceId, item, actor)));
    const first = outcomes[0] as Outcome;
    // One command that never reached the device: the status says why (503 offline, 504 timeout).
    if (single && first.failure) return sendError(reply, first.failure);
    if (outcomes.every((outcome) => outcome.failure?.code === ErrorCode.DEVICE_OFFLINE)) return sendError(reply, first.failure as PicolinkError);
    return single ? first.response : outcomes.map((outcome) => outcome.response);
  });
}
