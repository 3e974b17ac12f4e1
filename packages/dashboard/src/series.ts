/**
 * Telemetry as plotted: per metric, times (s, as uPlot wants) with mean, min and max. Raw
 * rows have min = max = the value; buckets carry their own. Live rows are folded in: into
 * the last bucket when they fall in it, else as a new point; points that leave the window
 * are dropped.
 */
import type { TelemetryBucket, TelemetryRow } from './types.js';

export interface Series {
  time: number[];
  mean: number[];
  min: number[];
  max: number[];
  /** Rows in each bucket (1 for raw rows), to fold live rows into the mean. */
  count: number[];
}

export function emptySeries(): Series {
  return { time: [], mean: [], min: [], max: [], count: [] };
}

export function fromRows(rows: readonly TelemetryRow[]): Map<string, Series> {
  return fromBuckets(rows.map(({ metric, time, value }) => ({ metric, time, count: 1, min: value, max: value, avg: value })));
}

export function fromBuckets(buckets: readonly TelemetryBucket[]): Map<string, Series> {
  const out = new Map<string, Series>();
  for (const b of buckets) {
    let s = out.get(b.metric);
    if (s === undefined) out.set(b.metric, (s = emptySeries()));
    s.time.push(b.time / 1000);
    s.mean.push(b.avg);
    s.min.push(b.min);
    s.max.push(b.max);
    s.count.push(b.count);
  }
  return out;
}

/** Adds a live row; `bucketMs` 0 for raw series. Returns false when it is older than the last point. */
export function appendRow(s: Series, row: TelemetryRow, bucketMs: number): boolean {
  const last = s.time.length - 1;
  const t = bucketMs > 0 ? Math.floor(row.time / bucketMs) * bucketMs : row.time;
  const lastTime = last < 0 ? -Infinity : (s.time[last] ?? 0) * 1000;
  if (t < lastTime) return false;
  if (t === lastTime && bucketMs > 0) {
    const n = s.count[last] ?? 1;
    s.mean[last] = ((s.mean[last] ?? 0) * n + row.value) / (n + 1);
    s.min[last] = Math.min(s.min[last] ?? row.value, row.value);
    s.max[last] = Math.max(s.max[last] ?? row.value, row.value);
    s.count[last] = n + 1;
    return true;
  }
  s.time.push(t / 1000);
  s.mean.push(row.value);
  s.min.push(row.value);
  s.max.push(row.value);
  s.count.push(1);
  return true;
}

/** Drops points before `fromMs`. */
export function trimBefore(s: Series, fromMs: number): void {
  let n = 0;
  while (n < s.time.length && (s.time[n] ?? 0) * 1000 < fromMs) n++;
  if (n === 0) return;
  for (const column of [s.time, s.mean, s.min, s.max, s.count]) column.splice(0, n);
}

/** Bucket width for a range: raw rows up to 15 minutes, else about 600 buckets. */
export function bucketFor(rangeMs: number): number {
  if (rangeMs <= 15 * 60_000) return 0;
  return Math.max(1000, Math.ceil(rangeMs / 600 / 1000) * 1000);
}
