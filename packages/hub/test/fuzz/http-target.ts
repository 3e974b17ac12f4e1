/**
 * The hub's HTTP API as a fuzz target (docs/fuzzing.md): raw requests from
 * http-requests.ts, one per TCP connection (each asks the server to close after
 * answering). The oracle: an answer comes (unless
 * the request's body was cut short, when closing without one is fair), no 500, JSON error
 * bodies carry a known code, and no request naming a foreign Host — or upgrading with an
 * Origin on another host — is served (DNS rebinding, docs/hub.md#auth).
 */
import { connect } from 'node:net';
import { errorShapeProblem, excerpt, fuzzHttpRequest } from '@picolink/test-kit/fuzz';
import type { FuzzHttpRequest, FuzzProblem, FuzzSession, FuzzTarget, HttpFuzzContext, TargetProcess } from '@picolink/test-kit/fuzz';
import { PROBE_DEVICE } from './hub-process.js';
import { hubProbe, hubRequestSeeds } from './hub-probe.js';
import { startHubTarget } from './hub-start.js';

/** How long one exchange may take before it counts as unanswered, in ms. */
const EXCHANGE_TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** How long an accepted WebSocket is kept, for its first message, in ms. */
const UPGRADED_WAIT_MS = 50;

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/**
 * Sends the request on a new connection; resolves with everything received until the
 * server closed it. A complete request is left to the server to close (`Connection:
 * close`): half-closing first would let Node's HTTP server end the connection before a
 * slow answer (a command to the device) is written. An incomplete one is half-closed, so
 * the server does not wait for the rest. An accepted upgrade is closed by us, a moment
 * after its 101, since a WebSocket stays open.
 */
function exchange(port: number, request: FuzzHttpRequest): Promise<{ received: Buffer; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let upgraded = false;
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, EXCHANGE_TIMEOUT_MS);
    socket.once('connect', () => (request.complete ? socket.write(request.bytes) : socket.end(request.bytes)));
    socket.on('data', (chunk: Buffer) => {
      if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
      size += chunk.length;
      if (!upgraded && chunks[0]?.subarray(0, 12).toString('latin1') === 'HTTP/1.1 101') {
        upgraded = true;
        setTimeout(() => socket.destroy(), UPGRADED_WAIT_MS);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // Refused means the hub is gone: the campaign sees the death. A reset after an answer is fine.
      if (err.code === 'ECONNREFUSED') {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), timedOut });
    });
  });
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = body.indexOf('\r\n', at);
    if (end === -1) break;
    const size = parseInt(body.subarray(at, end).toString('latin1'), 16);
    if (!Number.isFinite(size) || size <= 0) break;
    parts.push(body.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parseResponse(raw: Buffer): RawResponse | undefined {
  const response = parseOneResponse(raw);
  // "100 Continue" (to Expect: 100-continue) comes before the real answer.
  if (response?.status === 100) return parseOneResponse(response.rest);
  return response;
}

function parseOneResponse(raw: Buffer): (RawResponse & { rest: Buffer }) | undefined {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const [statusLine, ...headerLines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!match) return undefined;
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const rest = raw.subarray(headEnd + 4);
  let body = rest;
  // The length, when given, ends the body: what follows may be an answer to the rest of a lying request.
  const length = Number(headers.get('content-length'));
  if (Number.isInteger(length) && length >= 0) body = rest.subarray(0, length);
  else if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') body = dechunk(rest);
  const status = Number(match[1]);
  // An interim answer (1xx) has no body: all that follows is the next answer.
  if (status < 200) return { status, headers, body: Buffer.alloc(0), rest };
  return { status, headers, body, rest: Buffer.alloc(0) };
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** What is wrong with the answer to `request`, if anything. */
export function httpAnswerProblem(request: FuzzHttpRequest, received: Buffer, timedOut: boolean): Omit<FuzzProblem, 'inputs'> | undefined {
  const sample = `${request.mutation} → ${excerpt(received, 300)}`;
  if (received.length === 0) {
    if (!request.complete) return undefined;
    return { kind: 'no answer', detail: timedOut ? `no answer within ${EXCHANGE_TIMEOUT_MS} ms` : 'closed without an answer', sample };
  }
  const response = parseResponse(received);
  if (!response) return { kind: 'bad answer', detail: 'not an HTTP response', sample };
  const { status, headers, body } = response;
  if (status === 101 && !request.upgrade) return { kind: 'bad answer', detail: '101 to a request that did not ask to upgrade', sample };
  if ((status < 300 || status === 101) && request.foreignHost) return { kind: 'foreign Host served', detail: `${status} to a request with Host "${request.host.replace(/\d+$/, 'PORT')}"`, sample };
  if (status === 101 && request.origin !== '' && hostOf(request.origin) !== request.host) return { kind: 'cross-origin upgrade', detail: `101 with Origin "${request.origin.replace(/\d+$/, 'PORT')}" and Host "${request.host.replace(/\d+$/, 'PORT')}"`, sample };
  if (status >= 500 && status !== 502 && status !== 503 && status !== 504) {
    let code = '';
    try {
      code = String((JSON.parse(body.toString('utf8')) as { code?: unknown }).code);
    } catch {
      code = 'no JSON body';
    }
    return { kind: 'server error', detail: `${status} ${code}`, sample };
  }
  if (status >= 400 && request.method !== 'HEAD' && (headers.get('content-type') ?? '').includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return { kind: 'bad answer', detail: `${status} with a body that is not JSON`, sample };
    }
    if (parsed === null || typeof parsed !== 'object') return { kind: 'bad answer', detail: `${status} with a JSON body that is not an object`, sample };
    const problem = errorShapeProblem({ ok: false, ...(parsed as Record<string, unknown>) });
    if (problem) return { kind: 'bad answer', detail: `${status}: ${problem}`, sample };
  }
  return undefined;
}

class HttpSession implements FuzzSession {
  private closed = false;

  constructor(
    private readonly target: TargetProcess,
    private readonly request: (index: number) => FuzzHttpRequest,
  ) {}

  async send(indices: readonly number[]): Promise<FuzzProblem[]> {
    const problems: FuzzProblem[] = [];
    for (const index of indices) {
      if (this.closed) throw new Error('session closed');
      const request = this.request(index);
      const { received, timedOut } = await exchange(this.target.port('httpPort'), request);
      if (received.length === 0 && !timedOut) {
        // A hub that is dying drops its connections a moment before its exit is seen: that is the death, not a missing answer.
        await Promise.race([this.target.exited, new Promise((resolve) => setTimeout(resolve, 200))]);
        if (!this.target.alive) throw new Error('the hub is gone');
      }
      const problem = httpAnswerProblem(request, received, timedOut);
      if (problem) problems.push({ ...problem, inputs: [index] });
    }
    return problems;
  }

  close(): void {
    this.closed = true;
  }
}

export function httpFuzzTarget(seed: number): FuzzTarget {
  const requests = hubRequestSeeds();
  let context: HttpFuzzContext | undefined;
  const request = (index: number): FuzzHttpRequest => fuzzHttpRequest(seed, index, context ?? { port: 0, token: null, deviceId: PROBE_DEVICE, requests });
  return {
    name: 'hub HTTP API',
    start: async () => {
      const target = await startHubTarget();
      context = { port: target.port('httpPort'), token: String(target.info.token), deviceId: PROBE_DEVICE, requests };
      return target;
    },
    open: async (target) => new HttpSession(target, request),
    probe: hubProbe,
    describe: (index) => request(index).mutation,
  };
}
