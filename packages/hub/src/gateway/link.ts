/**
 * The hub's side of a dial-home connection as a DeviceLink: requests get ids assigned
 * here (integers from 1), are pipelined when the device announced "pipeline" (else one
 * at a time), time out one by one, and are matched to responses by id. A bounded number
 * may wait; beyond it a request is refused with PL_ERR_RATE_LIMITED at once.
 */
import { encodeFrame, ErrorCode, PicolinkError } from '@picolink/protocol';
import type { DeviceLink, LinkStats } from '../directory.js';

/** What a link needs from its connection. */
export interface LinkConnection {
  /** Writes one frame; false when the connection is closed. */
  writeFrame(text: string): boolean;
  /** Ends the connection (the device will dial again). */
  close(reason: string): void;
}

export interface DialHomeLinkOptions {
  /** Default time allowed for a response, ms. */
  timeoutMs: number;
  /** Most requests in flight plus waiting. */
  maxPending: number;
  /** Largest request frame, bytes (the device's frame limit). */
  maxFrameBytes: number;
}

interface PendingRequest {
  id: number;
  fields: Record<string, unknown>;
  timeoutMs: number;
  sentAt: number;
  timer: NodeJS.Timeout | undefined;
  resolve: (response: Record<string, unknown>) => void;
  reject: (err: PicolinkError) => void;
}

export class DialHomeLink implements DeviceLink {
  readonly mode = 'dial-home' as const;
  readonly connectedAt = Date.now();
  private readonly pipelined: boolean;
  private nextId = 1;
  // Created on first use: most links are idle most of the time.
  private inFlight: Map<number, PendingRequest> | undefined;
  private waiting: PendingRequest[] | undefined;
  private closedReason: string | undefined;
  private requests = 0;
  private errors = 0;
  private lastRoundTripMs: number | null = null;

  constructor(
    private readonly connection: LinkConnection,
    readonly deviceId: string,
    readonly address: string,
    readonly protocol: number,
    readonly capabilities: readonly string[],
    private readonly options: DialHomeLinkOptions,
  ) {
    this.pipelined = capabilities.includes('pipeline');
  }

  send(request: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<Record<string, unknown>> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new PicolinkError(ErrorCode.DEVICE_OFFLINE, `device "${this.deviceId}" is not connected to the hub (${this.closedReason})`));
    }
    const pending = (this.inFlight?.size ?? 0) + (this.waiting?.length ?? 0);
    if (pending >= this.options.maxPending) {
      return Promise.reject(
        new PicolinkError(ErrorCode.RATE_LIMITED, `device "${this.deviceId}" already has ${pending} requests waiting; wait for answers before sending more`),
      );
    }
    return new Promise((resolve, reject) => {
      const entry: PendingRequest = { id: 0, fields: request, timeoutMs: options.timeoutMs ?? this.options.timeoutMs, sentAt: 0, timer: undefined, resolve, reject };
      if (this.pipelined || (this.inFlight?.size ?? 0) === 0) this.transmit(entry);
      else (this.waiting ??= []).push(entry);
    });
  }

  /** A response from the device; false when it answers no request waiting here. */
  settle(frame: Record<string, unknown>): boolean {
    const id = frame.id;
    const entry = typeof id === 'number' ? this.inFlight?.get(id) : undefined;
    if (!entry) return false;
    this.finish(entry);
    this.lastRoundTripMs = performance.now() - entry.sentAt;
    if (frame.ok === false) this.errors += 1;
    entry.resolve(frame);
    this.pumpWaiting();
    return true;
  }

  /** The connection ended: everything waiting fails with PL_ERR_CONNECTION_CLOSED. */
  connectionClosed(reason: string): void {
    this.closedReason = reason;
    const all = [...(this.inFlight?.values() ?? []), ...(this.waiting ?? [])];
    this.inFlight = undefined;
    this.waiting = undefined;
    for (const entry of all) {
      clearTimeout(entry.timer);
      entry.reject(new PicolinkError(ErrorCode.CONNECTION_CLOSED, `the link to device "${this.deviceId}" closed before "${String(entry.fields.action)}" was answered: ${reason}`));
    }
  }

  close(reason: string): void {
    this.connection.close(reason);
  }

  stats(): LinkStats {
    return { requests: this.requests, errors: this.errors, lastRoundTripMs: this.lastRoundTripMs };
  }

  private transmit(entry: PendingRequest): void {
    entry.id = this.nextId++;
    // `id` first, as the protocol writes requests; a caller's own id is replaced.
    const frame: Record<string, unknown> = { id: entry.id, ...entry.fields };
    frame.id = entry.id;
    const text = encodeFrame(frame);
    if (text.length > this.options.maxFrameBytes && Buffer.byteLength(text) - 1 > this.options.maxFrameBytes) {
      entry.reject(new PicolinkError(ErrorCode.FRAME_TOO_LARGE, `the "${String(entry.fields.action)}" request is larger than the device's ${this.options.maxFrameBytes}-byte frame limit; send less at once`));
      this.pumpWaiting();
      return;
    }
    (this.inFlight ??= new Map()).set(entry.id, entry);
    this.requests += 1;
    entry.sentAt = performance.now();
    entry.timer = setTimeout(() => this.timeOut(entry), entry.timeoutMs);
    if (!this.connection.writeFrame(text)) this.connectionClosed('the connection is closed');
  }

  private timeOut(entry: PendingRequest): void {
    entry.timer = undefined;
    if (this.inFlight?.get(entry.id) !== entry) return;
    this.finish(entry);
    this.errors += 1;
    entry.reject(
      new PicolinkError(ErrorCode.TIMEOUT, `device "${this.deviceId}" did not answer "${String(entry.fields.action)}" within ${entry.timeoutMs} ms; it may be busy or its network slow`),
    );
    this.pumpWaiting();
  }

  private finish(entry: PendingRequest): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.inFlight?.delete(entry.id);
  }

  private pumpWaiting(): void {
    if (this.pipelined || this.closedReason !== undefined || (this.inFlight?.size ?? 0) > 0) return;
    const next = this.waiting?.shift();
    if (next) this.transmit(next);
  }
}
