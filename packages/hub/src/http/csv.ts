/**
 * `GET /api/devices/:id/telemetry.csv`: the same query as the JSON route as a CSV file
 * (RFC 4180: CRLF line ends, fields with commas, quotes or line breaks quoted, quotes
 * doubled), streamed page by page so an export of millions of rows never sits in memory.
 * Without `from` the export starts at the first stored reading.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '@picolink/protocol';
import type { HubStore, TelemetryRow } from '../store/store.js';
import type { ApiContext } from './context.js';
import { requireKnownDevice } from '../known-devices.js';
import { parseMetric, single } from './query.js';
import type { RawQuery } from './query.js';
import { parseTelemetryRequest } from './telemetry-query.js';
import type { TelemetryRequest } from './telemetry-query.js';

/** Rows read from the store per page. */
export const CSV_PAGE_ROWS = 5000;
/** Most rows read for one millisecond when a whole page shares one timestamp. */
const MAX_ROWS_AT_ONE_TIME = 1_000_000;
/** Buckets (all metrics together) in one bucketed export. */
const MAX_BUCKET_ROWS = 1_000_000;

type CsvRequest = FastifyRequest<{ Params: { id: string }; Querystring: RawQuery }>;

/** One CSV field: numbers as they are, text quoted when it holds a comma, quote or line break. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF. */
export function csvLine(fields: ReadonlyArray<string | number>): string {
  return fields.map(csvField).join(',') + '\r\n';
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Raw rows in time order, a page at a time. The next page starts at the last page's last
 * timestamp, whose rows are held back so that rows sharing a millisecond across a page
 * boundary are neither lost nor repeated; `from` grows with every page, so the loop ends.
 */
export async function* pagedRows(store: HubStore, query: TelemetryRequest, pageRows = CSV_PAGE_ROWS): AsyncGenerator<TelemetryRow[]> {
  const metric = query.metric === undefined ? {} : { metric: query.metric };
  let from = query.from;
  while (from < query.to) {
    const rows = await store.queryTelemetry({ deviceId: query.deviceId, ...metric, from, to: query.to, limit: pageRows });
    if (rows.length < pageRows) {
      yield rows;
      return;
    }
    const lastTime = (rows[rows.length - 1] as TelemetryRow).time;
    const before = rows.filter((row) => row.time < lastTime);
    if (before.length > 0) {
      yield before;
      from = lastTime;
      continue;
    }
    // The whole page is one millisecond: read that millisecond in full, then move past it.
    yield await store.queryTelemetry({ deviceId: query.deviceId, ...metric, from: lastTime, to: lastTime + 1, limit: MAX_ROWS_AT_ONE_TIME });
    from = lastTime + 1;
  }
}

async function* rawCsv(store: HubStore, query: TelemetryRequest): AsyncGenerator<string> {
  yield csvLine(['time', 'iso_time', 'device', 'metric', 'value']);
  for await (const rows of pagedRows(store, query)) {
    let chunk = '';
    for (const row of rows) chunk += csvLine([row.time, isoTime(row.time), row.deviceId, row.metric, row.value]);
    if (chunk !== '') yield chunk;
  }
}

async function* bucketCsv(store: HubStore, query: TelemetryRequest & { bucketMs: number }): AsyncGenerator<string> {
  yield csvLine(['time', 'iso_time', 'device', 'metric', 'count', 'min', 'max', 'avg']);
  const metric = query.metric === undefined ? {} : { metric: query.metric };
  const buckets = await store.bucketTelemetry({ deviceId: query.deviceId, ...metric, from: query.from, to: query.to, bucketMs: query.bucketMs, limit: MAX_BUCKET_ROWS });
  let chunk = '';
  for (const b of buckets) {
    chunk += csvLine([b.time, isoTime(b.time), query.deviceId, b.metric, b.count, b.min, b.max, b.avg]);
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/**
 * A bucketed export without `from` starts at the device's first reading (not at 1970,
 * which would ask for millions of empty buckets).
 */
async function withFirstReading(store: HubStore, deviceId: string, query: RawQuery): Promise<RawQuery> {
  if (single(query, 'from') !== undefined || single(query, 'bucket') === undefined) return query;
  const metric = parseMetric(query);
  const [first] = await store.queryTelemetry({ deviceId, ...(metric === undefined ? {} : { metric }), from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1 });
  // No readings at all: any empty range gives the header alone.
  return first === undefined ? { ...query, from: '0', to: '1' } : { ...query, from: String(first.time) };
}

/**
 * A failure after the header was sent cannot become an error answer: the transfer is cut
 * off (the client sees it incomplete) and the cause goes to the hub log, once per kind.
 */
async function* loggingFailures(body: AsyncGenerator<string>, ctx: ApiContext, deviceId: string): AsyncGenerator<string> {
  try {
    yield* body;
  } catch (err) {
    ctx.logLimited('http-internal', `http: CSV export of "${deviceId}" failed midway (${ErrorCode.INTERNAL}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    throw err;
  }
}

export function registerCsvRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/devices/:id/telemetry.csv', async function getTelemetryCsv(request: CsvRequest, reply: FastifyReply) {
    const deviceId = request.params.id;
    await requireKnownDevice(ctx, deviceId);
    const query = parseTelemetryRequest(deviceId, await withFirstReading(ctx.store, deviceId, request.query), null);
    const bucketMs = query.bucketMs;
    const body = bucketMs === undefined ? rawCsv(ctx.store, query) : bucketCsv(ctx.store, { ...query, bucketMs });
    const name = `${deviceId}-${query.metric ?? 'telemetry'}${bucketMs === undefined ? '' : `-${bucketMs}ms`}.csv`;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(Readable.from(loggingFailures(body, ctx, deviceId), { objectMode: false }));
  });
}
