/**
 * Reading the URL of a request that fastify does not route (WebSocket upgrades). Anything
 * a client can put in a request line is read here without throwing anything but
 * PL_ERR_BAD_URL: `decodeURIComponent` throws a URIError on a lone `%` or on bytes that
 * are not UTF-8, and `new URL` throws on some absolute-form targets; either, uncaught in
 * the server's upgrade listener, would end the hub.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';

/** Longest path part echoed in an error message, in characters. */
const MAX_ECHO_CHARS = 120;

export interface RequestTarget {
  /** Path as sent, still percent-encoded ("/api/devices/pico%2D1/link"). */
  pathname: string;
  /** Query parameters, decoded (malformed escapes are kept as they are, never thrown). */
  query: URLSearchParams;
}

function echo(text: string): string {
  return JSON.stringify(text.length > MAX_ECHO_CHARS ? `${text.slice(0, MAX_ECHO_CHARS)}…` : text);
}

/** Splits a request target into its path and query; PL_ERR_BAD_URL when it is no URL at all. */
export function parseRequestTarget(rawUrl: string | undefined): RequestTarget {
  let url: URL;
  try {
    url = new URL(rawUrl ?? '/', 'http://hub');
  } catch {
    throw new PicolinkError(ErrorCode.BAD_URL, `the request target ${echo(rawUrl ?? '')} is not a URL path; send a path such as /api/stream`);
  }
  return { pathname: url.pathname, query: url.searchParams };
}

/** Decodes one percent-encoded path part; PL_ERR_BAD_URL instead of a URIError. */
export function decodePathPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new PicolinkError(
      ErrorCode.BAD_URL,
      `the path part ${echo(text)} is not valid percent-encoding; write "%" as %25 and other bytes as UTF-8 (encodeURIComponent does both)`,
    );
  }
}
