/**
 * Requests the device sends to its peer (docs/protocol.md#messages): ids of the device's
 * own ("d1", "d2", ...), each waiting for the matching response until its timeout or the
 * end of the connection. A dial-home link's hello and heartbeats, and the controller
 * watchdog's pings, are such requests.
 *
 * Bounds: one timer per waiting request; every waiting request ends by its answer, its
 * timeout or `rejectAll` when the connection closes.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';

interface Waiting {
  resolve: (response: Record<string, unknown>) => void;
  reject: (err: PicolinkError) => void;
  timer: NodeJS.Timeout;
}

export class DeviceRequests {
  private readonly waiting = new Map<string, Waiting>();
  private lastId = 0;

  /** @param peer "address:port" of the peer, for error messages */
  constructor(private readonly peer: string) {}

  /**
   * Opens a request: returns the id its frame must carry and the promise of the peer's
   * response (error responses included), rejected with PL_ERR_TIMEOUT after `timeoutMs`.
   */
  open(action: string, timeoutMs: number): { id: string; answer: Promise<Record<string, unknown>> } {
    this.lastId += 1;
    const id = `d${this.lastId}`;
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new PicolinkError(ErrorCode.TIMEOUT, `${this.peer} did not answer "${action}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
    });
    return { id, answer };
  }

  /** A response from the peer: true when it answered one of these requests (others are ignored). */
  settle(frame: Record<string, unknown>): boolean {
    const id = frame.id;
    if (typeof id !== 'string') return false;
    const request = this.waiting.get(id);
    if (!request) return false;
    this.waiting.delete(id);
    clearTimeout(request.timer);
    request.resolve(frame);
    return true;
  }

  /** The connection ended: every waiting request fails with PL_ERR_CONNECTION_CLOSED. */
  rejectAll(): void {
    for (const [id, request] of this.waiting) {
      clearTimeout(request.timer);
      request.reject(new PicolinkError(ErrorCode.CONNECTION_CLOSED, `the connection to ${this.peer} closed before request ${id} was answered`));
    }
    this.waiting.clear();
  }
}
