/**
 * Real parts for the HTTP API tests: a hub from startHub with every port 0 on 127.0.0.1
 * and its SQLite file in a fresh temp directory, a fetch that carries the token, UDP
 * telemetry sent from a real socket, and WebSocket clients that keep what they receive.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTelemetry } from '@picolink/protocol';
import type { TelemetryDatagram } from '@picolink/protocol';
import { WebSocket } from 'ws';
import { parseConfig } from '../src/config.js';
import type { HubConfig } from '../src/config.js';
import { startHub } from '../src/hub.js';
import type { RunningHub, StartHubOptions } from '../src/hub.js';

/** Polls `condition` every 10 ms for at most `ms`. */
export async function until<T>(condition: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function tempDir(prefix = 'picolink-hub-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A configuration on 127.0.0.1 with free ports; `raw` is merged in (sections shallowly). */
export function testConfig(dataDir: string, raw: Record<string, unknown> = {}): HubConfig {
  const section = (name: string, defaults: Record<string, unknown>): Record<string, unknown> => ({ ...defaults, ...(raw[name] as Record<string, unknown> | undefined) });
  return parseConfig({
    ...raw,
    dataDir,
    http: section('http', { host: '127.0.0.1', port: 0 }),
    gateway: section('gateway', { host: '127.0.0.1', port: 0, heartbeatMs: 1000 }),
    telemetry: section('telemetry', { host: '127.0.0.1', port: 0 }),
  });
}

export interface TestHub {
  hub: RunningHub;
  dir: string;
  /** fetch(hub URL + path) with the token (unless `token` is given: null sends none). */
  api(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /** GET path, expecting 200 JSON. */
  json<T = Record<string, unknown>>(path: string): Promise<T>;
  /** POST a JSON body. */
  post(path: string, body: unknown): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestHub(raw: Record<string, unknown> = {}, options: Partial<StartHubOptions> = {}): Promise<TestHub> {
  const dir = tempDir();
  const lines: string[] = [];
  let hub: RunningHub;
  try {
    hub = await startHub({ config: testConfig(dir.path, raw), log: (line) => lines.push(line), ...options });
  } catch (err) {
    dir.remove();
    throw err;
  }
  const api = (path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> => {
    const { token: given, ...rest } = init;
    const token = given === undefined ? hub.token : given;
    const headers = new Headers(rest.headers);
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    return fetch(hub.httpUrl + path, { ...rest, headers });
  };
  return {
    hub,
    dir: dir.path,
    api,
    json: async <T>(path: string): Promise<T> => {
      const response = await api(path);
      const text = await response.text();
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${text}`);
      return JSON.parse(text) as T;
    },
    post: (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    close: async () => {
      try {
        await hub.close();
      } finally {
        dir.remove();
      }
    },
  };
}

/** Sends telemetry datagrams from a real UDP socket to the hub's telemetry port. */
export async function sendTelemetry(port: number, datagrams: readonly TelemetryDatagram[], sign?: (text: string) => string): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (const datagram of datagrams) {
      await new Promise<void>((resolve, reject) => socket.send(encodeTelemetry(datagram, sign), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    }
  } finally {
    socket.close();
  }
}

/** A WebSocket client that keeps every JSON message it receives. */
export class JsonSocket {
  readonly messages: Array<Record<string, unknown>> = [];
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.messages.push(JSON.parse(String(data)) as Record<string, unknown>));
    ws.on('close', (code) => (this.closeCode = code));
  }

  /** Opens `url`; resolves once the first message (the hub's `subscribed`) has arrived. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<JsonSocket> {
    const ws = new WebSocket(url, { headers });
    const socket = new JsonSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await until(() => socket.messages.length > 0, 'first message');
    return socket;
  }

  find(predicate: (message: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
    return this.messages.find(predicate);
  }

  close(): void {
    this.ws.close();
  }
}

/** The `{ status, body }` of a refused WebSocket upgrade. */
export function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
  });
}
