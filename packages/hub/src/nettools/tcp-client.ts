/**
 * A TCP or TLS client session's socket: connect once with @picolink/net (bounded in
 * time; with TLS the certificate is checked by its SHA-256 fingerprint when one is
 * pinned, else shown for the person to check: a board's certificate is self-signed, so
 * no CA vouches for it); the peer closing the connection stops the session.
 */
import type { Socket } from 'node:net';
import { connect, connectFailed, hostPort } from '@picolink/net';
import type { ConnectTlsOptions } from '@picolink/net';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
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
  /** Aborts the connect under way, if any. */
  private connecting: AbortController | undefined;
  private stopping = false;
  private readonly pauses = new PauseTimers();
  /** The certificate fingerprint the TLS peer presented. */
  fingerprint: string | undefined;

  constructor(
    private readonly options: TcpClientOptions,
    private readonly events: TransportEvents,
  ) {}

  private get target(): string {
    return hostPort(this.options.host, this.options.port);
  }

  async start(): Promise<void> {
    this.stopping = false;
    const { host, port, tls } = this.options;
    const connecting = new AbortController();
    this.connecting = connecting;
    let checks: ConnectTlsOptions | undefined;
    if (tls) {
      checks = { verifyPeer: (fingerprint) => void (this.fingerprint = fingerprint) };
      if (tls.fingerprint !== undefined) checks.fingerprint = tls.fingerprint;
    }
    try {
      const socket = await connect({ host, port, timeoutMs: CONNECT_TIMEOUT_MS, signal: connecting.signal, ...(checks ? { tls: checks } : {}) });
      this.socket = socket;
      this.attach(socket);
    } finally {
      if (this.connecting === connecting) this.connecting = undefined;
    }
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
    this.connecting?.abort();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }
}
