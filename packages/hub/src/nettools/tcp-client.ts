/**
 * A TCP client session's socket (and a TLS client's, through tls-client.ts):
 * connect once, bounded in time; the peer closing the connection stops the session.
 */
import { connect as connectTcp } from 'node:net';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { connectFailed, connectTimedOut, hostPort } from '@picolink/nettools';
import { checkPeerCertificate, connectTlsSocket, readPin } from './tls-client.js';
import { MAX_QUEUED_SEND_BYTES, PauseTimers } from './transport.js';
import type { SendTarget, Transport, TransportEvents } from './transport.js';

/** How long a connect (and TLS handshake) may take, in ms. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface TcpClientOptions {
  host: string;
  port: number;
  /** Connect with TLS; `fingerprint` pins the certificate (any format the SDK reads). */
  tls?: { fingerprint?: string | undefined };
}

export class TcpClientTransport implements Transport {
  private socket: Socket | undefined;
  private stopping = false;
  private readonly pauses = new PauseTimers();
  fingerprint: string | undefined;

  constructor(
    private readonly options: TcpClientOptions,
    private readonly events: TransportEvents,
  ) {}

  private get target(): string {
    return hostPort(this.options.host, this.options.port);
  }

  start(): Promise<void> {
    this.stopping = false;
    const { host, port, tls } = this.options;
    const target = this.target;
    const pinned = readPin(tls?.fingerprint);
    return new Promise((resolve, reject) => {
      // The certificate is checked by fingerprint (or shown for the person to check), not by a CA.
      const socket = tls ? connectTlsSocket(host, port) : connectTcp({ host, port });
      this.socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => fail(connectTimedOut(target, CONNECT_TIMEOUT_MS)), CONNECT_TIMEOUT_MS);
      const fail = (err: PicolinkError): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const socketOnConnectError = (err: NodeJS.ErrnoException): void => {
        // Socket errors are E-codes (ECONNREFUSED, EAI_AGAIN); anything else is the TLS layer's.
        const socketError = /^E[A-Z_]+$/.test(err.code ?? '');
        fail(tls && !socketError ? new PicolinkError(ErrorCode.TLS_HANDSHAKE, `TLS handshake with ${target} failed: ${err.message}`) : connectFailed(target, err));
      };
      socket.once('error', socketOnConnectError);
      // Stopped while connecting: destroy() closes without an error.
      socket.once('close', () => fail(new PicolinkError(ErrorCode.CONNECTION_CLOSED, `stopped while connecting to ${target}`)));
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', socketOnConnectError);
        socket.removeAllListeners('close');
        if (tls) {
          try {
            this.fingerprint = checkPeerCertificate(socket as TLSSocket, pinned, target);
          } catch (err) {
            return fail(err as PicolinkError);
          }
        }
        this.attach(socket);
        resolve();
      });
    });
  }

  private attach(socket: Socket): void {
    const peer = hostPort(socket.remoteAddress ?? this.options.host, socket.remotePort ?? this.options.port);
    let error: PicolinkError | undefined;
    socket.on('data', (chunk: Buffer) =>
      this.events.data(chunk, peer, 'c', (ms) => this.pauses.pause(socket, ms)),
    );
    socket.on('error', (err) => {
      error = connectFailed(this.target, err);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      if (!this.stopping) this.events.ended(error ? 'connection lost' : 'closed by peer', error);
    });
  }

  send(bytes: Uint8Array, _target: SendTarget): string[] {
    const socket = this.socket;
    if (!socket || socket.destroyed || socket.connecting || !socket.writable) {
      throw new PicolinkError(ErrorCode.CONNECTION_CLOSED, `not connected to ${this.target}; press Connect (POST …/start) first`);
    }
    if (socket.writableLength > MAX_QUEUED_SEND_BYTES) {
      throw new PicolinkError(ErrorCode.BUSY, `${this.target} is not reading: ${socket.writableLength} bytes are waiting to be sent; try again later`);
    }
    socket.write(bytes);
    return [hostPort(socket.remoteAddress ?? this.options.host, socket.remotePort ?? this.options.port)];
  }

  stop(): Promise<void> {
    this.stopping = true;
    this.pauses.clear();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }
}
