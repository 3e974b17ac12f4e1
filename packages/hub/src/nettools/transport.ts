/**
 * What a session needs from its sockets, whatever the kind: start (connect, listen or
 * bind), stop (every socket closed, the port free), send, and events for what arrives.
 */
import type { PicolinkError } from '@picolink/protocol';
import type { PeerInfo } from '@picolink/nettools/core';

export interface TransportEvents {
  /**
   * Bytes from `peer` ("addr:port"); `stream` keys the framer (a TCP connection, or each
   * datagram alone for UDP: undefined). `pause(ms)` stops reading that peer for a while
   * (TCP only), so a flooding sender is pushed back by the kernel.
   */
  data(bytes: Buffer, peer: string, stream: string | undefined, pause?: (ms: number) => void): void;
  /** A state line for the log ("peer p1 connected from …"). */
  info(text: string): void;
  /** The connection ended on its own (the peer closed it, or an error): the session stops. */
  ended(reason: string, error?: PicolinkError): void;
  /** The list of peers changed (tcp-server). */
  peersChanged(): void;
}

export interface SendTarget {
  /** tcp-server: a peer id or "all". */
  peer?: string;
  /** udp: "host:port". */
  to?: { host: string; port: number };
}

export interface Transport {
  /** Connects, listens or binds; rejects with a coded error (the session fails). */
  start(): Promise<void>;
  /** Closes every socket; resolves when the port is free. Safe to call twice. */
  stop(): Promise<void>;
  /** Sends now; throws PL_ERR_CONNECTION_CLOSED when there is nobody to send to. Returns the peers written to. */
  send(bytes: Uint8Array, target: SendTarget): string[];
  readonly localPort?: number | undefined;
  readonly fingerprint?: string | undefined;
  readonly peers?: PeerInfo[] | undefined;
}

/** Bytes queued for one peer that is not reading before further sends are refused. */
export const MAX_QUEUED_SEND_BYTES = 4 * 1024 * 1024;

/**
 * Pauses sockets that flood for a while and resumes them, keeping the timers so that a
 * stop clears them all.
 */
export class PauseTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Stops reading `socket` for `ms`. */
  pause(socket: { pause(): unknown; resume(): unknown; isPaused(): boolean; destroyed: boolean }, ms: number): void {
    if (socket.isPaused()) return;
    socket.pause();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!socket.destroyed) socket.resume();
    }, ms);
    this.timers.add(timer);
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
