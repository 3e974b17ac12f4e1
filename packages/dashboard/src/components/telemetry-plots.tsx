/**
 * Live telemetry plots (uPlot): one per metric or all overlaid; ranges from 5 minutes to
 * 7 days through the bucketed query (a min-max band around the mean when bucketed);
 * drag to zoom, buttons (or the keyboard) to pan and zoom; new rows from the stream are
 * appended; the CSV link exports the range shown.
 *
 * Each draw is measured as the user-timing measure "picolink:plot-draw" (the bench reads it).
 * Bounds: at most 100,000 raw rows per query; live redraws at most every 500 ms.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, devicePath, errorText } from '../api.js';
import { appendRow, bucketFor, fromBuckets, fromRows, trimBefore } from '../series.js';
import type { Series } from '../series.js';
import { liveStream } from '../stream.js';
import type { TelemetryBucket, TelemetryRow } from '../types.js';
import { ErrorNote } from './error-note.js';

const RANGES: Array<[string, number]> = [
  ['5 min', 5 * 60_000],
  ['15 min', 15 * 60_000],
  ['1 h', 3_600_000],
  ['6 h', 6 * 3_600_000],
  ['24 h', 86_400_000],
  ['7 days', 7 * 86_400_000],
];
const COLORS = ['#2f7ed8', '#d9534f', '#3a9d5d', '#b8860b', '#8e44ad', '#16a2b8'];
const REDRAW_MS = 500;
const HEIGHT = 200;

function color(i: number): string {
  return COLORS[i % COLORS.length] ?? '#2f7ed8';
}

/** uPlot data and options for some metrics: mean lines, and min/max bands when bucketed. */
function plotConfig(metrics: string[], series: Map<string, Series>, bucketed: boolean, width: number, title: string): { opts: uPlot.Options; data: uPlot.AlignedData } {
  const tables: uPlot.AlignedData[] = metrics.map((m) => {
    const s = series.get(m) ?? { time: [], mean: [], min: [], max: [] };
    return (bucketed ? [s.time, s.mean, s.min, s.max] : [s.time, s.mean]) as uPlot.AlignedData;
  });
  const data = tables.length === 1 ? tables[0]! : uPlot.join(tables);
  const plotSeries: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  metrics.forEach((m, i) => {
    const c = color(i);
    plotSeries.push({ label: bucketed ? `${m} mean` : m, stroke: c, width: 1.5, spanGaps: false, points: { show: false } });
    if (bucketed) {
      const base = plotSeries.length;
      plotSeries.push({ label: `${m} min`, stroke: c + '55', width: 0.5, points: { show: false } });
      plotSeries.push({ label: `${m} max`, stroke: c + '55', width: 0.5, points: { show: false } });
      bands.push({ series: [base + 1, base], fill: c + '22' });
    }
  });
  // Axis text and grid in the page's colours, so both light and dark read well.
  const style = getComputedStyle(document.documentElement);
  const ink = style.getPropertyValue('--muted').trim() || '#59636e';
  const grid = style.getPropertyValue('--line').trim() || '#d0d7de';
  const axis = (): uPlot.Axis => ({ stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } });
  return {
    data,
    opts: { title, width, height: HEIGHT, series: plotSeries, bands, axes: [axis(), axis()], cursor: { drag: { x: true, y: false } }, scales: { x: { time: true } }, legend: { live: true } },
  };
}

export function TelemetryPlots(props: { id: string; metrics: string[] }) {
  const [rangeMs, setRangeMs] = useState(RANGES[0]![1]);
  const [overlay, setOverlay] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState<{ from: number; to: number } | null>(null);
  const [metrics, setMetrics] = useState(props.metrics);
  const [points, setPoints] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const plots = useRef<uPlot[]>([]);
  const zoomed = useRef(false);
  const bucketMs = bucketFor(rangeMs);

  useEffect(() => {
    const container = box.current;
    if (!container) return;
    let alive = true;
    let series = new Map<string, Series>();
    let dirty = false;
    let groups: string[][] = [];
    const to = Date.now();
    const from = to - rangeMs;
    setShown({ from, to });
    zoomed.current = false;

    /** Unless zoomed, a plot shows the whole range up to now, its newest points at the right edge. */
    function showWindow(plot: uPlot): void {
      if (zoomed.current) return;
      const now = Date.now();
      plot.setScale('x', { min: (now - rangeMs) / 1000, max: now / 1000 });
    }

    function build(): void {
      for (const p of plots.current) p.destroy();
      plots.current = [];
      const width = Math.max(280, (container?.clientWidth ?? 600) - 8);
      const names = [...new Set([...metrics, ...series.keys()])].sort();
      groups = overlay ? [names] : names.map((m) => [m]);
      // uPlot draws in a microtask after construction: the measure ends at the last plot's first draw.
      const start = performance.now();
      let undrawn = groups.filter((g) => g.length > 0).length;
      for (const group of groups) {
        if (group.length === 0) continue;
        const { opts, data } = plotConfig(group, series, bucketMs > 0, width, group.join(', '));
        let drawn = false;
        opts.hooks = {
          draw: [() => {
            if (drawn) return;
            drawn = true;
            if (--undrawn === 0) performance.measure('picolink:plot-draw', { start, end: performance.now() });
          }],
          setSelect: [(u) => {
            if (u.select.width > 0) zoomed.current = true;
          }],
          setScale: [(u, key) => {
            if (key !== 'x') return;
            const min = u.scales.x?.min;
            const max = u.scales.x?.max;
            if (min !== undefined && max !== undefined) setShown({ from: Math.floor(min * 1000), to: Math.ceil(max * 1000) });
          }],
        };
        const plot = new uPlot(opts, data, container!);
        showWindow(plot);
        plots.current.push(plot);
      }
      setPoints([...series.values()].reduce((n, s) => n + s.time.length, 0));
    }

    function redraw(): void {
      if (!dirty) return;
      dirty = false;
      const names = [...series.keys()].sort();
      if (groups.flat().length !== names.length) return build();
      groups.forEach((group, i) => {
        const plot = plots.current[i];
        if (!plot) return;
        const { data } = plotConfig(group, series, bucketMs > 0, plot.width, '');
        plot.setData(data, !zoomed.current);
        showWindow(plot);
      });
      setPoints([...series.values()].reduce((n, s) => n + s.time.length, 0));
    }

    const query = bucketMs > 0 ? `from=${from}&to=${to}&bucket=${bucketMs}&limit=100000` : `from=${from}&to=${to}&limit=100000`;
    api<{ rows?: TelemetryRow[]; buckets?: TelemetryBucket[]; truncated: boolean }>('GET', devicePath(props.id, `/telemetry?${query}`)).then(
      (answer) => {
        if (!alive) return;
        series = answer.buckets ? fromBuckets(answer.buckets) : fromRows(answer.rows ?? []);
        setError(answer.truncated ? 'More readings than one plot holds: showing the first 100,000; pick a longer range to see them bucketed.' : null);
        build();
      },
      (err: unknown) => alive && setError(errorText(err)),
    );
    const unsubscribe = liveStream.subscribe((message) => {
      if (message.type !== 'telemetry' || message.device !== props.id) return;
      for (const row of message.rows) {
        let s = series.get(row.metric);
        if (s === undefined) series.set(row.metric, (s = { time: [], mean: [], min: [], max: [], count: [] }));
        if (appendRow(s, row, bucketMs)) dirty = true;
      }
      const start = Date.now() - rangeMs;
      for (const s of series.values()) trimBefore(s, start);
    });
    const timer = setInterval(redraw, REDRAW_MS);
    const resize = new ResizeObserver(() => {
      const width = Math.max(280, container.clientWidth - 8);
      for (const p of plots.current) if (Math.abs(p.width - width) > 8) p.setSize({ width, height: HEIGHT });
    });
    resize.observe(container);
    return () => {
      alive = false;
      unsubscribe();
      clearInterval(timer);
      resize.disconnect();
      for (const p of plots.current) p.destroy();
      plots.current = [];
    };
  }, [props.id, rangeMs, overlay, bucketMs, metrics]);

  useEffect(() => setMetrics(props.metrics), [props.metrics.join()]);

  function moveX(shift: number, scale: number): void {
    for (const p of plots.current) {
      const min = p.scales.x?.min;
      const max = p.scales.x?.max;
      if (min === undefined || max === undefined) continue;
      const span = max - min;
      const mid = min + span / 2 + span * shift;
      zoomed.current = true;
      p.setScale('x', { min: mid - (span * scale) / 2, max: mid + (span * scale) / 2 });
    }
  }

  function resetZoom(): void {
    zoomed.current = false;
    const to = Date.now();
    for (const p of plots.current) p.setScale('x', { min: (to - rangeMs) / 1000, max: to / 1000 });
  }

  const csvQuery = shown === null ? '' : `from=${shown.from}&to=${shown.to}${bucketMs > 0 ? `&bucket=${bucketMs}` : ''}`;
  return (
    <section class="card plots" aria-labelledby="plots-title">
      <h2 id="plots-title">Telemetry</h2>
      <div class="row wrap">
        <label class="inline">Range
          <select value={String(rangeMs)} onChange={(e) => setRangeMs(Number(e.currentTarget.value))}>
            {RANGES.map(([label, ms]) => <option key={ms} value={String(ms)}>{label}</option>)}
          </select>
        </label>
        <label class="inline"><input type="checkbox" checked={overlay} onChange={(e) => setOverlay(e.currentTarget.checked)} /> overlaid</label>
        <div class="row" role="group" aria-label="Pan and zoom">
          <button type="button" class="small" aria-label="Pan left" onClick={() => moveX(-0.25, 1)}>◀</button>
          <button type="button" class="small" aria-label="Zoom in" onClick={() => moveX(0, 0.5)}>+</button>
          <button type="button" class="small" aria-label="Zoom out" onClick={() => moveX(0, 2)}>−</button>
          <button type="button" class="small" aria-label="Pan right" onClick={() => moveX(0.25, 1)}>▶</button>
          <button type="button" class="small" onClick={resetZoom}>Reset zoom</button>
        </div>
        <a class="button small" href={devicePath(props.id, `/telemetry.csv?${csvQuery}`)} download={`${props.id}-telemetry.csv`}>Download CSV</a>
        <span class="muted" role="status" data-points={points}>{points} points{bucketMs > 0 ? `, ${bucketMs / 1000} s buckets` : ''}</span>
      </div>
      <ErrorNote error={error} />
      <div ref={box} class="plot-box" />
      {metrics.length === 0 && points === 0 && <p class="muted">No telemetry from this device yet.</p>}
    </section>
  );
}
