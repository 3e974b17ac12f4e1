/**
 * Requests waiting to be sent and requests waiting for their answer. Each request has a
 * local sequence number, which is also its wire `id` on picolink connections; its timer
 * starts when it is written, so a queue of requests behind a slow one does not time out.
 */
import type { PicolinkError } from '@picolink/protocol';

export interface PendingRequest {
  /** Local sequence number, from 1; the wire `id` unless the peer is legacy. */
  readonly seq: number;
  /** The request's fields as the caller gave them. */
  readonly fields: Record<string, unknown>;
  readonly timeoutMs: number;
  /** `time_sent` put on the wire (legacy peers), which their answers echo. */
  timeSent?: number;
  timer?: NodeJS.Timeout;
  readonly resolve: (response: Record<string, unknown>) => void;
  readonly reject: (err: PicolinkError) => void;
}

/** Writes a request to the socket; throws a coded error when it cannot be sent. */
export type Transmit = (request: PendingRequest) => void;

/** How many late-answer stamps to remember: answers arrive in order, so a few suffice. */
const LATE_ANSWERS_KEPT = 32;

export class PendingRequests {
  private concurrent = false;
  private nextSeq = 1;
  private waiting: PendingRequest[] = [];
  private waitingHead = 0;
  private readonly sent = new Map<number, PendingRequest>();
  private readonly lateStamps: number[] = [];
  private lastTimeSent = 0;

  constructor(
    private readonly transmit: Transmit,
    private readonly timeoutError: (request: PendingRequest) => PicolinkError,
  ) {}

  /** Allows many requests in flight (pipelining) or one at a time. */
  setConcurrent(concurrent: boolean): void {
    this.concurrent = concurrent;
    this.pump();
  }

  add(fields: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ seq: this.nextSeq++, fields, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /** The sent request with this sequence number, if it is still waiting for its answer. */
  inFlight(seq: number): PendingRequest | undefined {
    return this.sent.get(seq);
  }

  /** The request sent first among those still waiting for an answer. */
  oldestInFlight(): PendingRequest | undefined {
    return this.sent.values().next().value;
  }

  /** True when `seq` belongs to a request made on this connection (answered or not). */
  wasIssued(seq: number): boolean {
    return Number.isInteger(seq) && seq >= 1 && seq < this.nextSeq;
  }

  /** True when an answer echoing this `time_sent` belongs to a request that already failed. */
  isLateAnswer(timeSent: number): boolean {
    return this.lateStamps.includes(timeSent);
  }

  /**
   * A `time_sent` for a legacy request: the clock in ns, made unique per connection so
   * that an echoed value identifies its request. Steps are 1 µs because doubles near
   * 1.7e18 are 256 ns apart.
   */
  stampTimeSent(request: PendingRequest): number {
    this.lastTimeSent = Math.max(Date.now() * 1e6, this.lastTimeSent + 1000);
    request.timeSent = this.lastTimeSent;
    return this.lastTimeSent;
  }

  settle(request: PendingRequest, response: Record<string, unknown>): void {
    this.finish(request);
    request.resolve(response);
    this.pump();
  }

  fail(request: PendingRequest, err: PicolinkError): void {
    const wasSent = this.finish(request);
    if (wasSent && request.timeSent !== undefined) {
      this.lateStamps.push(request.timeSent);
      if (this.lateStamps.length > LATE_ANSWERS_KEPT) this.lateStamps.shift();
    }
    request.reject(err);
    this.pump();
  }

  /** Rejects every request, sent or not, with the error made for its action. */
  rejectAll(makeError: (action: string) => PicolinkError): void {
    const all = [...this.sent.values(), ...this.waiting.slice(this.waitingHead)];
    this.sent.clear();
    this.waiting = [];
    this.waitingHead = 0;
    for (const request of all) {
      if (request.timer !== undefined) clearTimeout(request.timer);
      request.reject(makeError(String(request.fields.action)));
    }
  }

  /** Removes a request from the sent table; true when it had been sent. */
  private finish(request: PendingRequest): boolean {
    if (request.timer !== undefined) clearTimeout(request.timer);
    request.timer = undefined;
    return this.sent.delete(request.seq);
  }

  private pump(): void {
    while (this.waitingHead < this.waiting.length && (this.concurrent || this.sent.size === 0)) {
      const request = this.waiting[this.waitingHead] as PendingRequest;
      this.waitingHead += 1;
      try {
        this.transmit(request);
      } catch (err) {
        request.reject(err as PicolinkError);
        continue;
      }
      this.sent.set(request.seq, request);
      request.timer = setTimeout(() => this.fail(request, this.timeoutError(request)), request.timeoutMs);
    }
    if (this.waitingHead === this.waiting.length && this.waitingHead > 0) {
      this.waiting = [];
      this.waitingHead = 0;
    }
  }
}
