/**
 * Request validation (docs/protocol.md#requests): a parsed frame becomes a typed request,
 * or a coded error naming the first problem found.
 */
import { ACTIONS, COMMON_FIELDS, isActionName } from './actions.js';
import type { ActionName, ActionSpec, RequestFields } from './actions.js';
import { coerceField } from './coerce.js';
import { ErrorCode, PicolinkError } from './errors.js';

/** A request id: a string of at most 128 characters or a safe integer. */
export type RequestId = string | number;

export type ValidRequest = {
  [K in ActionName]: { action: K; id?: RequestId; fields: RequestFields[K] };
}[ActionName];

const COMMON: ReadonlySet<string> = new Set(COMMON_FIELDS);

/** Checks the `id` field; absent ids are allowed (piconetcontrol clients send none). */
export function readRequestId(frame: Record<string, unknown>): RequestId | undefined {
  const id = frame.id;
  if (id === undefined) return undefined;
  if (typeof id === 'string' && id.length <= 128) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  throw new PicolinkError(ErrorCode.BAD_TYPE, 'field "id" must be a string of at most 128 characters or an integer');
}

/**
 * Validates and coerces a request frame. Unknown fields, missing required fields and
 * values that cannot be coerced are errors; defaults are filled in.
 */
export function validateRequest(frame: Record<string, unknown>): ValidRequest {
  const id = readRequestId(frame);
  const action = frame.action;
  if (action === undefined) {
    throw new PicolinkError(ErrorCode.MISSING_FIELD, 'incomplete command, missing fields: action');
  }
  if (typeof action !== 'string' || !isActionName(action)) {
    const name = typeof action === 'string' ? action : JSON.stringify(action);
    throw new PicolinkError(ErrorCode.UNKNOWN_ACTION, `unknown action "${name}", use "list_actions" to list available actions`);
  }
  const spec: ActionSpec = ACTIONS[action];
  const fields: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const [name, field] of Object.entries(spec.fields)) {
    const raw = frame[name];
    if (raw === undefined || raw === null) {
      if (field.required) missing.push(name);
      else if (field.default !== undefined) fields[name] = field.default;
      continue;
    }
    fields[name] = coerceField(name, field.type, raw);
  }
  if (missing.length > 0) {
    throw new PicolinkError(ErrorCode.MISSING_FIELD, `incomplete command, missing fields: ${missing.join(', ')}`);
  }
  for (const name of Object.keys(frame)) {
    if (!COMMON.has(name) && !Object.prototype.hasOwnProperty.call(spec.fields, name)) {
      const known = Object.keys(spec.fields);
      const hint = known.length > 0 ? `; ${action} takes ${known.join(', ')}` : `; ${action} takes no fields`;
      throw new PicolinkError(ErrorCode.UNKNOWN_FIELD, `unknown field "${name}"${hint}`);
    }
  }
  const request = { action, fields } as ValidRequest;
  checkFieldCombinations(request);
  if (id !== undefined) request.id = id;
  return request;
}

/** Rules that involve more than one field; checked last (docs/protocol.md#validation). */
function checkFieldCombinations(request: ValidRequest): void {
  if (request.action === 'setup_pin' && request.fields.mode === 'input' && request.fields.safe !== undefined) {
    throw new PicolinkError(ErrorCode.FIELD_CONFLICT, 'field "safe" applies only to outputs; remove it or use mode "output"');
  }
  if (request.action === 'setup_pin' && request.fields.safe_after_ms !== undefined) {
    if (request.fields.mode === 'input') {
      throw new PicolinkError(ErrorCode.FIELD_CONFLICT, 'field "safe_after_ms" applies only to outputs; remove it or use mode "output"');
    }
    if (request.fields.safe === undefined) {
      throw new PicolinkError(ErrorCode.FIELD_CONFLICT, 'field "safe_after_ms" delays the safe value; give "safe" too, or remove it');
    }
  }
  if (request.action === 'update' && request.fields.sha256 !== undefined) {
    const hashes = request.fields.sha256;
    const missing = Object.keys(request.fields.files).filter((name) => !Object.prototype.hasOwnProperty.call(hashes, name));
    if (missing.length > 0) {
      throw new PicolinkError(
        ErrorCode.UPDATE_HASH,
        `field "sha256" has no digest for ${missing.join(', ')}; give one for every file or leave sha256 out`,
      );
    }
  }
}
