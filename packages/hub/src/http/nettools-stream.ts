/**
 * `GET /api/nettools/stream` (WebSocket): the network tools sessions live. First a
 * `hello` with the limits, then one `session` message per session; afterwards `session`
 * on every change, `entry` for each log entry and `closed` when a session is deleted.
 *
 * A page that reads slowly loses log entries first (counted in the session's
 * `droppedEntries`; it sees a gap in `seq` and re-reads with GET …/log?after=), never
 * unbounded buffering; one that stops reading altogether (its buffer past
 * `maxStreamBufferedBytes`) is closed (1013), like /api/stream.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { NettoolsSessions } from '../nettools/registry.js';
import type { NettoolsEvent } from '@picolink/nettools/core';
import type { ApiContext } from './context.js';
import { SLOW_CLIENT_CLOSE_CODE } from './stream.js';
import { guardMessages } from './websocket.js';
import type { UpgradeRoute, WebSocketKeepAlive } from './websocket.js';

interface Client {
  ws: WebSocket;
  remote: string;
  unsubscribe: () => void;
}

export class NettoolsStream {
  private readonly clients = new Set<Client>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });

  constructor(
    private readonly ctx: ApiContext,
    private readonly nettools: NettoolsSessions,
    private readonly keepAlive: WebSocketKeepAlive,
  ) {}

  get route(): UpgradeRoute {
    return { path: '/api/nettools/stream', upgrade: (request, socket, head) => this.upgrade(request, socket, head) };
  }

  close(): void {
    for (const client of this.clients) {
      client.unsubscribe();
      client.ws.close(1001, 'the hub is shutting down');
    }
    this.clients.clear();
    this.wss.close();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.clients.size >= this.ctx.limits.maxStreamClients) {
      throw new PicolinkError(ErrorCode.TOO_MANY_CLIENTS, `the hub already serves ${this.clients.size} network tools streams, its limit; close one and try again`);
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const client: Client = { ws, remote: request.socket.remoteAddress ?? '?', unsubscribe: () => {} };
      this.clients.add(client);
      this.keepAlive.track(ws);
      ws.on('close', () => {
        client.unsubscribe();
        this.clients.delete(client);
      });
      guardMessages(ws, `network tools stream client ${client.remote}`, (line) => this.ctx.logLimited('nettools-stream', line), () => {});
      ws.on('error', () => ws.terminate());
      const { limits } = this.nettools;
      this.send(client, JSON.stringify({
        type: 'hello',
        limits: { maxSessions: limits.maxSessions, logBytes: limits.logBytes, maxRepeat: limits.maxRepeat, minIntervalMs: limits.minIntervalMs, maxSendBytes: limits.maxSendBytes, idleTimeoutMs: limits.idleTimeoutMs },
      }));
      for (const session of this.nettools.list()) this.send(client, JSON.stringify({ type: 'session', session }));
      client.unsubscribe = this.nettools.subscribe((event) => this.deliver(client, event));
    });
  }

  private deliver(client: Client, event: NettoolsEvent): void {
    const { ws } = client;
    if (ws.readyState !== ws.OPEN) return;
    const max = this.ctx.limits.maxStreamBufferedBytes;
    // Entries give way first (the page can re-read them); state must arrive or the socket goes.
    if (event.type === 'entry' && ws.bufferedAmount > max / 2) {
      const session = this.nettools.find(event.session);
      if (session) session.droppedForPages += 1;
      return;
    }
    this.send(client, JSON.stringify(event));
  }

  private send(client: Client, text: string): void {
    const { ws } = client;
    if (ws.bufferedAmount + text.length > this.ctx.limits.maxStreamBufferedBytes) {
      client.unsubscribe();
      this.clients.delete(client);
      this.ctx.logLimited('nettools-slow-client', `http: network tools stream client ${client.remote} dropped: more than ${this.ctx.limits.maxStreamBufferedBytes} bytes waiting (${ErrorCode.SLOW_CONSUMER})`);
      ws.close(SLOW_CLIENT_CLOSE_CODE);
      ws.terminate();
      return;
    }
    ws.send(text);
  }
}
