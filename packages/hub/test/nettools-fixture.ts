/**
 * Helpers for the network tools API tests: a hub whose sessions bind to 127.0.0.1, JSON
 * requests, session polling, and log entries decoded from base64.
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { startTestHub, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';

export interface NetEntry {
  seq: number;
  t: number;
  dir: 'in' | 'out' | 'info';
  peer?: string;
  data: string;
}

export interface NetSessionInfo {
  id: string;
  kind: string;
  state: string;
  localPort?: number;
  peers?: Array<{ id: string; address: string }>;
  bytesIn: number;
  droppedBytes: number;
  droppedEntries: number;
  repeats: Array<{ id: string; remaining: number }>;
  fingerprint?: string;
  error?: { code: string; message: string };
}

export async function startNetHub(nettools: Record<string, unknown> = {}): Promise<TestHub> {
  return startTestHub({ nettools: { bindHost: '127.0.0.1', ...nettools } });
}

export async function call(hub: TestHub, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await hub.api(path, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export async function open(hub: TestHub, body: Record<string, unknown>): Promise<NetSessionInfo> {
  const answer = await call(hub, 'POST', '/api/nettools/sessions', body);
  if (answer.status !== 201) throw new Error(`open: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as unknown as NetSessionInfo;
}

export async function session(hub: TestHub, id: string): Promise<NetSessionInfo> {
  const { sessions } = await hub.json<{ sessions: NetSessionInfo[] }>('/api/nettools/sessions');
  const found = sessions.find((s) => s.id === id);
  if (!found) throw new Error(`no session ${id}`);
  return found;
}

export function untilState(hub: TestHub, id: string, state: string, ms = 5000): Promise<NetSessionInfo> {
  return until(async () => {
    const s = await session(hub, id);
    return s.state === state ? s : undefined;
  }, `session ${id} ${state}`, ms);
}

export async function entries(hub: TestHub, id: string, after = 0): Promise<NetEntry[]> {
  return (await hub.json<{ entries: NetEntry[] }>(`/api/nettools/sessions/${id}/log?after=${after}`)).entries;
}

/** The entry's bytes as latin1 text; an info line's text as it is. */
export function textOf(entry: NetEntry): string {
  return entry.dir === 'info' ? entry.data : Buffer.from(entry.data, 'base64').toString('latin1');
}

/** Waits for an entry of `dir` whose text is `text`. */
export function untilEntry(hub: TestHub, id: string, dir: NetEntry['dir'], text: string | RegExp, ms = 5000): Promise<NetEntry> {
  return until(async () => (await entries(hub, id)).find((e) => e.dir === dir && (typeof text === 'string' ? textOf(e) === text : text.test(textOf(e)))), `${dir} entry ${String(text)}`, ms);
}

/** A TCP client socket on 127.0.0.1, connected. */
export function connectLocal(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Collects what a socket receives as latin1 text. */
export function collect(socket: Socket): { text: () => string } {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  return { text: () => received };
}

/** A TCP server on 127.0.0.1:0 calling `onSocket` per connection. */
export function localServer(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number; sockets: Socket[]; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        port: (server.address() as { port: number }).port,
        sockets,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}
