/**
 * `ClaimBatch`: the claims of devices coming online on this hub, gathered for a few
 * milliseconds and made in one statement (`PresenceTable.claimMany`) that also announces
 * them, instead of two round trips per device. When thousands of devices dial at once
 * (a hub restart) this keeps the pool's connections free for the other store writes.
 */
import type { ClaimRequest, ClaimResult, PresenceTable } from './presence-table.js';

export interface ClaimBatchOptions {
  /** Longest a claim waits for others before its statement is sent, ms. Default 10. */
  maxWaitMs?: number;
  /** Most claims in one statement; a full batch is sent at once. Default 500. */
  maxClaims?: number;
}

interface Waiting {
  request: ClaimRequest;
  resolve: (result: ClaimResult) => void;
  reject: (err: unknown) => void;
}

export class ClaimBatch {
  private waiting = new Map<string, Waiting>();
  private timer: NodeJS.Timeout | undefined;
  private readonly maxWaitMs: number;
  private readonly maxClaims: number;

  constructor(
    private readonly table: PresenceTable,
    options: ClaimBatchOptions = {},
  ) {
    this.maxWaitMs = options.maxWaitMs ?? 10;
    this.maxClaims = options.maxClaims ?? 500;
  }

  /** Claims and announces the device with the next batch. */
  claim(request: ClaimRequest): Promise<ClaimResult> {
    // One statement cannot upsert a row twice: a second claim of a device goes in the next batch.
    if (this.waiting.has(request.row.deviceId)) this.flush();
    return new Promise<ClaimResult>((resolve, reject) => {
      this.waiting.set(request.row.deviceId, { request, resolve, reject });
      if (this.waiting.size >= this.maxClaims) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.waiting.values()];
    this.waiting = new Map();
    if (batch.length === 0) return;
    this.table.claimMany(
      batch.map((waiting) => waiting.request),
      Date.now(),
    ).then(
      (results) => batch.forEach((waiting, i) => waiting.resolve(results[i] as ClaimResult)),
      (err: unknown) => batch.forEach((waiting) => waiting.reject(err)),
    );
  }
}
