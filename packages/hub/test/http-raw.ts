/**
 * Raw HTTP for the hardening tests: requests written byte for byte on a loopback socket
 * (malformed request lines, any Host header, WebSocket upgrade headers), and the status
 * and coded body of the answer.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  /** The parsed JSON body, or null when there is none or it is not JSON. */
  body: { error?: unknown; code?: unknown } | null;
  /** Everything received, as latin1 text. */
  text: string;
}

/** Upgrade headers of a WebSocket handshake. */
export function upgradeHeaders(): Record<string, string> {
  return { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': randomBytes(16).toString('base64'), 'sec-websocket-version': '13' };
}

/**
 * Writes `request` (the whole text, or a request line plus headers) on a new connection
 * to 127.0.0.1:`port` and reads until the hub closes it (at most `timeoutMs`), or, for an
 * accepted WebSocket upgrade, until the end of the 101 head.
 */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // An accepted upgrade stays open: its head is the whole answer.
      const head = Buffer.concat(chunks).toString('latin1');
      if (head.startsWith('HTTP/1.1 101') && head.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const text = all.toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      const bodyText = all.subarray(all.indexOf('\r\n\r\n') + 4).toString('utf8');
      let body: RawAnswer['body'] = null;
      try {
        body = JSON.parse(bodyText) as RawAnswer['body'];
      } catch {
        body = null;
      }
      resolve({ status, body, text });
    });
    socket.write(request);
  });
}

/** A GET (or `method`) with the given headers and `Connection: close` unless upgrading. */
export function rawRequest(port: number, path: string, headers: Record<string, string | undefined>, method = 'GET', body?: Buffer | string): Promise<RawAnswer> {
  const lines = [`${method} ${path} HTTP/1.1`];
  const all: Record<string, string | undefined> = { host: `127.0.0.1:${port}`, ...headers };
  if (all.upgrade === undefined && all.connection === undefined) all.connection = 'close';
  if (body !== undefined) all['content-length'] = String(Buffer.byteLength(body));
  for (const [name, value] of Object.entries(all)) if (value !== undefined) lines.push(`${name}: ${value}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return rawExchange(port, body === undefined ? head : Buffer.concat([head, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]));
}
