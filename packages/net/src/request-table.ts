/**
 * Requests waiting to be sent and requests waiting for their answer, on one connection.
 * Each request gets a sequence number (from 1) that its frame carries as its id; its
 * timer starts when it is written, so a queue behind a slow request does not time out.
 * Pipelined: every request is written at once; one at a time: the next is written when
 * the previous one is answered or has failed. With a cap, a request beyond it is refused
 * at once instead of queued.
 *
 * Bounds: one timer per written request; every request ends by its answer, its timeout,
 * or {@link RequestTable.rejectAll} when the connection closes.
 */
import type { PicolinkError } from '@picolink/protocol';

export interface TableRequest {
  /** Sequence number, from 1: the id its frame carries. */
  readonly seq: number;
  /** The request's fields as the caller gave them. */
  readonly fields: Record<string, unknown>;
  /** Time allowed for the answer once written, ms. */
  readonly timeoutMs: number;
  /** performance.now() when it was written. */
  sentAt: number;
  timer?: NodeJS.Timeout | undefined;
  readonly resolve: (response: Record<string, unknown>) => void;
  readonly reject: (err: PicolinkError) => void;
}

export interface RequestTableOptions {
  /** Writes a request's frame; throws a coded error when it cannot be sent (the request fails with it). */
  transmit(request: TableRequest): void;
  /** The error a request fails with when its time is up. */
  timeoutError(request: TableRequest): PicolinkError;
  /** Many requests in flight at once. Default true. */
  pipelined?: boolean;
  /** Most requests in flight plus waiting; beyond it {@link tooManyError} refuses at once. Default: no cap. */
  maxPending?: number;
  /** The refusal of a request beyond `maxPending`; told how many are pending. */
  tooManyError?(pending: number): PicolinkError;
}

export class RequestTable {
  private pipelined: boolean;
  private nextSeq = 1;
  // Created on first use: most connections are idle most of the time.
  private sent: Map<number, TableRequest> | undefined;
  private waiting: TableRequest[] | undefined;
  private waitingHead = 0;
  /** The request being written now; a close during its write fails it too. */
  private writing: TableRequest | undefined;

  constructor(private readonly options: RequestTableOptions) {
    this.pipelined = options.pipelined ?? true;
  }

  /** Requests in flight plus waiting to be written. */
  get size(): number {
    return (this.sent?.size ?? 0) + (this.waiting?.length ?? 0) - this.waitingHead;
  }

  /** Allows many requests in flight (pipelining) or one at a time. */
  setPipelined(pipelined: boolean): void {
    this.pipelined = pipelined;
    this.pump();
  }

  /** Queues a request; resolves with its answer, rejects with a coded error. */
  add(fields: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    const pending = this.size;
    const max = this.options.maxPending;
    if (max !== undefined && pending >= max && this.options.tooManyError) return Promise.reject(this.options.tooManyError(pending));
    return new Promise((resolve, reject) => {
      (this.waiting ??= []).push({ seq: this.nextSeq++, fields, timeoutMs, sentAt: 0, resolve, reject });
      this.pump();
    });
  }

  /** The written request with this sequence number, if it is still waiting for its answer. */
  inFlight(seq: number): TableRequest | undefined {
    return this.sent?.get(seq);
  }

  /** The request written first among those still waiting for an answer. */
  oldestInFlight(): TableRequest | undefined {
    return this.sent?.values().next().value;
  }

  /** True when `seq` belongs to a request made on this table (answered or not). */
  wasIssued(seq: number): boolean {
    return Number.isInteger(seq) && seq >= 1 && seq < this.nextSeq;
  }

  /** Answers the request in flight with this sequence number; false when there is none. */
  settleSeq(seq: number, response: Record<string, unknown>): boolean {
    const request = this.sent?.get(seq);
    if (!request) return false;
    this.settle(request, response);
    return true;
  }

  settle(request: TableRequest, response: Record<string, unknown>): void {
    this.finish(request);
    request.resolve(response);
    this.pump();
  }

  /** Fails one request; true when it had been written. */
  fail(request: TableRequest, err: PicolinkError): boolean {
    const wasSent = this.finish(request);
    request.reject(err);
    this.pump();
    return wasSent;
  }

  /** Rejects every request, written or not, with the error made for it. */
  rejectAll(makeError: (request: TableRequest) => PicolinkError): void {
    const all = [...(this.sent?.values() ?? []), ...(this.writing ? [this.writing] : []), ...(this.waiting?.slice(this.waitingHead) ?? [])];
    this.writing = undefined;
    this.sent = undefined;
    this.waiting = undefined;
    this.waitingHead = 0;
    for (const request of all) {
      clearTimeout(request.timer);
      request.reject(makeError(request));
    }
  }

  /** Removes a request from the written table; true when it had been written. */
  private finish(request: TableRequest): boolean {
    clearTimeout(request.timer);
    request.timer = undefined;
    return this.sent?.delete(request.seq) ?? false;
  }

  private pump(): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    while (this.waitingHead < waiting.length && (this.pipelined || (this.sent?.size ?? 0) === 0)) {
      const request = waiting[this.waitingHead] as TableRequest;
      this.waitingHead += 1;
      this.writing = request;
      try {
        this.options.transmit(request);
      } catch (err) {
        this.writing = undefined;
        request.reject(err as PicolinkError);
        continue;
      }
      // A close while writing has rejected everything already.
      if (this.writing === undefined) return;
      this.writing = undefined;
      (this.sent ??= new Map()).set(request.seq, request);
      request.sentAt = performance.now();
      request.timer = setTimeout(() => this.timeOut(request), request.timeoutMs);
    }
    if (this.waitingHead === waiting.length) {
      this.waiting = undefined;
      this.waitingHead = 0;
    }
  }

  private timeOut(request: TableRequest): void {
    request.timer = undefined;
    if (this.sent?.get(request.seq) !== request) return;
    this.fail(request, this.options.timeoutError(request));
  }
}
