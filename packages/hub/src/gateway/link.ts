/**
 * The hub's side of a dial-home connection as a DeviceLink: requests get ids assigned
 * here (integers from 1), are pipelined when the device announced "pipeline" (else one
 * at a time), time out one by one, and are matched to responses by id — @picolink/net's
 * RequestTable. A bounded number may wait; beyond it a request is refused with
 * PL_ERR_RATE_LIMITED at once.
 */
import { RequestTable } from '@picolink/net';
import type { RequestTableOptions, TableRequest } from '@picolink/net';
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

/**
 * Also its RequestTable's rules (`transmit`, `timeoutError`, ...): methods rather than
 * closures, so ten thousand links hold no rule objects of their own.
 */
export class DialHomeLink implements DeviceLink, RequestTableOptions {
  readonly mode = 'dial-home' as const;
  readonly connectedAt = Date.now();
  readonly pipelined: boolean;
  readonly maxPending: number;
  private readonly table: RequestTable;
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
    this.maxPending = options.maxPending;
    this.table = new RequestTable(this);
  }

  send(request: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<Record<string, unknown>> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new PicolinkError(ErrorCode.DEVICE_OFFLINE, `device "${this.deviceId}" is not connected to the hub (${this.closedReason})`));
    }
    return this.table.add(request, options.timeoutMs ?? this.options.timeoutMs);
  }

  /** A response from the device; false when it answers no request waiting here. */
  settle(frame: Record<string, unknown>): boolean {
    const id = frame.id;
    const request = typeof id === 'number' ? this.table.inFlight(id) : undefined;
    if (!request) return false;
    this.lastRoundTripMs = performance.now() - request.sentAt;
    if (frame.ok === false) this.errors += 1;
    this.table.settle(request, frame);
    return true;
  }

  /** The connection ended: everything waiting fails with PL_ERR_CONNECTION_CLOSED. */
  connectionClosed(reason: string): void {
    this.closedReason = reason;
    this.table.rejectAll(
      (request) => new PicolinkError(ErrorCode.CONNECTION_CLOSED, `the link to device "${this.deviceId}" closed before "${String(request.fields.action)}" was answered: ${reason}`),
    );
  }

  close(reason: string): void {
    this.connection.close(reason);
  }

  stats(): LinkStats {
    return { requests: this.requests, errors: this.errors, lastRoundTripMs: this.lastRoundTripMs };
  }

  tooManyError(pending: number): PicolinkError {
    return new PicolinkError(ErrorCode.RATE_LIMITED, `device "${this.deviceId}" already has ${pending} requests waiting; wait for answers before sending more`);
  }

  timeoutError(request: TableRequest): PicolinkError {
    this.errors += 1;
    return new PicolinkError(ErrorCode.TIMEOUT, `device "${this.deviceId}" did not answer "${String(request.fields.action)}" within ${request.timeoutMs} ms; it may be busy or its network slow`);
  }

  /** Writes one request with its id (`id` first, as the protocol writes requests; a caller's own id is replaced). */
  transmit(request: TableRequest): void {
    const frame: Record<string, unknown> = { id: request.seq, ...request.fields };
    frame.id = request.seq;
    const text = encodeFrame(frame);
    if (text.length > this.options.maxFrameBytes && Buffer.byteLength(text) - 1 > this.options.maxFrameBytes) {
      throw new PicolinkError(ErrorCode.FRAME_TOO_LARGE, `the "${String(request.fields.action)}" request is larger than the device's ${this.options.maxFrameBytes}-byte frame limit; send less at once`);
    }
    this.requests += 1;
    if (!this.connection.writeFrame(text)) this.connectionClosed('the connection is closed');
  }
}
