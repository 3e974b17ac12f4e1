/**
 * The SQLite schema, as a list of migrations. `PRAGMA user_version` holds the number of
 * migrations applied; opening a file runs the missing ones in one transaction each, and
 * refuses a file written by a newer picolink (a higher version than this code knows).
 *
 * Telemetry is stored normalised: `series` maps each (device, metric) pair to a small
 * integer once, and each reading is a row (series_id, time, value) indexed by
 * (series_id, time) — the (device, metric, time) index, at a third of the size. The
 * `telemetry_rows` view joins them back for people reading the file with `sqlite3`.
 */
import type { Database } from 'better-sqlite3';
import { ErrorCode, PicolinkError } from '@picolink/protocol';

/** Each entry upgrades the schema from version (index) to version (index + 1). */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    mode TEXT NOT NULL,
    address TEXT,
    firmware TEXT,
    info TEXT,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
  );

  CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    address TEXT,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    close_reason TEXT
  );
  CREATE INDEX sessions_device_opened ON sessions (device_id, opened_at);
  CREATE INDEX sessions_closed ON sessions (closed_at) WHERE closed_at IS NOT NULL;

  CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    UNIQUE (device_id, metric)
  );
  CREATE TABLE telemetry (
    series_id INTEGER NOT NULL,
    time INTEGER NOT NULL,
    value REAL NOT NULL
  );
  CREATE INDEX telemetry_series_time ON telemetry (series_id, time);
  CREATE VIEW telemetry_rows AS
    SELECT s.device_id AS device_id, s.metric AS metric, t.time AS time, t.value AS value
    FROM telemetry t JOIN series s ON s.id = t.series_id;

  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    type TEXT NOT NULL,
    time INTEGER NOT NULL,
    device_time INTEGER,
    data TEXT NOT NULL
  );
  CREATE INDEX events_time ON events (time);
  CREATE INDEX events_device_time ON events (device_id, time);

  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    actor TEXT NOT NULL,
    device_id TEXT NOT NULL,
    action TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT NOT NULL,
    response TEXT
  );
  CREATE INDEX audit_time ON audit (time);
  CREATE INDEX audit_device_time ON audit (device_id, time);

  CREATE TABLE output_states (
    device_id TEXT NOT NULL,
    pin TEXT NOT NULL,
    setup TEXT,
    value INTEGER,
    lease_until INTEGER,
    lease_value INTEGER,
    lease_write INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, pin)
  ) WITHOUT ROWID;
  `,
  // 2: devices added through the API (POST /api/devices).
  `
  CREATE TABLE managed_devices (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    telemetry_key TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 3: messages saved in the dashboard's network tools.
  `
  CREATE TABLE saved_messages (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    encoding TEXT NOT NULL,
    ending TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database up to SCHEMA_VERSION; returns the version it found. */
export function migrate(db: Database, path: string): number {
  const found = db.pragma('user_version', { simple: true }) as number;
  if (found > SCHEMA_VERSION) {
    throw new PicolinkError(
      ErrorCode.CONFIG,
      `the hub database ${path} has schema version ${found}, newer than this picolink understands (${SCHEMA_VERSION}); upgrade picolink or point dataDir elsewhere`,
    );
  }
  for (let version = found; version < SCHEMA_VERSION; version++) {
    const step = db.transaction(() => {
      db.exec(MIGRATIONS[version] ?? '');
      db.pragma(`user_version = ${version + 1}`);
    });
    step();
  }
  return found;
}
