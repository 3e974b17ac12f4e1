/**
 * A deliberately small raw client: it writes bytes and reads newline-terminated JSON, with
 * no knowledge of the protocol beyond that. Used where the SDK would hide what is on the
 * wire (ids left out, bad input, half-closed sockets).
 */
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export type Message = Record<string, unknown>;

export class LineClient {
  /** Messages received that no waiter took. */
  readonly inbox: Message[] = [];
  readonly closed: Promise<void>;
  private buffer = '';
  private ended = false;
  private waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void; reject: (e: Error) => void }> = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.onText(text));
    socket.on('error', () => {
      // Resets are expected in several tests; `closed` reports the end.
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      this.ended = true;
      for (const w of this.waiters) w.reject(new Error(`connection closed; inbox: ${JSON.stringify(this.inbox)}`));
      this.waiters = [];
    });
  }

  /** A client over a socket that is already connected (e.g. one a test server accepted). */
  static wrap(socket: Socket): LineClient {
    return new LineClient(socket);
  }

  static connect(port: number, options: { tls?: boolean } = {}): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket: Socket = options.tls
        ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(new LineClient(socket)))
        : tcpConnect({ port, host: '127.0.0.1' }, () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a message as one line, or raw text/bytes as given. */
  send(message: Message | string | Uint8Array): void {
    this.socket.write(typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message) + '\n');
  }

  next(match: (m: Message) => boolean = () => true, timeoutMs = 3000): Promise<Message> {
    const index = this.inbox.findIndex(match);
    if (index !== -1) return Promise.resolve(this.inbox.splice(index, 1)[0] as Message);
    if (this.ended) return Promise.reject(new Error(`connection closed; inbox: ${JSON.stringify(this.inbox)}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching message within ${timeoutMs} ms; inbox: ${JSON.stringify(this.inbox).slice(0, 500)}`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (m: Message) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
    });
  }

  response(timeoutMs?: number): Promise<Message> {
    return this.next((m) => typeof m.ok === 'boolean', timeoutMs);
  }

  event(name: string, timeoutMs?: number): Promise<Message> {
    return this.next((m) => m.event === name, timeoutMs);
  }

  async request(message: Message, timeoutMs?: number): Promise<Message> {
    this.send(message);
    return this.response(timeoutMs);
  }

  /** True if the connection closes within `timeoutMs`. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  close(): void {
    this.socket.destroy();
  }

  private onText(text: string): void {
    this.buffer += text;
    for (;;) {
      const end = this.buffer.indexOf('\n');
      if (end === -1) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      if (line.trim() === '') continue;
      const message = JSON.parse(line) as Message;
      const waiter = this.waiters.find((w) => w.match(message));
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      } else {
        this.inbox.push(message);
      }
    }
  }
}

/** Connects and pings, retrying while the board restarts. */
export async function connectWhenUp(port: number, timeoutMs = 8000, options: { tls?: boolean } = {}): Promise<LineClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const client = await LineClient.connect(port, options);
      const reply = await client.request({ action: 'ping' }, 1000);
      if (reply.ok === true) return client;
      client.close();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await delay(50);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
