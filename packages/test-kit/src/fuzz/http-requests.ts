/**
 * Raw HTTP/1.1 requests for the hub's API, written byte by byte so that what no HTTP
 * client would send can be sent: any method, routes with malformed percent-encoding
 * (`/api/devices/%/link`), odd query strings, Host and Origin headers naming other sites
 * (DNS rebinding), WebSocket upgrade headers on every route, missing or wrong tokens,
 * bodies made of fuzzed frames, chunked bodies with bad chunk sizes, and lengths that
 * do not match. Each request asks the server to close the connection after answering.
 *
 * Bounds: a body is at most 1 MiB + 64 KiB (a little past the API's body limit), and
 * only about one request in 500 is that large.
 */
import { fuzzFrame } from './frames.js';
import { inputRandom } from './random.js';
import type { FuzzRandom } from './random.js';

export interface HttpFuzzContext {
  /** The hub's HTTP port (Host headers name it). */
  port: number;
  /** The API token, or null when auth is off. */
  token: string | null;
  /** A device the hub knows and has online. */
  deviceId: string;
  /** Requests to build bodies from. */
  requests: ReadonlyArray<Record<string, unknown>>;
}

export interface FuzzHttpRequest {
  index: number;
  /** Method, route template and notable headers, for reports. */
  mutation: string;
  bytes: Buffer;
  /** True when Host names neither a loopback address nor localhost (the hub must refuse it). */
  foreignHost: boolean;
  /** True when the request asks for a WebSocket upgrade. */
  upgrade: boolean;
  /** The Host header ('' when absent) and Origin header ('' when absent). */
  host: string;
  origin: string;
  /**
   * False when no answer is owed: the body is shorter than its length or chunk size says
   * (the server may wait for the rest, then close), or the method is CONNECT (which Node's
   * HTTP server hands to no route and closes).
   */
  complete: boolean;
  /** The method, as sent. */
  method: string;
}

const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT', 'get', 'G ET', 'PROPFIND', 'X'.repeat(40)];
const ROUTES = [
  '/api/health', '/api/devices', '/api/devices/{id}', '/api/devices/{id}/commands', '/api/devices/{id}/commands', '/api/devices/{id}/events',
  '/api/devices/{id}/telemetry', '/api/devices/{id}/telemetry.csv', '/api/devices/{id}/link', '/api/devices/{id}/link', '/api/stream', '/api/events',
  '/api/audit', '/api/openapi.json', '/', '/index.html', '/api', '/api/', '/api/../../etc/passwd', '//api//devices', '/api/devices/{id}/', '*',
  '/api/%', '/%', '/api/devices/{id}/link/%', 'http://127.0.0.1/api/health', '/api/devices/{id}?', '/api/stream/%2F',
];
const IDS = [
  '{device}', '{device}', 'pico-1', '%', '%zz', '%E0%A4%A', '%00', '..', '%2e%2e', 'x'.repeat(300), '%C0%AF', '__proto__', 'constructor',
  '', '%25', 'a%2Fb', '%FF%FE', '%F0%9F%98%80', '%ED%A0%80', 'sensor%20garden', '%u0041', 'prototype',
];
const QUERY_PARTS = [
  'token={token}', 'token=wrong', 'token=%', 'device=%', 'device={device}', 'device=__proto__', 'limit=-1', 'limit=1e309', 'limit=99999999999999999999',
  'limit=abc', 'from=abc', 'to=-1', 'from=1e400', 'since=%', 'types=%', 'types=telemetry', 'types=__proto__', 'metric=' + 'm'.repeat(500), 'metric=%ZZ',
  '__proto__[x]=1', 'constructor=1', 'a=1&a=2', 'x', '=', '&&&', '%', 'x=%E0%A4%A', 'device[]=1', 'limit=0', 'limit=1000000',
];
const HOSTS = ['{loopback}', '{loopback}', '{loopback}', 'localhost:{port}', '[::1]:{port}', 'rebind.example:{port}', 'rebind.example', 'attacker.test', '', '%', 'x'.repeat(300), '127.0.0.1:1', '127.0.0.1.nip.io:{port}'];
const ORIGINS = ['', '', '', 'http://127.0.0.1:{port}', 'http://rebind.example:{port}', 'null', 'garbage', '%', 'http://localhost:{port}', 'http://attacker.test'];
const CONTENT_TYPES = ['application/json', 'application/json', 'text/plain', '', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json;;;'];

function fill(template: string, ctx: HttpFuzzContext): string {
  return template.replaceAll('{device}', ctx.deviceId).replaceAll('{token}', ctx.token ?? '').replaceAll('{loopback}', `127.0.0.1:${ctx.port}`).replaceAll('{port}', String(ctx.port));
}

function body(rng: FuzzRandom, seed: number, index: number, ctx: HttpFuzzContext): [string, Buffer] {
  switch (rng.below(7)) {
    case 0: return ['empty', Buffer.alloc(0)];
    case 1: case 2: {
      // A fuzzed frame of its own, drawn from a stream of indices apart from the request's.
      const frame = fuzzFrame(seed ^ 0x4177, index, ctx.requests, { byteMutationRate: 0.2, oversizeRate: 0 });
      return [`frame:${frame.mutation}`, frame.bytes];
    }
    case 3: {
      const frames = Array.from({ length: rng.size(120) }, (_, i) => fuzzFrame(seed ^ 0x4177, index * 128 + i, ctx.requests, { byteMutationRate: 0, oversizeRate: 0 }).bytes);
      return ['list', Buffer.concat([Buffer.from('['), ...frames.flatMap((f, i) => (i === 0 ? [f] : [Buffer.from(','), f])), Buffer.from(']')])];
    }
    case 4: return ['deep', Buffer.from(`{"action":"ping","time_sent":${'['.repeat(rng.pick([40, 5000, 20000]))}1${']'.repeat(rng.pick([0, 5000, 20000]))}}`)];
    case 5: return ['valid', Buffer.from(JSON.stringify(rng.chance(0.5) ? { action: 'ping' } : [{ action: 'ping' }, { action: 'get_version' }]))];
    default: {
      const noise = Buffer.alloc(rng.chance(0.002) ? 1024 * 1024 + rng.below(65536) : rng.size(2048));
      for (let i = 0; i < noise.length; i++) noise[i] = rng.below(256);
      return ['garbage', noise];
    }
  }
}

/** Routes a client uses, with their methods: the well-formed requests go to these. */
const COHERENT_ROUTES: ReadonlyArray<[string, string]> = [
  ['POST', '/api/devices/{device}/commands'], ['POST', '/api/devices/{device}/commands'], ['POST', '/api/devices/{device}/commands'],
  ['GET', '/api/devices/{device}/telemetry'], ['GET', '/api/devices/{device}/telemetry.csv'], ['GET', '/api/devices/{device}/events'],
  ['GET', '/api/events'], ['GET', '/api/audit'], ['GET', '/api/devices/{device}'], ['GET', '/api/devices'], ['GET', '/api/health'],
];

/**
 * A request a client could send, but with a fuzzed body or query: right method, loopback
 * Host, the token, JSON content type and a true length, so that the input gets past the
 * HTTP layer to the hub's own code (body validation, the commands service, the device).
 */
function coherentRequest(rng: FuzzRandom, seed: number, index: number, ctx: HttpFuzzContext): FuzzHttpRequest {
  const [method, route] = rng.pick(COHERENT_ROUTES);
  let path = fill(route, ctx);
  if (method === 'GET' && rng.chance(0.7)) path += '?' + Array.from({ length: rng.size(4) }, () => fill(rng.pick(QUERY_PARTS), ctx)).join('&');
  const host = `127.0.0.1:${ctx.port}`;
  const headers = [`Host: ${host}`, 'Connection: close'];
  if (ctx.token !== null) headers.push(`Authorization: Bearer ${ctx.token}`);
  let payload: Buffer = Buffer.alloc(0);
  let kind = '';
  if (method === 'POST') {
    // A body of fuzzed frames, never random bytes: those stop at the JSON parser.
    let bytes: Buffer;
    do [kind, bytes] = body(rng, seed, index, ctx);
    while (kind === 'garbage' || kind === 'empty');
    payload = bytes;
    headers.push('Content-Type: application/json', `Content-Length: ${payload.length}`);
  }
  const head = `${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`;
  return {
    index,
    mutation: `well-formed ${method} ${route.split('{')[0]}${kind ? ` body:${kind}` : ''} path:${path.slice(0, 80)}`,
    bytes: Buffer.concat([Buffer.from(head, 'latin1'), payload]),
    foreignHost: false,
    upgrade: false,
    host,
    origin: '',
    complete: true,
    method,
  };
}

/** Request `index` of the campaign `seed`; the same arguments always give the same bytes. */
export function fuzzHttpRequest(seed: number, index: number, ctx: HttpFuzzContext): FuzzHttpRequest {
  const rng = inputRandom(seed, index);
  // A third are well-formed requests with fuzzed contents; the rest are malformed anywhere.
  if (rng.chance(0.35)) return coherentRequest(rng, seed, index, ctx);
  const method = rng.pick(METHODS);
  const route = rng.pick(ROUTES);
  let path = fill(route.replaceAll('{id}', rng.pick(IDS)), ctx);
  if (rng.chance(0.4)) path += '?' + Array.from({ length: rng.size(4) }, () => fill(rng.pick(QUERY_PARTS), ctx)).join('&');
  if (rng.chance(0.03)) path += '\u0000';
  const host = fill(rng.pick(HOSTS), ctx);
  const origin = fill(rng.pick(ORIGINS), ctx);
  const upgrade = rng.chance(route.includes('link') || route.includes('stream') ? 0.7 : 0.15);
  const headers: string[] = [];
  const sendHost = host !== '' || rng.chance(0.5);
  if (sendHost) headers.push(`Host: ${host}`);
  if (origin !== '') headers.push(`Origin: ${origin}`);
  const auth = rng.below(10);
  if (ctx.token !== null && auth < 7) headers.push(`Authorization: Bearer ${ctx.token}`);
  else if (auth === 7) headers.push('Authorization: Bearer wrong');
  else if (auth === 8) headers.push(rng.pick(['Authorization: Basic eDp5', 'Authorization: Bearer', 'Authorization: %', `Authorization: bearer ${ctx.token ?? ''}`]));
  if (upgrade) {
    headers.push('Upgrade: websocket', 'Connection: Upgrade');
    headers.push(`Sec-WebSocket-Key: ${rng.pick(['dGhlIHNhbXBsZSBub25jZQ==', 'dGhlIHNhbXBsZSBub25jZQ==', '', '%', 'short'])}`);
    headers.push(`Sec-WebSocket-Version: ${rng.pick(['13', '13', '8', 'x', ''])}`);
  } else {
    headers.push('Connection: close');
  }
  const parts = [`${method} ${route.split('{')[0]}`];
  let payload: Buffer = Buffer.alloc(0);
  let complete = true;
  if (method !== 'GET' || rng.chance(0.1)) {
    const [kind, bytes] = body(rng, seed, index, ctx);
    parts.push(`body:${kind}`);
    payload = bytes;
    const contentType = rng.pick(CONTENT_TYPES);
    if (contentType !== '') headers.push(`Content-Type: ${contentType}`);
    switch (rng.below(6)) {
      case 0: {
        // Chunked, sometimes with a chunk size that lies or is not hex.
        const size = rng.pick([payload.length.toString(16), payload.length.toString(16), 'zz', '-1', 'ffffffffffffffff', (payload.length + 10).toString(16)]);
        complete = size === payload.length.toString(16);
        headers.push('Transfer-Encoding: chunked');
        payload = Buffer.concat([Buffer.from(`${size}\r\n`), payload, Buffer.from('\r\n0\r\n\r\n')]);
        parts.push('chunked');
        break;
      }
      case 1:
        {
          const length = rng.pick([0, payload.length + 5, Math.max(0, payload.length - 1)]);
          headers.push(`Content-Length: ${length}`);
          complete = length <= payload.length;
        }
        parts.push('length-mismatch');
        break;
      case 2:
        headers.push(`Content-Length: ${rng.pick(['-1', 'abc', '1e3', '99999999999999999999', `${payload.length}, ${payload.length}`])}`);
        complete = false;
        parts.push('bad-length');
        break;
      default:
        headers.push(`Content-Length: ${payload.length}`);
    }
  }
  if (rng.chance(0.05)) headers.push(rng.pick(['X-Forwarded-Host: rebind.example', 'Expect: 100-continue', `X-Long: ${'h'.repeat(20000)}`, 'Bad Header: x', 'Content-Encoding: gzip', 'Accept-Encoding: *']));
  const foreignHost = sendHost && host !== '' && !/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host);
  if (foreignHost) parts.push(`host:${host.slice(0, 30)}`);
  if (origin !== '') parts.push(`origin:${origin.slice(0, 30)}`);
  if (upgrade) parts.push('upgrade');
  const version = rng.chance(0.97) ? 'HTTP/1.1' : rng.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/9', 'http/1.1']);
  const head = `${method} ${path} ${version}\r\n${headers.join('\r\n')}\r\n\r\n`;
  return { index, mutation: `${parts.join(' ')} path:${path.slice(0, 80)}`, bytes: Buffer.concat([Buffer.from(head, 'latin1'), payload]), foreignHost, upgrade, host: sendHost ? host : '', origin, complete: complete && method !== 'CONNECT', method };
}
