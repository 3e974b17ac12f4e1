/**
 * The embedded HubStore: one SQLite file through better-sqlite3, in WAL mode so the API
 * can read while ingest writes. Every statement is prepared once. better-sqlite3 is
 * synchronous, so each call runs to completion on the event loop; the async signatures
 * are the interface's (a network database needs them). Large deletes are split into
 * chunks with a yield in between so retention never stalls telemetry ingest.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { byPin, jsonOrNull, outputsOf, toAudit, toDevice, toEvent, toOutput } from './rows.js';
import type { AuditRow, DeviceRow, EventRow, OutputRow } from './rows.js';
import { startCheckpointer } from './checkpointer.js';
import type { Checkpointer } from './checkpointer.js';
import { checkListLimit } from './query-bounds.js';
import { migrate } from './sqlite-schema.js';
import { SqliteTelemetry } from './sqlite-telemetry.js';
import type {
  AuditRecord,
  DeviceMode,
  DeviceRecord,
  DeviceUpsert,
  HubEventRecord,
  HubStore,
  ManagedDeviceRecord,
  OutputState,
  RetentionResult,
  SavedMessageRecord,
  SessionRecord,
  TelemetryBucket,
  TelemetryQuery,
  TelemetryRow,
} from './store.js';

export interface SqliteStoreOptions {
  /** The database file; its directory is created when missing. ":memory:" for a throwaway store. */
  path: string;
  /** SQLite page cache, in KiB. Default 16384 (16 MiB). */
  cacheKiB?: number;
  /** How long a statement waits for another process's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /** Rows deleted per transaction by applyRetention before yielding to the event loop. Default 20000. */
  retentionChunk?: number;
  /**
   * Checkpoint the WAL from a worker thread every this many ms, off the event loop; 0
   * leaves checkpoints to SQLite (every 1000 pages, on the writing thread). Default 200.
   */
  checkpointIntervalMs?: number;
}

type Params = Record<string, string | number | null>;

type FilterQuery = { deviceId?: string; type?: string; from?: number; to?: number };

/** Each optional filter and its condition on its named parameter. */
const FILTER_CLAUSES: ReadonlyArray<[keyof FilterQuery, string]> = [
  ['deviceId', 'device_id = @deviceId'],
  ['type', 'type = @type'],
  ['from', 'time >= @from'],
  ['to', 'time < @to'],
];

/** A WHERE clause from optional filters, and its named parameters. */
function filters(query: FilterQuery): { where: string; params: Params } {
  const clauses: string[] = [];
  const params: Params = {};
  for (const [key, clause] of FILTER_CLAUSES) {
    const value = query[key];
    if (value === undefined) continue;
    clauses.push(clause);
    params[key] = value;
  }
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params };
}

export class SqliteStore implements HubStore {
  private readonly statements = new Map<string, Statement>();
  private readonly telemetry: SqliteTelemetry;
  private readonly retentionChunk: number;
  private closed = false;

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteStoreOptions,
    private readonly checkpointer?: Checkpointer,
  ) {
    this.telemetry = new SqliteTelemetry(db);
    this.retentionChunk = options.retentionChunk ?? 20_000;
  }

  /** The SQLite file (":memory:" for a throwaway store). */
  get path(): string {
    return this.db.name;
  }

  /** A prepared statement, prepared on first use. */
  private sql(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  async upsertDevice(device: DeviceUpsert): Promise<void> {
    // Absent fields keep their stored value: each optional column has a "given" flag.
    this.sql(
      `INSERT INTO devices (id, mode, address, firmware, info, first_seen, last_seen)
       VALUES (@id, @mode, @address, @firmware, @info, @seenAt, @seenAt)
       ON CONFLICT (id) DO UPDATE SET
         mode = excluded.mode,
         address = CASE WHEN @hasAddress THEN excluded.address ELSE address END,
         firmware = CASE WHEN @hasFirmware THEN excluded.firmware ELSE firmware END,
         info = CASE WHEN @hasInfo THEN excluded.info ELSE info END,
         first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen)`,
    ).run({
      id: device.id,
      mode: device.mode,
      address: device.address ?? null,
      firmware: device.firmware ?? null,
      info: jsonOrNull(device.info),
      seenAt: device.seenAt,
      hasAddress: device.address === undefined ? 0 : 1,
      hasFirmware: device.firmware === undefined ? 0 : 1,
      hasInfo: device.info === undefined ? 0 : 1,
    });
  }

  async getDevice(id: string): Promise<DeviceRecord | undefined> {
    const row = this.sql('SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined;
    return row ? toDevice(row) : undefined;
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return (this.sql('SELECT * FROM devices ORDER BY id').all() as DeviceRow[]).map(toDevice);
  }

  async openSession(session: { deviceId: string; mode: DeviceMode; address: string | null; openedAt: number }): Promise<number> {
    const result = this.sql('INSERT INTO sessions (device_id, mode, address, opened_at) VALUES (?, ?, ?, ?)').run(session.deviceId, session.mode, session.address, session.openedAt);
    return Number(result.lastInsertRowid);
  }

  async closeSession(id: number, closedAt: number, reason: string): Promise<void> {
    // The first close wins: a session ends once.
    this.sql('UPDATE sessions SET closed_at = ?, close_reason = ? WHERE id = ? AND closed_at IS NULL').run(closedAt, reason, id);
  }

  async listSessions(deviceId: string, limit?: number): Promise<SessionRecord[]> {
    const columns = 'id, device_id AS deviceId, mode, address, opened_at AS openedAt, closed_at AS closedAt, close_reason AS closeReason';
    const query = `SELECT ${columns} FROM sessions WHERE device_id = ? ORDER BY opened_at DESC, id DESC LIMIT ?`;
    return this.sql(query).all(deviceId, checkListLimit(limit)) as SessionRecord[];
  }

  async insertTelemetry(rows: readonly TelemetryRow[]): Promise<void> {
    this.telemetry.insert(rows);
  }

  async queryTelemetry(query: TelemetryQuery): Promise<TelemetryRow[]> {
    return this.telemetry.query(query);
  }

  async bucketTelemetry(query: TelemetryQuery & { bucketMs: number }): Promise<TelemetryBucket[]> {
    return this.telemetry.buckets(query);
  }

  async listMetrics(deviceId: string): Promise<string[]> {
    return this.telemetry.metrics(deviceId);
  }

  async insertEvents(events: readonly HubEventRecord[]): Promise<void> {
    const insert = this.sql('INSERT INTO events (device_id, type, time, device_time, data) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const event of events) insert.run(event.deviceId, event.type, event.time, event.deviceTime ?? null, JSON.stringify(event.data));
    })();
  }

  async listEvents(query: { deviceId?: string; type?: string; from?: number; to?: number; limit?: number }): Promise<HubEventRecord[]> {
    return (this.newest('events', query) as EventRow[]).map(toEvent);
  }

  async insertAudit(record: AuditRecord): Promise<void> {
    this.sql('INSERT INTO audit (time, actor, device_id, action, request, result, response) VALUES (?, ?, ?, ?, ?, ?, ?)').run(record.time, record.actor, record.deviceId, record.action, JSON.stringify(record.request), record.result, jsonOrNull(record.response));
  }

  async listAudit(query: { deviceId?: string; from?: number; to?: number; limit?: number }): Promise<AuditRecord[]> {
    return (this.newest('audit', query) as AuditRow[]).map(toAudit);
  }

  /** The newest rows of the events or audit table that pass the query's filters. */
  private newest(table: 'events' | 'audit', query: FilterQuery & { limit?: number }): unknown[] {
    const { where, params } = filters(query);
    params.limit = checkListLimit(query.limit);
    return this.sql(`SELECT * FROM ${table} ${where} ORDER BY time DESC, id DESC LIMIT @limit`).all(params);
  }

  async saveOutputState(state: OutputState): Promise<void> {
    this.sql(
      `INSERT OR REPLACE INTO output_states (device_id, pin, setup, value, lease_until, lease_value, lease_write, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(state.deviceId, String(state.pin), jsonOrNull(state.setup), state.value, state.leaseUntil, state.leaseValue, state.leaseWrite, state.updatedAt);
  }

  async loadOutputStates(deviceId: string): Promise<OutputState[]> {
    const rows = this.sql('SELECT * FROM output_states WHERE device_id = ?').all(deviceId) as OutputRow[];
    return rows.map(toOutput).sort(byPin);
  }

  async loadOutputStatesOf(deviceIds: readonly string[]): Promise<OutputState[][]> {
    const rows = this.sql('SELECT * FROM output_states WHERE device_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(deviceIds)) as OutputRow[];
    return outputsOf(deviceIds, rows);
  }

  async deleteOutputState(deviceId: string, pin: number | 'LED'): Promise<void> {
    this.sql('DELETE FROM output_states WHERE device_id = ? AND pin = ?').run(deviceId, String(pin));
  }

  async listManagedDevices(): Promise<ManagedDeviceRecord[]> {
    return this.sql('SELECT id, token_hash AS tokenHash, telemetry_key AS telemetryKey, created_at AS createdAt FROM managed_devices ORDER BY id').all() as ManagedDeviceRecord[];
  }

  async addManagedDevice(device: ManagedDeviceRecord): Promise<void> {
    const result = this.sql('INSERT INTO managed_devices (id, token_hash, telemetry_key, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING').run(device.id, device.tokenHash, device.telemetryKey, device.createdAt);
    if (result.changes === 0) throw new PicolinkError(ErrorCode.DEVICE_EXISTS, `the hub already stores a device "${device.id}"`);
  }

  async updateManagedDevice(device: ManagedDeviceRecord): Promise<boolean> {
    const result = this.sql('UPDATE managed_devices SET token_hash = ?, telemetry_key = ?, created_at = ? WHERE id = ?').run(device.tokenHash, device.telemetryKey, device.createdAt, device.id);
    return result.changes > 0;
  }

  async removeManagedDevice(id: string): Promise<boolean> {
    return this.sql('DELETE FROM managed_devices WHERE id = ?').run(id).changes > 0;
  }

  async listSavedMessages(): Promise<SavedMessageRecord[]> {
    return this.sql('SELECT id, name, data, encoding, ending, created_at AS createdAt FROM saved_messages ORDER BY created_at, id').all() as SavedMessageRecord[];
  }

  async addSavedMessage(message: SavedMessageRecord): Promise<void> {
    this.sql('INSERT OR REPLACE INTO saved_messages (id, name, data, encoding, ending, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(message.id, message.name, message.data, message.encoding, message.ending, message.createdAt);
  }

  async removeSavedMessage(id: string): Promise<boolean> {
    return this.sql('DELETE FROM saved_messages WHERE id = ?').run(id).changes > 0;
  }

  async forgetDevice(id: string): Promise<void> {
    this.db.transaction(() => {
      this.sql('DELETE FROM devices WHERE id = ?').run(id);
      this.sql('DELETE FROM output_states WHERE device_id = ?').run(id);
    })();
  }

  async applyRetention(before: number): Promise<RetentionResult> {
    const result: RetentionResult = { telemetry: 0, events: 0, audit: 0, sessions: 0 };
    result.telemetry = await this.telemetry.deleteBefore(before, this.retentionChunk, () => this.closed);
    result.events = await this.deleteChunked('events', 'time < ?', before);
    result.audit = await this.deleteChunked('audit', 'time < ?', before);
    result.sessions = await this.deleteChunked('sessions', 'closed_at IS NOT NULL AND closed_at < ?', before);
    return result;
  }

  /** Deletes matching rows `retentionChunk` at a time, yielding between chunks. */
  private async deleteChunked(table: string, condition: string, before: number): Promise<number> {
    const remove = this.sql(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${condition} LIMIT ?)`);
    let total = 0;
    for (let round = 0; round < 1_000_000 && !this.closed; round++) {
      const { changes } = remove.run(before, this.retentionChunk);
      total += changes;
      if (changes < this.retentionChunk) break;
      await yieldToEventLoop();
    }
    return total;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.checkpointer?.close();
    this.db.pragma('optimize');
    // The last connection to close checkpoints the WAL and removes it.
    this.db.close();
  }
}

/** Opens (creating or migrating as needed) the SQLite store at `options.path`. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const memory = options.path === ':memory:';
  if (!memory) mkdirSync(dirname(options.path), { recursive: true });
  let db: SqliteDatabase;
  try {
    db = new Database(options.path);
  } catch (err) {
    throw new PicolinkError(ErrorCode.CONFIG, `cannot open the hub database ${options.path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // WAL: readers never block the writer. synchronous=NORMAL: a commit is durable once the
    // WAL is synced at checkpoint; a power cut can lose the last commits, never corrupt.
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma(`cache_size = -${Math.max(1024, Math.floor(options.cacheKiB ?? 16_384))}`);
    db.pragma('temp_store = MEMORY');
    migrate(db, options.path);
  } catch (err) {
    db.close();
    if (err instanceof PicolinkError) throw err;
    throw new PicolinkError(ErrorCode.CONFIG, `cannot use the hub database ${options.path}: ${(err as Error).message}`, { cause: err });
  }
  const intervalMs = options.checkpointIntervalMs ?? 200;
  const checkpointer = memory || intervalMs <= 0 ? undefined : await startCheckpointer(db, options.path, intervalMs);
  return new SqliteStore(db, options, checkpointer);
}
