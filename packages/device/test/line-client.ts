/**
 * A deliberately small raw client for the integration tests: it writes bytes and reads
 * newline-terminated JSON messages, with no knowledge of the protocol beyond that.
 */
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';

export type Message = Record<string, unknown>;

export interface LineClientOptions {
  /** Connect with TLS, accepting any certificate (the test checks the fingerprint itself). */
  tls?: boolean;
}

export class LineClient {
  /** Every message received so far that no waiter took. */
  readonly inbox: Message[] = [];
  private buffer = '';
  private waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void; reject: (e: Error) => void }> = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.onText(text));
    socket.on('error', () => {
      // Resets are expected in several tests; `closed` reports the end.
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      this.ended = true;
      for (const waiter of this.waiters) waiter.reject(new Error('connection closed'));
      this.waiters = [];
    });
  }

  static async connect(port: number, options: LineClientOptions = {}): Promise<LineClient> {
    const socket: Socket = await new Promise((resolve, reject) => {
      if (options.tls) {
        const s: TLSSocket = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(s));
        s.once('error', reject);
      } else {
        const s = tcpConnect({ port, host: '127.0.0.1' }, () => resolve(s));
        s.once('error', reject);
      }
    });
    return new LineClient(socket);
  }

  /** Wraps a socket accepted by a test server (e.g. a stand-in hub a device dials). */
  static accept(socket: Socket): LineClient {
    return new LineClient(socket);
  }

  /** Sends one message as a line, or raw text as given. */
  send(message: Message | string): void {
    this.socket.write(typeof message === 'string' ? message : JSON.stringify(message) + '\n');
  }

  /** The next message matching `match` (default: any), waiting up to `timeoutMs`. */
  next(match: (m: Message) => boolean = () => true, timeoutMs = 2000): Promise<Message> {
    const index = this.inbox.findIndex(match);
    if (index !== -1) return Promise.resolve(this.inbox.splice(index, 1)[0] as Message);
    if (this.ended) return Promise.reject(new Error('connection closed'));
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

  /** The next response (a message with `ok`). */
  response(timeoutMs?: number): Promise<Message> {
    return this.next((m) => typeof m.ok === 'boolean', timeoutMs);
  }

  /** The next event named `name`. */
  event(name: string, timeoutMs?: number): Promise<Message> {
    return this.next((m) => m.event === name, timeoutMs);
  }

  /** Sends a request and waits for the next response. */
  async request(message: Message, timeoutMs?: number): Promise<Message> {
    this.send(message);
    return this.response(timeoutMs);
  }

  /** Resolves true if the connection closes within `timeoutMs`, false otherwise. */
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

/** Connects, retrying while the device is restarting (connections refused or dropped at once). */
export async function connectWhenUp(port: number, timeoutMs = 3000, options: LineClientOptions = {}): Promise<LineClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const client = await LineClient.connect(port, options);
      const reply = await client.request({ action: 'ping' }, 500);
      if (reply.ok === true) return client;
      client.close();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
