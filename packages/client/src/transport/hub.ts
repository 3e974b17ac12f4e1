/**
 * The `hub://HOST:PORT/devices/ID` transport: a WebSocket to the hub's device link
 * (`GET /api/devices/ID/link`, docs/hub.md#device-link) that carries protocol lines, one
 * frame per message. The hub answers the handshake for the device and forwards every
 * request to it, so the same {@link Device} API works through the hub. The hub refuses
 * the upgrade with an HTTP status and a `{ error, code }` body, which becomes the error
 * here (PL_ERR_UNAUTHORIZED, PL_ERR_UNKNOWN_DEVICE, PL_ERR_DEVICE_OFFLINE).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { DEFAULT_MAX_FRAME_BYTES, ErrorCode, isErrorCode, parseBoundedJson, PicolinkError } from '@picolink/protocol';
import { WebSocket } from 'ws';
import type { DeviceUrl } from '../url.js';
import { connectFailed, connectTimedOut } from '@picolink/net';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEVICE_CONNECT_HINT } from './transport.js';
import type { TransportOptions } from './transport.js';
import { WebSocketLineStream } from './websocket-stream.js';

/** Environment variable read for the hub's API token when no `token` option is given. */
export const HUB_TOKEN_ENV = 'PICOLINK_TOKEN';

/** Most bytes of a refusal's body read to find its error code. */
const MAX_REFUSAL_BYTES = 16 * 1024;

/** The path of a device's link on the hub. */
export function hubLinkPath(deviceId: string): string {
  return `/api/devices/${encodeURIComponent(deviceId)}/link`;
}

export function openHub(url: DeviceUrl, options: TransportOptions): Promise<Duplex> {
  const deviceId = url.deviceId;
  if (deviceId === undefined) return Promise.reject(new PicolinkError(ErrorCode.BAD_URL, `"${url.href}" names no device behind the hub`));
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const token = options.token ?? process.env[HUB_TOKEN_ENV];
  const headers: Record<string, string> = {};
  if (token !== undefined && token !== '') headers.authorization = `Bearer ${token}`;
  const target = `ws://${url.hostPort}${hubLinkPath(deviceId)}`;
  const where = `the hub at ${url.hostPort}`;

  return new Promise((resolve, reject) => {
    // The hub answers with frames of at most the device's frame size; leave room for the newline.
    const ws = new WebSocket(target, { headers, handshakeTimeout: timeoutMs, maxPayload: DEFAULT_MAX_FRAME_BYTES + 1, perMessageDeflate: false });
    let settled = false;

    function settle(err: PicolinkError | null): void {
      if (settled) return;
      settled = true;
      ws.off('open', wsOnOpen);
      ws.off('unexpected-response', wsOnUnexpectedResponse);
      if (err) {
        ws.off('error', wsOnError);
        // A late socket error after the refusal has nobody to go to.
        ws.on('error', () => {});
        ws.terminate();
        reject(err);
        return;
      }
      const stream = new WebSocketLineStream(ws);
      ws.off('error', wsOnError);
      resolve(stream);
    }
    function wsOnOpen(): void {
      settle(null);
    }
    function wsOnError(err: Error): void {
      if (/timed out/i.test(err.message)) return settle(connectTimedOut(url.hostPort, timeoutMs, DEVICE_CONNECT_HINT));
      settle(connectFailed(url.hostPort, err, DEVICE_CONNECT_HINT));
    }
    function wsOnUnexpectedResponse(_request: unknown, response: IncomingMessage): void {
      readRefusal(response, timeoutMs).then(
        (body) => settle(refusalError(where, deviceId as string, response.statusCode ?? 0, body)),
        () => settle(refusalError(where, deviceId as string, response.statusCode ?? 0, undefined)),
      );
    }

    ws.on('open', wsOnOpen);
    ws.on('error', wsOnError);
    ws.on('unexpected-response', wsOnUnexpectedResponse);
  });
}

function readRefusal(response: IncomingMessage, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => done(), timeoutMs);
    function done(): void {
      clearTimeout(timer);
      response.off('data', onData);
      response.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    }
    function onData(chunk: Buffer): void {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_REFUSAL_BYTES) done();
    }
    response.on('data', onData);
    response.once('end', done);
    response.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The hub's `{ error, code }` refusal as a coded error; a body without one is described by its status. */
function refusalError(where: string, deviceId: string, status: number, body: string | undefined): PicolinkError {
  let parsed: unknown;
  try {
    // Whatever answers on that port is not trusted yet: the same shape limits as a frame.
    parsed = body === undefined ? undefined : parseBoundedJson(body);
  } catch {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object') {
    const { error, code } = parsed as { error?: unknown; code?: unknown };
    if (isErrorCode(code) && typeof error === 'string') return new PicolinkError(code, `${where} refused the link to "${deviceId}": ${error}`);
  }
  if (status === 401) {
    return new PicolinkError(ErrorCode.UNAUTHORIZED, `${where} refused the link to "${deviceId}": the API token is missing or wrong; pass { token } (printed by picolink hub)`);
  }
  return new PicolinkError(
    ErrorCode.CONNECT_FAILED,
    `${where} answered HTTP ${status} instead of opening the link to "${deviceId}"; is it a picolink hub, and is the port its HTTP port?`,
  );
}
