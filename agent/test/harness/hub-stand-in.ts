/**
 * A scripted hub for the dial-home tests: it listens on 127.0.0.1 port 0 (TCP, or TLS with
 * a given certificate) and hands each connection from the agent to the test as a
 * LineClient, so the test plays the hub's part line by line. It also keeps count of the
 * TCP connections and of every byte the agent sent, TLS or not, for tests that must see
 * that nothing was sent.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { LineClient } from './line-client.js';
import type { Message } from './line-client.js';

export class HubStandIn {
  private readonly arrived: LineClient[] = [];
  private waiting: Array<(link: LineClient) => void> = [];
  private readonly sockets = new Set<Socket>();
  private readonly bytes: Buffer[] = [];
  /** TCP connections accepted, including those whose TLS handshake failed. */
  connections = 0;

  private constructor(private readonly server: Server) {}

  static async start(tls?: { cert: string; key: string }): Promise<HubStandIn> {
    const server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }) : createServer();
    const hub = new HubStandIn(server);
    server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => hub.onConnection(socket));
    server.on('connection', (socket: Socket) => hub.onTcp(socket));
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return hub;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Everything the agent sent on any connection (decrypted, for TLS), as text. */
  get received(): string {
    return Buffer.concat(this.bytes).toString();
  }

  /** The next connection from the agent. */
  next(timeoutMs = 5000): Promise<LineClient> {
    const ready = this.arrived.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection from the agent within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((link) => {
        clearTimeout(timer);
        resolve(link);
      });
    });
  }

  /** Answers a hello with a welcome, as the hub does: the hello without its token, then the welcome fields. */
  static welcome(link: LineClient, hello: Message, fields: { serverTime?: number; heartbeatMs?: number } = {}): void {
    const { token: _token, ...echo } = hello;
    link.send({ ...echo, ok: true, time_received: Date.now() * 1e6, server_time: fields.serverTime ?? Date.now(), heartbeat_ms: fields.heartbeatMs ?? 15000, config: {} });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onTcp(socket: Socket): void {
    // Kept for close() too: a TLS connection whose handshake never ends would hold it up.
    this.connections++;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => this.bytes.push(chunk));
    const link = LineClient.wrap(socket);
    const waiter = this.waiting.shift();
    if (waiter) waiter(link);
    else this.arrived.push(link);
  }
}
