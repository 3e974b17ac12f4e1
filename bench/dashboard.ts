/**
 * `npm run bench -- dashboard`: the dashboard measured in real Chromium (Debian's
 * `chromium`, as the browser tests use), against a hub in this process. Each figure is
 * printed beside a reference measured in the same run:
 *
 * - JavaScript of the first page, gzipped (target ≤ 120 KB) — beside the gzipped size of
 *   the two libraries it bundles (Preact and uPlot, their own minified builds);
 * - the fleet page usable after navigation (rows shown, filter enabled; target ≤ 1 s on
 *   loopback), median of 5 — beside loading a bare JSON page from the same hub;
 * - 1,000 devices (each known by its UDP telemetry) rendered after navigation (target
 *   ≤ 1 s) — beside a plain table of the same 1,000 rows written with innerHTML in the same
 *   page; then 10 s of live updates (every device sending once a second) with the long
 *   tasks (> 50 ms) and the longest gap between animation frames — beside the same page
 *   for 10 s without updates;
 * - a plot of 100,000 points drawn (uPlot, through the device page; target ≤ 100 ms) —
 *   beside the same points drawn as one Canvas 2D path in the same page;
 * - `picolink demo --devices 1000` (startDemo, in this process): the fleet of a thousand
 *   online dial-home devices rendered after navigation, and 10 s of the page while it runs.
 *
 * Bounds: 1,000 devices, 10,000 datagrams a 10 s window, 100,000 rows; every wait ≤ 60 s.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startDemo } from '@picolink/cli';
import { encodeTelemetry } from '@picolink/protocol';
import { launchBrowser } from '@picolink/dashboard/test/browser';
import { startBrowserTestHub, until } from '@picolink/dashboard/test/hub-fixture';
import type { BrowserTestHub } from '@picolink/dashboard/test/hub-fixture';
import type { Browser } from '@picolink/dashboard/test/browser';
import type { Page } from 'playwright-core';

const FLEET = 1000;
const PLOT_POINTS = 100_000;
const LIVE_MS = 10_000;
const RUNS = 5;

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Sums the gzipped size of every script the first page loads. */
async function firstPageJs(url: string): Promise<{ bytes: number; files: number }> {
  const html = await (await fetch(url + '/')).text();
  const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g), ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1] ?? '');
  let bytes = 0;
  for (const src of scripts) bytes += gzipSync(Buffer.from(await (await fetch(new URL(src, url))).arrayBuffer()), { level: 9 }).length;
  return { bytes, files: scripts.length };
}

/** Preact (with its hooks) and uPlot as their packages ship them, minified; from the repository root. */
function librariesJs(): number {
  const files = ['node_modules/preact/dist/preact.mjs', 'node_modules/preact/hooks/dist/hooks.mjs', 'node_modules/uplot/dist/uPlot.iife.min.js'];
  return files.reduce((sum, file) => sum + gzipSync(readFileSync(file), { level: 9 }).length, 0);
}

/** Sends one datagram per device, from a real UDP socket; `seq` per device. */
class FleetSender {
  private readonly socket = createSocket('udp4');
  private seq = 0;
  private readonly boot = Math.floor(Math.random() * 2 ** 31);

  constructor(private readonly port: number, private readonly ids: string[]) {}

  async round(): Promise<void> {
    this.seq++;
    const now = Date.now();
    for (const device of this.ids) {
      const text = encodeTelemetry({ v: 1, device, boot: this.boot, seq: this.seq, t: this.seq * 1000, time: now, readings: { temp_c: 20 + Math.random() } });
      await new Promise<void>((resolve, reject) => this.socket.send(text, this.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    }
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * Milliseconds from navigation start until the fleet table has `rows` rows and the filter
 * is enabled (checked every frame; a function, not a string, since the page's CSP forbids eval).
 */
async function timeUntilRows(page: Page, url: string, rows: number): Promise<number> {
  await page.goto(url);
  const handle = await page.waitForFunction(
    (min) => {
      const filter = document.querySelector<HTMLInputElement>('input[type=search]');
      return document.querySelectorAll('tbody tr').length >= min && filter !== null && !filter.disabled ? performance.now() : false;
    },
    rows,
    { polling: 'raf', timeout: 60_000 },
  );
  return (await handle.jsonValue()) as number;
}

/** When the page had the answer of GET /api/devices, in ms from navigation start. */
async function listArrived(page: Page): Promise<number> {
  return page.evaluate(() => (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((e) => e.name.endsWith('/api/devices'))?.responseEnd ?? NaN);
}

async function usableFleet(page: Page, t: BrowserTestHub): Promise<{ fleet: number; bare: number }> {
  const fleet: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    fleet.push(await timeUntilRows(page, t.url + '/', 3));
    await page.goto(t.url + '/api/health');
    bare.push(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd || performance.now()));
  }
  return { fleet: median(fleet), bare: median(bare) };
}

/** Builds the same rows as a plain table with innerHTML and forces layout; ms. */
async function plainTable(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const { devices } = (await (await fetch('/api/devices')).json()) as { devices: Array<Record<string, unknown>> };
    const start = performance.now();
    const table = document.createElement('table');
    table.innerHTML = devices.map((d) => `<tr>${['id', 'online', 'mode', 'lastSeen', 'firmware', 'rssi', 'memory', 'uptimeMs', 'telemetry', 'configured'].map((k) => `<td>${String(JSON.stringify(d[k]) ?? '')}</td>`).join('')}</tr>`).join('');
    document.body.append(table);
    void table.offsetHeight;
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const ms = performance.now() - start;
    table.remove();
    return ms;
  });
}

/** Long tasks and the longest frame gap over `ms` in the open page. */
async function responsiveness(page: Page, ms: number): Promise<{ longTasks: number; longestTaskMs: number; longestFrameGapMs: number }> {
  return page.evaluate(async (windowMs) => {
    const tasks: number[] = [];
    const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => tasks.push(e.duration)));
    observer.observe({ type: 'longtask', buffered: false });
    let last = performance.now();
    let gap = 0;
    const end = last + windowMs;
    await new Promise<void>((resolve) => {
      const frame = (now: number): void => {
        gap = Math.max(gap, now - last);
        last = now;
        if (now < end) requestAnimationFrame(frame);
        else resolve();
      };
      requestAnimationFrame(frame);
    });
    observer.disconnect();
    return { longTasks: tasks.length, longestTaskMs: Math.max(0, ...tasks), longestFrameGapMs: gap };
  }, ms);
}

/** The same points as one Canvas 2D path, in the page; ms. */
async function canvasPath(page: Page, points: number): Promise<number> {
  return page.evaluate((n) => {
    const canvas = document.createElement('canvas');
    canvas.width = 1200;
    canvas.height = 200;
    document.body.append(canvas);
    const xs = Array.from({ length: n }, (_, i) => i);
    const ys = xs.map((i) => Math.sin(i / 500));
    const start = performance.now();
    const ctx = canvas.getContext('2d');
    if (ctx === null) return NaN;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const x = ((xs[i] ?? 0) / n) * 1200;
      const y = 100 - (ys[i] ?? 0) * 90;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    ctx.getImageData(0, 0, 1, 1);
    const ms = performance.now() - start;
    canvas.remove();
    return ms;
  }, points);
}

/**
 * `picolink demo --devices 1000` in this process: a thousand simulated devices dialling
 * home, online, each with signed telemetry every 5 s. The fleet rendered after navigation,
 * and the page's responsiveness while the demo runs.
 */
async function benchDemoFleet(browser: Browser): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'picolink-bench-dash-demo-'));
  const demo = await startDemo({ devices: FLEET, port: 0, dataDir });
  try {
    const online = async (): Promise<number> => {
      const answer = await fetch(demo.url + '/api/devices', { headers: { authorization: `Bearer ${demo.token ?? ''}` } });
      return ((await answer.json()) as { devices: Array<{ online: boolean }> }).devices.filter((d) => d.online).length;
    };
    await until(async () => (await online()) >= FLEET, `${FLEET} demo devices online`, 60_000);
    const page = await browser.newPage();
    await page.goto(demo.signInLink);
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    const renders: number[] = [];
    const afterList: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const done = await timeUntilRows(page, demo.url + '/', FLEET);
      renders.push(done);
      afterList.push(done - (await listArrived(page)));
    }
    const plain = median(await Promise.all([0, 1, 2].map(() => plainTable(page))));
    console.log(
      `picolink demo --devices ${FLEET} (dial-home, all online) rendered after navigation (median of ${RUNS}): ${median(renders).toFixed(0)} ms (target ≤ 1000 ms), ${median(afterList).toFixed(0)} ms of it after the list arrived` +
        ` | reference: plain innerHTML table of the same rows ${plain.toFixed(0)} ms`,
    );
    const live = await responsiveness(page, LIVE_MS);
    console.log(`  live for ${LIVE_MS / 1000} s while the demo runs (telemetry every 5 s from each device): ${live.longTasks} long tasks, longest ${live.longestTaskMs.toFixed(0)} ms, longest frame gap ${live.longestFrameGapMs.toFixed(0)} ms`);
    await page.close();
  } finally {
    await demo.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchDashboard(): Promise<void> {
  console.log(`${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the start; hub, UDP sender and Chromium on this machine`);
  const t = await startBrowserTestHub([]);
  const browser = await launchBrowser();
  const ids = Array.from({ length: FLEET }, (_, i) => `bench-${String(i + 1).padStart(4, '0')}`);
  const sender = new FleetSender(t.hub.telemetryPort, ids);
  try {
    const js = await firstPageJs(t.url);
    console.log(`first page JavaScript, gzipped: ${kb(js.bytes)} in ${js.files} file(s) (target ≤ 120 KB) | reference: Preact + uPlot alone ${kb(librariesJs())}`);

    const page = await browser.newPage();
    await page.goto(t.signInLink());
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    // Three devices for the usable-time run.
    const three = new FleetSender(t.hub.telemetryPort, ids.slice(0, 3));
    await three.round();
    three.close();
    await until(async () => ((await (await t.api('/api/devices')).json()) as { devices: unknown[] }).devices.length >= 3, '3 devices listed', 10_000);
    const usable = await usableFleet(page, t);
    console.log(`fleet page usable after navigation (3 devices, median of ${RUNS}): ${usable.fleet.toFixed(0)} ms (target ≤ 1000 ms) | reference: bare JSON page from the hub ${usable.bare.toFixed(0)} ms`);

    await sender.round();
    await until(async () => ((await (await t.api('/api/devices')).json()) as { devices: unknown[] }).devices.length >= FLEET, `${FLEET} devices listed`, 30_000);
    const renders: number[] = [];
    const afterList: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const done = await timeUntilRows(page, t.url + '/', FLEET);
      renders.push(done);
      afterList.push(done - (await listArrived(page)));
    }
    const plain = median(await Promise.all([0, 1, 2].map(() => plainTable(page))));
    console.log(
      `fleet of ${FLEET} rendered after navigation (median of ${RUNS}): ${median(renders).toFixed(0)} ms (target ≤ 1000 ms), ${median(afterList).toFixed(0)} ms of it after the list arrived` +
        ` | reference: plain innerHTML table of the same rows ${plain.toFixed(0)} ms`,
    );

    const idle = await responsiveness(page, LIVE_MS);
    let sending = true;
    const loop = (async () => {
      while (sending) {
        const started = Date.now();
        await sender.round();
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - started))));
      }
    })();
    const live = await responsiveness(page, LIVE_MS);
    sending = false;
    await loop;
    console.log(
      `live updates, ${FLEET} devices × 1 datagram/s for ${LIVE_MS / 1000} s: ${live.longTasks} long tasks, longest ${live.longestTaskMs.toFixed(0)} ms, longest frame gap ${live.longestFrameGapMs.toFixed(0)} ms` +
        ` | reference: same page idle ${idle.longTasks} long tasks, longest ${idle.longestTaskMs.toFixed(0)} ms, frame gap ${idle.longestFrameGapMs.toFixed(0)} ms`,
    );

    // 100,000 readings of one device in the last 4 minutes: the 5-minute view draws them raw.
    const now = Date.now();
    const rows = Array.from({ length: PLOT_POINTS }, (_, i) => ({ deviceId: ids[0] ?? 'bench-0001', metric: 'wave', time: now - 240_000 + Math.floor((i * 240_000) / PLOT_POINTS), value: Math.sin(i / 500) }));
    await t.hub.store.insertTelemetry(rows);
    const draws: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto(`${t.url}/devices/${ids[0]}`);
      const handle = await page.waitForFunction(() => {
        const entry = performance.getEntriesByName('picolink:plot-draw')[0];
        const points = Number(document.querySelector('[data-points]')?.getAttribute('data-points'));
        return entry !== undefined && points >= 100_000 ? entry.duration : false;
      }, undefined, { timeout: 60_000 });
      draws.push((await handle.jsonValue()) as number);
    }
    const canvas = median(await Promise.all([0, 1, 2].map(() => canvasPath(page, PLOT_POINTS))));
    console.log(`plot of ${PLOT_POINTS.toLocaleString('en')} points drawn (uPlot, median of ${RUNS}): ${median(draws).toFixed(0)} ms (target ≤ 100 ms) | reference: one Canvas 2D path of the same points ${canvas.toFixed(0)} ms`);
  } finally {
    sender.close();
    await t.close();
  }
  try {
    await benchDemoFleet(browser);
  } finally {
    await browser.close();
  }
}
