/**
 * The HubStore on PostgreSQL, for fleets that outgrow one SQLite file (docs/scaling.md):
 * a pool of connections through node-postgres, the schema migrated on open
 * (postgres-schema.ts), telemetry in day partitions (postgres-telemetry.ts,
 * postgres-partitions.ts). Every call is one statement or one short transaction, so
 * several hubs can share the database. Rows come back in the SQLite store's shapes
 * (JSON columns read as text and converted by rows.ts), so both stores answer
 * alike; the contract suite (test/store-contract.ts) checks that they do.
 */
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { TelemetryPartitions } from './postgres-partitions.js';
import { migratePostgres } from './postgres-schema.js';
import { PostgresTelemetry } from './postgres-telemetry.js';
import { isPostgresUrl, redactPostgresUrl } from './postgres-url.js';
import { checkListLimit } from './query-bounds.js';
import { byPin, jsonOrNull, outputsOf, toAudit, toDevice, toEvent, toOutput } from './rows.js';
import type { AuditRow, DeviceRow, EventRow, OutputRow } from './rows.js';

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

/** The start of a query for remembered outputs, up to its WHERE condition. */
const OUTPUT_SELECT = 'SELECT device_id, pin, setup::text AS setup, value, lease_until, lease_value, lease_write, updated_at FROM output_states WHERE';

export interface PostgresStoreOptions {
  /** A libpq-style URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE (postgresql:// too). */
  url: string;
  /** The schema the hub's tables live in; created when missing. Default "public". */
  schema?: string;
  /** Connections kept in the pool. Default 10. */
  maxConnections?: number;
  /** How long opening waits for the server, in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Receives a line when an idle connection fails (the pool replaces it). Default: none. */
  log?: (line: string) => void;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
const INT8_OID = 20;

/**
 * Values as the SQLite store returns them: bigint columns (times, ids, counts) as numbers.
 * Unix ms and row counts stay far below 2^53.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (text: string) => Number(text) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

type FilterQuery = { deviceId?: string; type?: string; from?: number; to?: number };

const FILTER_CLAUSES: ReadonlyArray<[keyof FilterQuery, string]> = [
  ['deviceId', 'device_id ='],
  ['type', 'type ='],
  ['from', 'time >='],
  ['to', 'time <'],
];

/**
 * What the hubs sharing this database (cluster/) use beside the HubStore: the pool, and
 * a connection of their own (LISTEN holds one for as long as the hub runs).
 */
export interface PostgresClusterAccess {
  readonly pool: Pool;
  /** A new, unconnected client on the store's database and schema, named `applicationName` in pg_stat_activity. */
  newClient(applicationName?: string): pg.Client;
}

export class PostgresStore implements HubStore {
  private readonly telemetry: PostgresTelemetry;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    partitions: TelemetryPartitions,
    /** The URL without its password. */
    readonly where: string,
    private readonly clientConfig: pg.ClientConfig = {},
  ) {
    this.telemetry = new PostgresTelemetry(pool, partitions);
  }

  /** The pool and dedicated connections, for the cluster of hubs on this database. */
  get cluster(): PostgresClusterAccess {
    const { pool, clientConfig } = this;
    return { pool, newClient: (applicationName) => new pg.Client({ ...clientConfig, ...(applicationName === undefined ? {} : { application_name: applicationName }) }) };
  }

  private async rows<T>(text: string, values: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(text, values)).rows as T[];
  }

  private async changes(text: string, values: unknown[]): Promise<number> {
    return (await this.pool.query(text, values)).rowCount ?? 0;
  }

  async upsertDevice(device: DeviceUpsert): Promise<void> {
    // Absent fields keep their stored value: each optional column has a "given" flag.
    await this.pool.query(
      `INSERT INTO devices (id, mode, address, firmware, info, first_seen, last_seen)
       VALUES ($1, $2, $3, $4, $5::json, $6, $6)
       ON CONFLICT (id) DO UPDATE SET
         mode = excluded.mode,
         address = CASE WHEN $7 THEN excluded.address ELSE devices.address END,
         firmware = CASE WHEN $8 THEN excluded.firmware ELSE devices.firmware END,
         info = CASE WHEN $9 THEN excluded.info ELSE devices.info END,
         first_seen = least(devices.first_seen, excluded.first_seen),
         last_seen = greatest(devices.last_seen, excluded.last_seen)`,
      [device.id, device.mode, device.address ?? null, device.firmware ?? null, jsonOrNull(device.info), device.seenAt, device.address !== undefined, device.firmware !== undefined, device.info !== undefined],
    );
  }

  async getDevice(id: string): Promise<DeviceRecord | undefined> {
    const [row] = await this.rows<DeviceRow>('SELECT id, mode, address, firmware, info::text AS info, first_seen, last_seen FROM devices WHERE id = $1', [id]);
    return row ? toDevice(row) : undefined;
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return (await this.rows<DeviceRow>('SELECT id, mode, address, firmware, info::text AS info, first_seen, last_seen FROM devices ORDER BY id COLLATE "C"')).map(toDevice);
  }

  async openSession(session: { deviceId: string; mode: DeviceMode; address: string | null; openedAt: number }): Promise<number> {
    const [row] = await this.rows<{ id: number }>('INSERT INTO sessions (device_id, mode, address, opened_at) VALUES ($1, $2, $3, $4) RETURNING id', [session.deviceId, session.mode, session.address, session.openedAt]);
    return row?.id ?? 0;
  }

  async closeSession(id: number, closedAt: number, reason: string): Promise<void> {
    // The first close wins: a session ends once.
    await this.pool.query('UPDATE sessions SET closed_at = $1, close_reason = $2 WHERE id = $3 AND closed_at IS NULL', [closedAt, reason, id]);
  }

  async listSessions(deviceId: string, limit?: number): Promise<SessionRecord[]> {
    const columns = 'id, device_id AS "deviceId", mode, address, opened_at AS "openedAt", closed_at AS "closedAt", close_reason AS "closeReason"';
    return this.rows<SessionRecord>(`SELECT ${columns} FROM sessions WHERE device_id = $1 ORDER BY opened_at DESC, id DESC LIMIT $2`, [deviceId, checkListLimit(limit)]);
  }

  async insertTelemetry(rows: readonly TelemetryRow[]): Promise<void> {
    await this.telemetry.insert(rows);
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
    if (events.length === 0) return;
    // One statement for the batch; unnest keeps the arrays' order, so ids follow it.
    await this.pool.query(
      `INSERT INTO events (device_id, type, time, device_time, data)
       SELECT device_id, type, time, device_time, data::json FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) AS e(device_id, type, time, device_time, data)`,
      [events.map((e) => e.deviceId), events.map((e) => e.type), events.map((e) => e.time), events.map((e) => e.deviceTime ?? null), events.map((e) => JSON.stringify(e.data))],
    );
  }

  async listEvents(query: { deviceId?: string; type?: string; from?: number; to?: number; limit?: number }): Promise<HubEventRecord[]> {
    return (await this.newest<EventRow>('events', 'id, device_id, type, time, device_time, data::text AS data', query)).map(toEvent);
  }

  async insertAudit(record: AuditRecord): Promise<void> {
    await this.pool.query('INSERT INTO audit (time, actor, device_id, action, request, result, response) VALUES ($1, $2, $3, $4, $5::json, $6, $7::json)', [
      record.time,
      record.actor,
      record.deviceId,
      record.action,
      JSON.stringify(record.request),
      record.result,
      jsonOrNull(record.response),
    ]);
  }

  async listAudit(query: { deviceId?: string; from?: number; to?: number; limit?: number }): Promise<AuditRecord[]> {
    return (await this.newest<AuditRow>('audit', 'id, time, actor, device_id, action, request::text AS request, result, response::text AS response', query)).map(toAudit);
  }

  /** The newest rows of the events or audit table that pass the query's filters. */
  private newest<T>(table: 'events' | 'audit', columns: string, query: FilterQuery & { limit?: number }): Promise<T[]> {
    const clauses: string[] = [];
    const values: unknown[] = [];
    for (const [key, condition] of FILTER_CLAUSES) {
      const value = query[key];
      if (value === undefined) continue;
      values.push(value);
      clauses.push(`${condition} $${values.length}`);
    }
    values.push(checkListLimit(query.limit));
    const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
    return this.rows<T>(`SELECT ${columns} FROM ${table} ${where} ORDER BY time DESC, id DESC LIMIT $${values.length}`, values);
  }

  async saveOutputState(state: OutputState): Promise<void> {
    await this.pool.query(
      `INSERT INTO output_states (device_id, pin, setup, value, lease_until, lease_value, lease_write, updated_at)
       VALUES ($1, $2, $3::json, $4, $5, $6, $7, $8)
       ON CONFLICT (device_id, pin) DO UPDATE SET setup = excluded.setup, value = excluded.value, lease_until = excluded.lease_until,
         lease_value = excluded.lease_value, lease_write = excluded.lease_write, updated_at = excluded.updated_at`,
      [state.deviceId, String(state.pin), jsonOrNull(state.setup), state.value, state.leaseUntil, state.leaseValue, state.leaseWrite, state.updatedAt],
    );
  }

  async loadOutputStates(deviceId: string): Promise<OutputState[]> {
    const rows = await this.rows<OutputRow>(`${OUTPUT_SELECT} device_id = $1`, [deviceId]);
    return rows.map(toOutput).sort(byPin);
  }

  async loadOutputStatesOf(deviceIds: readonly string[]): Promise<OutputState[][]> {
    return outputsOf(deviceIds, await this.rows<OutputRow>(`${OUTPUT_SELECT} device_id = ANY($1::text[])`, [deviceIds]));
  }

  async deleteOutputState(deviceId: string, pin: number | 'LED'): Promise<void> {
    await this.pool.query('DELETE FROM output_states WHERE device_id = $1 AND pin = $2', [deviceId, String(pin)]);
  }

  async listManagedDevices(): Promise<ManagedDeviceRecord[]> {
    return this.rows<ManagedDeviceRecord>('SELECT id, token_hash AS "tokenHash", telemetry_key AS "telemetryKey", created_at AS "createdAt" FROM managed_devices ORDER BY id COLLATE "C"');
  }

  async addManagedDevice(device: ManagedDeviceRecord): Promise<void> {
    const added = await this.changes('INSERT INTO managed_devices (id, token_hash, telemetry_key, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [device.id, device.tokenHash, device.telemetryKey, device.createdAt]);
    if (added === 0) throw new PicolinkError(ErrorCode.DEVICE_EXISTS, `the hub already stores a device "${device.id}"`);
  }

  async updateManagedDevice(device: ManagedDeviceRecord): Promise<boolean> {
    return (await this.changes('UPDATE managed_devices SET token_hash = $1, telemetry_key = $2, created_at = $3 WHERE id = $4', [device.tokenHash, device.telemetryKey, device.createdAt, device.id])) > 0;
  }

  async removeManagedDevice(id: string): Promise<boolean> {
    return (await this.changes('DELETE FROM managed_devices WHERE id = $1', [id])) > 0;
  }

  async listSavedMessages(): Promise<SavedMessageRecord[]> {
    return this.rows<SavedMessageRecord>('SELECT id, name, data, encoding, ending, created_at AS "createdAt" FROM saved_messages ORDER BY created_at, id COLLATE "C"');
  }

  async addSavedMessage(message: SavedMessageRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO saved_messages (id, name, data, encoding, ending, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data, encoding = excluded.encoding, ending = excluded.ending, created_at = excluded.created_at`,
      [message.id, message.name, message.data, message.encoding, message.ending, message.createdAt],
    );
  }

  async removeSavedMessage(id: string): Promise<boolean> {
    return (await this.changes('DELETE FROM saved_messages WHERE id = $1', [id])) > 0;
  }

  async forgetDevice(id: string): Promise<void> {
    // One statement, so the record and its outputs go together.
    await this.pool.query('WITH gone AS (DELETE FROM devices WHERE id = $1) DELETE FROM output_states WHERE device_id = $1', [id]);
  }

  async applyRetention(before: number): Promise<RetentionResult> {
    return {
      telemetry: await this.telemetry.deleteBefore(before),
      events: await this.changes('DELETE FROM events WHERE time < $1', [before]),
      audit: await this.changes('DELETE FROM audit WHERE time < $1', [before]),
      sessions: await this.changes('DELETE FROM sessions WHERE closed_at IS NOT NULL AND closed_at < $1', [before]),
    };
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

/** Opens the store at `options.url`, creating or migrating its tables as needed. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const schema = options.schema ?? 'public';
  const where = redactPostgresUrl(options.url);
  if (!isPostgresUrl(options.url)) throw new PicolinkError(ErrorCode.CONFIG, `the PostgreSQL store needs a postgres:// URL, not ${where}`);
  if (!SCHEMA_PATTERN.test(schema)) throw new PicolinkError(ErrorCode.CONFIG, `PostgreSQL schema "${schema}" must be lower-case letters, digits and "_"`);
  const clientConfig: pg.ClientConfig = {
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    options: `-c search_path=${schema}`,
    types,
  };
  const pool = new pg.Pool({ ...clientConfig, max: options.maxConnections ?? 10 });
  // An idle connection that fails (the server restarts) is dropped and replaced by the
  // pool; without a listener its error would end the process.
  pool.on('error', function postgresPoolOnError(err: Error) {
    options.log?.(`store: PostgreSQL connection lost: ${err.message}`);
  });
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    await migratePostgres(client, schema, where);
    client.release();
    client = undefined;
    const partitions = new TelemetryPartitions(pool);
    await partitions.open();
    return new PostgresStore(pool, partitions, where, clientConfig);
  } catch (err) {
    client?.release();
    await pool.end().catch(() => {});
    if (err instanceof PicolinkError) throw err;
    throw new PicolinkError(ErrorCode.CONFIG, `cannot use the hub database ${where}: ${(err as Error).message}`, { cause: err });
  }
}
