/**
 * `UdpClient`: send datagrams to one server and read replies without ever waiting for
 * one, as the embassy-net tutorial's device does: `poll()` returns a reply that already
 * arrived, or nothing. A lost datagram or reply costs nothing but that reading.
 *
 * Replies wait in a bounded queue; when it is full the oldest is dropped and counted.
 */
import type { Socket } from 'node:dgram';
import type { PicolinkError } from '@picolink/protocol';
import { utf8 } from '../core/delimiter.js';
import { connectFailed, connectUdp, hostPort, udpPortUnreachable } from '@picolink/net';

export interface Datagram {
  /** The bytes received. */
  data: Uint8Array;
  /** The bytes as UTF-8 text. */
  text: string;
  /** When it arrived, in ms since the epoch. */
  time: number;
}

export interface UdpClientOptions {
  /** Replies kept until read; beyond it the oldest is dropped. Default 64. */
  maxQueued?: number;
}

export class UdpClient {
  /** Replies dropped because nobody read them in time. */
  dropped = 0;
  /**
   * Set when the server's host answered "port unreachable" (nothing listens there); the
   * next send clears it. `PL_ERR_CONNECT_FAILED`.
   */
  unreachable: PicolinkError | undefined;
  private readonly queue: Datagram[] = [];
  private waiter: ((datagram: Datagram | undefined) => void) | undefined;
  private readonly decoder = new TextDecoder('utf-8');

  private constructor(
    private readonly socket: Socket,
    readonly target: string,
    private readonly maxQueued: number,
  ) {
    socket.on('message', (data: Buffer) => this.onMessage(data));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // On a connected UDP socket Linux reports an ICMP "port unreachable" as ECONNREFUSED.
      this.unreachable = err.code === 'ECONNREFUSED' ? udpPortUnreachable(this.target) : connectFailed(this.target, err);
    });
  }

  /** A socket that sends to and receives from `host:port` only. Rejects with `PL_ERR_CONNECT_FAILED` for an unknown host. */
  static async open(host: string, port: number, options: UdpClientOptions = {}): Promise<UdpClient> {
    const socket = await connectUdp(host, port);
    return new UdpClient(socket, hostPort(host, port), options.maxQueued ?? 64);
  }

  /** Sends one datagram. Never waits for the network. */
  send(message: string | Uint8Array): void {
    this.unreachable = undefined;
    this.socket.send(typeof message === 'string' ? utf8(message) : message);
  }

  /** A reply that has already arrived, oldest first, or undefined. Never waits. */
  poll(): Datagram | undefined {
    return this.queue.shift();
  }

  /** The next reply, waiting at most `timeoutMs`; undefined if none came. */
  receive(timeoutMs: number): Promise<Datagram | undefined> {
    const ready = this.queue.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = (datagram) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(datagram);
      };
    });
  }

  close(): Promise<void> {
    this.waiter?.(undefined);
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private onMessage(data: Buffer): void {
    const datagram: Datagram = { data, text: this.decoder.decode(data), time: Date.now() };
    if (this.waiter) return this.waiter(datagram);
    this.queue.push(datagram);
    if (this.queue.length > this.maxQueued) {
      this.queue.shift();
      this.dropped += 1;
    }
  }
}
