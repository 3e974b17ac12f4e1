/**
 * `KeyBatch`: single requests gathered for a few milliseconds and run as one (one
 * statement for many devices), each caller getting its own result. When thousands of
 * devices come online at once (a hub restart) this keeps a PostgreSQL store's round trips
 * and pool connections for the work that cannot be batched.
 */

export interface KeyBatchOptions {
  /** Longest a request waits for others before the batch runs, ms. Default 10. */
  maxWaitMs?: number;
  /** Most requests in one batch; a full batch runs at once. Default 500. */
  maxItems?: number;
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export class KeyBatch<T, R> {
  private waiting = new Map<string, Waiting<T, R>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly maxWaitMs: number;
  private readonly maxItems: number;

  /**
   * `run` gets the items of a batch (keys distinct) and resolves with one result per item,
   * in their order; `key` names an item (a device id).
   */
  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly key: (item: T) => string,
    options: KeyBatchOptions = {},
  ) {
    this.maxWaitMs = options.maxWaitMs ?? 10;
    this.maxItems = options.maxItems ?? 500;
  }

  /** Runs `item` with the next batch. */
  add(item: T): Promise<R> {
    const key = this.key(item);
    // One statement cannot upsert a row twice: a second request for a key goes in the next batch.
    if (this.waiting.has(key)) this.flush();
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(key, { item, resolve, reject });
      if (this.waiting.size >= this.maxItems) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.waiting.values()];
    this.waiting = new Map();
    if (batch.length === 0) return;
    this.run(batch.map((waiting) => waiting.item)).then(
      (results) => batch.forEach((waiting, i) => waiting.resolve(results[i] as R)),
      (err: unknown) => batch.forEach((waiting) => waiting.reject(err)),
    );
  }
}
