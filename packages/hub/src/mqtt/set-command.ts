/**
 * A `<prefix>/<device>/pin/<pin>/set` message as a protocol request, and the answers
 * published on `…/set/result` (docs/mqtt.md#set-commands). Pure: the bridge sends the
 * request and publishes the answer.
 *
 * Payloads: `ON`/`OFF`, `1`/`0`, `true`/`false` (any case, surrounding spaces ignored),
 * or JSON `{ "value": 1, "timeout": 5 }` where `value` takes the same words or numbers
 * and `timeout` (seconds) makes the write a lease that reverts when it ends.
 */
import { ErrorCode, PicolinkError, toPicolinkError, validateRequest } from '@picolink/protocol';

/** The longest set payload read; a longer one is answered PL_ERR_MESSAGE_TOO_LARGE. */
export const MAX_SET_PAYLOAD_BYTES = 1024;

const WORDS: ReadonlyMap<string, 0 | 1> = new Map([
  ['on', 1],
  ['off', 0],
  ['1', 1],
  ['0', 0],
  ['true', 1],
  ['false', 0],
]);

const EXPECTED = 'ON, OFF, 1, 0, true, false or JSON like {"value": 1, "timeout": 5}';

function level(value: unknown): 0 | 1 | undefined {
  if (value === 0 || value === 1) return value;
  if (value === true || value === false) return value ? 1 : 0;
  return typeof value === 'string' ? WORDS.get(value.trim().toLowerCase()) : undefined;
}

/** The level and lease (seconds) a payload asks for; throws a coded PicolinkError when it is not one. */
export function parseSetPayload(payload: Uint8Array): { value: 0 | 1; timeout?: unknown } {
  if (payload.byteLength > MAX_SET_PAYLOAD_BYTES) {
    throw new PicolinkError(ErrorCode.MESSAGE_TOO_LARGE, `a set payload of ${payload.byteLength} bytes is more than the ${MAX_SET_PAYLOAD_BYTES} read`);
  }
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8').trim();
  if (!text.startsWith('{')) {
    const value = level(text);
    if (value === undefined) throw new PicolinkError(ErrorCode.BAD_TYPE, `the set payload ${JSON.stringify(text.slice(0, 40))} is not ${EXPECTED}`);
    return { value };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PicolinkError(ErrorCode.BAD_JSON, `the set payload is not valid JSON; expected ${EXPECTED}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new PicolinkError(ErrorCode.NOT_OBJECT, `the set payload must be ${EXPECTED}`);
  const fields = parsed as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => key !== 'value' && key !== 'timeout');
  if (unknown.length > 0) throw new PicolinkError(ErrorCode.UNKNOWN_FIELD, `the set payload has unknown fields: ${unknown.join(', ')}; it takes "value" and "timeout"`);
  if (fields.value === undefined) throw new PicolinkError(ErrorCode.MISSING_FIELD, 'the set payload has no "value"');
  const value = level(fields.value);
  if (value === undefined) throw new PicolinkError(ErrorCode.BAD_TYPE, `"value" must be ON, OFF, 1, 0, true or false, not ${JSON.stringify(fields.value)}`);
  return fields.timeout === undefined ? { value } : { value, timeout: fields.timeout };
}

/** A pin as a topic level names it: "25" is GPIO 25 as the API's JSON 25 is; other text stays text. */
export function topicPin(pin: string): unknown {
  return /^\d{1,2}$/.test(pin) ? Number(pin) : pin;
}

/**
 * The write_pin request a set message asks for, validated as the API validates requests
 * (pin, range of the lease); throws a coded PicolinkError.
 */
export function setRequest(pin: string, payload: Uint8Array): Record<string, unknown> {
  const { value, timeout } = parseSetPayload(payload);
  const valid = validateRequest({ action: 'write_pin', pin: topicPin(pin), value, ...(timeout === undefined ? {} : { timeout }) });
  return { action: valid.action, ...valid.fields };
}

/** What `…/set/result` says after the device answered. */
export function resultFromResponse(request: Record<string, unknown>, response: Record<string, unknown>): Record<string, unknown> {
  const failed = response.ok === false || (response.ok === undefined && response.error !== undefined);
  if (failed) {
    return { ok: false, pin: request.pin, code: typeof response.code === 'string' ? response.code : ErrorCode.BAD_RESPONSE, error: String(response.error ?? 'the device refused the command') };
  }
  const result: Record<string, unknown> = { ok: true, pin: request.pin, value: request.value };
  for (const key of ['previous', 'reverts_to', 'lease_ms'] as const) {
    if (response[key] !== undefined) result[key] = response[key];
  }
  return result;
}

/** What `…/set/result` says when the command was refused or never answered. */
export function resultFromError(err: unknown, pin?: unknown): Record<string, unknown> {
  const coded = toPicolinkError(err);
  return { ok: false, ...(pin === undefined ? {} : { pin }), code: coded.code, error: coded.message };
}
