/** Round-trip times of the well-behaved client, kept in full (bounded by the campaign's length). */
export class LatencyRecorder {
  private readonly samples: number[] = [];
  /** Requests that got no answer in time. */
  failures = 0;

  add(ms: number): void {
    this.samples.push(ms);
  }

  get count(): number {
    return this.samples.length;
  }

  /** The q-quantile (0..1) in ms, or NaN with no samples. */
  quantile(q: number): number {
    if (this.samples.length === 0) return NaN;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  }

  summary(): { count: number; failures: number; p50Ms: number; p99Ms: number; maxMs: number } {
    return { count: this.count, failures: this.failures, p50Ms: this.quantile(0.5), p99Ms: this.quantile(0.99), maxMs: this.quantile(1) };
  }
}
