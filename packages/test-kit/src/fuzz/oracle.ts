/**
 * What the fuzzer accepts from a target. A reply line must be one JSON object; an error
 * (`ok: false`) must carry a human `error` and a known `PL_ERR_*` code. HTTP error bodies
 * in JSON must be `{error, code}` with a known code, and no status may be 500 (the hub
 * failing on input is a bug, even when it answers).
 */
import { isErrorCode } from '@picolink/protocol';

/** What is wrong with one reply line, or undefined when it is acceptable. */
export function replyLineProblem(line: string): string | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return 'reply is not JSON';
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return 'reply is not a JSON object';
  return errorShapeProblem(message as Record<string, unknown>);
}

/** For an error (`ok: false`, or an `error` beside a `code`): the code is known and `error` is text. */
export function errorShapeProblem(message: Record<string, unknown>): string | undefined {
  if ('ok' in message && typeof message.ok !== 'boolean') return '"ok" is not a boolean';
  if (message.ok === false || (message.ok === undefined && 'error' in message && !('action' in message))) {
    if (!isErrorCode(message.code)) return `error reply with unknown code ${excerpt(JSON.stringify(message.code) ?? 'undefined', 60)}`;
    if (typeof message.error !== 'string' || message.error === '') return `error reply ${String(message.code)} without a message`;
  }
  return undefined;
}

/** A short, printable excerpt of text or bytes for reports. */
export function excerpt(text: string | Uint8Array, max = 160): string {
  const s = typeof text === 'string' ? text : Buffer.from(text).toString('latin1');
  const shown = JSON.stringify(s.length > max ? s.slice(0, max) : s);
  return s.length > max ? `${shown}… (${s.length} chars)` : shown;
}
