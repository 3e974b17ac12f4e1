/**
 * A deliberately small raw client for the integration tests: it writes bytes and reads
 * newline-terminated JSON messages, with no knowledge of the protocol beyond that. Used
 * where the SDK would hide what is on the wire (ids left out, bad input, half-closed
 * sockets). The agent's tests use it too (`@picolink/test-kit/line-client`).
 */
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';

export type Message = Record<string, unknown>;

export interface LineClientOptions {
  /** Connect with TLS, accepting any certificate (the test checks the fingerprint itself). */
  tls?: boolean;
  /** How long `next()` and the calls built on it wait by default, in ms. Default 2000. */
  timeoutMs?: number;
}

export class LineClient {
  /** Every message received so far that no waiter took. */
  readonly inbox: Message[] = [];
  private buffer = '';
  private waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void; reject: (e: Error) => void }> = [];
  private ended = false;
  private readonly timeoutMs: number;
  readonly closed: Promise<void>;

  private constructor(
    readonly socket: Socket,
    options: LineClientOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.onText(text));
    socket.on('error', () => {
      // Resets are expected in several tests; `closed` reports the end.
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      this.ended = true;
      for (const waiter of this.waiters) waiter.reject(this.closedError());
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
    return new LineClient(socket, options);
  }

  /** Wraps a socket accepted by a test server (e.g. a stand-in hub a device dials). */
  static accept(socket: Socket, options: LineClientOptions = {}): LineClient {
    return new LineClient(socket, options);
  }

  /** Sends one message as a line, or raw text or bytes as given. */
  send(message: Message | string | Uint8Array): void {
    this.socket.write(typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message) + '\n');
  }

  /** The next message matching `match` (default: any), waiting up to `timeoutMs`. */
  next(match: (m: Message) => boolean = () => true, timeoutMs = this.timeoutMs): Promise<Message> {
    const index = this.inbox.findIndex(match);
    if (index !== -1) return Promise.resolve(this.inbox.splice(index, 1)[0] as Message);
    if (this.ended) return Promise.reject(this.closedError());
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

  private closedError(): Error {
    return new Error(`connection closed; inbox: ${JSON.stringify(this.inbox).slice(0, 500)}`);
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

export interface ConnectWhenUpOptions extends LineClientOptions {
  /** How long each attempt's ping may take, in ms. Default 500. */
  pingTimeoutMs?: number;
  /** Pause between attempts, in ms. Default 20. */
  retryMs?: number;
}

/** Connects and pings, retrying while the device is restarting (connections refused or dropped at once). */
export async function connectWhenUp(port: number, timeoutMs = 3000, options: ConnectWhenUpOptions = {}): Promise<LineClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const client = await LineClient.connect(port, options);
      const reply = await client.request({ action: 'ping' }, options.pingTimeoutMs ?? 500);
      if (reply.ok === true) return client;
      client.close();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await delay(options.retryMs ?? 20);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
