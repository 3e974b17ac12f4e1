/**
 * Deliberately plain peers for the integration tests: a TCP client that writes bytes and
 * collects what comes back, and a UDP socket that sends datagrams and waits for replies.
 * They know nothing of picolink.
 */
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';

/** Polls `check` every 5 ms until it is true; fails after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export class RawTcpClient {
  received = Buffer.alloc(0);
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    socket.on('error', () => {
      // Resets are part of several tests; `closed` tells the outcome.
    });
    socket.on('close', () => (this.closed = true));
  }

  static async connect(port: number): Promise<RawTcpClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawTcpClient(socket);
  }

  get text(): string {
    return this.received.toString('utf8');
  }

  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Waits until the received text contains `expected`. */
  async waitFor(expected: string, timeoutMs = 3000): Promise<void> {
    await until(() => this.text.includes(expected), `"${expected}" (got ${JSON.stringify(this.text.slice(-200))})`, timeoutMs);
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    await until(() => this.closed, 'the server to close the connection', timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

export class RawUdpPeer {
  readonly replies: Buffer[] = [];
  private constructor(readonly socket: UdpSocket) {
    socket.on('message', (data: Buffer) => this.replies.push(data));
  }

  static async open(): Promise<RawUdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new RawUdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(port: number, data: string | Uint8Array): void {
    this.socket.send(data, port, '127.0.0.1');
  }

  /**
   * Sends `data` until a reply equal to `expected` arrives (every 200 ms, as a UDP client
   * must: a datagram may be dropped when the receiver's buffer is full).
   */
  async exchange(port: number, data: string | Uint8Array, expected: string, timeoutMs = 3000): Promise<void> {
    this.send(port, data);
    const resend = setInterval(() => this.send(port, data), 200);
    try {
      await until(() => this.replies.some((r) => r.toString('utf8') === expected), `UDP reply "${expected}"`, timeoutMs);
    } finally {
      clearInterval(resend);
    }
  }

  close(): void {
    this.socket.close();
  }
}
