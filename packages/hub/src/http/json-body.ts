/**
 * Request bodies: JSON only, read through the protocol's bounded parser. Fastify's own
 * parser would build any nesting the text holds, and a deep one overflows the stack of
 * whatever walks it next (validation, the audit log, the echo in an error response), so a
 * body past the protocol's shape limits (32 levels, 4096 values) is refused before
 * parsing with 400 PL_ERR_JSON_TOO_COMPLEX; bad JSON is 400 PL_ERR_BAD_JSON, bytes that
 * are not UTF-8 400 PL_ERR_BAD_UTF8. Keys such as `__proto__` stay ordinary own
 * properties (JSON.parse never sets a prototype), so they reach validation, which refuses
 * fields a request does not take, as it does on a device's TCP port.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode, parseBoundedJson, PicolinkError, toPicolinkError } from '@picolink/protocol';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text; PL_ERR_BAD_UTF8 when it is not UTF-8. */
function bodyText(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new PicolinkError(ErrorCode.BAD_UTF8, 'the request body is not valid UTF-8; send JSON text encoded as UTF-8');
  }
}

function jsonBodyOnParse(_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  let parsed: unknown;
  try {
    parsed = parseBoundedJson(bodyText(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')));
  } catch (err) {
    const coded = toPicolinkError(err);
    done(new PicolinkError(coded.code, `the request body: ${coded.message}`));
    return;
  }
  done(null, parsed);
}

/** Replaces fastify's JSON parser with the bounded one and refuses any other body type. */
export function registerJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonBodyOnParse);
}
