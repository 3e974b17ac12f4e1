/**
 * A scripted hub for the dial-home tests: it listens on port 0 and hands each device
 * connection to the test as a LineClient, so the test plays the hub's part line by line.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { LineClient } from '@picolink/test-kit/line-client';
import type { Message } from '@picolink/test-kit/line-client';

export class HubStandIn {
  /** Every connection accepted so far. */
  readonly connections: LineClient[] = [];
  /** Times (performance.now()) at which connections arrived. */
  readonly arrivals: number[] = [];
  private waiting: Array<(client: LineClient) => void> = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private server: Server) {
    server.on('connection', this.serverOnConnection);
  }

  static async start(port = 0): Promise<HubStandIn> {
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return new HubStandIn(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The next connection to arrive (or the oldest one not yet taken). */
  nextConnection(timeoutMs = 3000): Promise<LineClient> {
    const ready = this.connections[this.taken];
    if (ready) {
      this.taken += 1;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((client) => {
        clearTimeout(timer);
        resolve(client);
      });
    });
  }

  /** Waits for the next connection's hello and answers it with a welcome; returns the connection and the hello. */
  async acceptDevice(welcome: { serverTime?: number; heartbeatMs?: number; config?: Record<string, unknown> } = {}): Promise<{ link: LineClient; hello: Message }> {
    const link = await this.nextConnection();
    const hello = await link.next((m) => m.action === 'hello');
    const { token: _token, ...echo } = hello;
    link.send({ ...echo, ok: true, time_received: Date.now() * 1e6, server_time: welcome.serverTime ?? Date.now(), heartbeat_ms: welcome.heartbeatMs ?? 15000, config: welcome.config ?? {} });
    return { link, hello };
  }

  /** Stops listening and drops every connection (a hub that went away). */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private taken = 0;

  private readonly serverOnConnection = (socket: Socket): void => {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const client = LineClient.accept(socket);
    this.connections.push(client);
    this.arrivals.push(performance.now());
    const waiter = this.waiting.shift();
    if (waiter) {
      this.taken += 1;
      waiter(client);
    }
  };
}
