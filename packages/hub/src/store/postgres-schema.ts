/**
 * The PostgreSQL schema, as a list of migrations. The `schema_version` table holds one
 * row per migration applied; opening a database runs the missing ones, each in its own
 * transaction under an advisory lock (so hubs starting together migrate once), and
 * refuses a database written by a newer picolink.
 *
 * Tables mirror the SQLite store's (store/sqlite-schema.ts): times are Unix ms in bigint
 * columns, JSON fields are `json` (kept as written, key order included). Telemetry is a
 * table partitioned by range of time (store/postgres-partitions.ts creates the
 * partitions), each reading a row (series_id, time, value) under the covering index
 * (series_id, time) INCLUDE (value), so a bucketed query reads the index alone.
 */
import type { PoolClient } from 'pg';
import { ErrorCode, PicolinkError } from '@picolink/protocol';

/** Each entry upgrades the schema from version (index) to version (index + 1). */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE devices (
    id text PRIMARY KEY,
    mode text NOT NULL,
    address text,
    firmware text,
    info json,
    first_seen bigint NOT NULL,
    last_seen bigint NOT NULL
  );

  CREATE TABLE sessions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id text NOT NULL,
    mode text NOT NULL,
    address text,
    opened_at bigint NOT NULL,
    closed_at bigint,
    close_reason text
  );
  CREATE INDEX sessions_device_opened ON sessions (device_id, opened_at);
  CREATE INDEX sessions_closed ON sessions (closed_at) WHERE closed_at IS NOT NULL;

  CREATE TABLE series (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id text NOT NULL,
    metric text NOT NULL,
    UNIQUE (device_id, metric)
  );
  CREATE TABLE telemetry (
    series_id integer NOT NULL,
    time bigint NOT NULL,
    value double precision NOT NULL
  ) PARTITION BY RANGE (time);
  CREATE INDEX telemetry_series_time ON telemetry (series_id, time) INCLUDE (value);
  -- Rows outside the window partitions are created for (store/postgres-partitions.ts).
  CREATE TABLE telemetry_outside PARTITION OF telemetry DEFAULT;
  CREATE VIEW telemetry_rows AS
    SELECT s.device_id, s.metric, t.time, t.value
    FROM telemetry t JOIN series s ON s.id = t.series_id;

  CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id text NOT NULL,
    type text NOT NULL,
    time bigint NOT NULL,
    device_time bigint,
    data json NOT NULL
  );
  CREATE INDEX events_time ON events (time);
  CREATE INDEX events_device_time ON events (device_id, time);

  CREATE TABLE audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time bigint NOT NULL,
    actor text NOT NULL,
    device_id text NOT NULL,
    action text NOT NULL,
    request json NOT NULL,
    result text NOT NULL,
    response json
  );
  CREATE INDEX audit_time ON audit (time);
  CREATE INDEX audit_device_time ON audit (device_id, time);

  CREATE TABLE output_states (
    device_id text NOT NULL,
    pin text NOT NULL,
    setup json,
    value smallint,
    lease_until bigint,
    lease_value smallint,
    lease_write smallint,
    updated_at bigint NOT NULL,
    PRIMARY KEY (device_id, pin)
  );

  CREATE TABLE managed_devices (
    id text PRIMARY KEY,
    token_hash text NOT NULL,
    telemetry_key text NOT NULL,
    created_at bigint NOT NULL
  );

  CREATE TABLE saved_messages (
    id text PRIMARY KEY,
    name text NOT NULL,
    data text NOT NULL,
    encoding text NOT NULL,
    ending text NOT NULL,
    created_at bigint NOT NULL
  );
  `,
  // Several hubs on one database (cluster/): the hubs alive, who holds each device's
  // connection (expiry on the database clock, renewed by the holder), and bodies of
  // cluster messages too big for one notification.
  `
  CREATE TABLE cluster_hubs (
    hub_id text PRIMARY KEY,
    started_at bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    version text
  );

  CREATE TABLE device_presence (
    device_id text PRIMARY KEY,
    hub_id text NOT NULL,
    epoch bigint NOT NULL,
    mode text,
    address text,
    protocol integer,
    capabilities jsonb,
    connected_at bigint,
    session_id bigint,
    expires_at timestamptz NOT NULL
  );
  CREATE INDEX device_presence_hub ON device_presence (hub_id);
  CREATE INDEX device_presence_expires ON device_presence (expires_at);

  CREATE TABLE cluster_mail (
    id bigserial PRIMARY KEY,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  `,
  // Datagrams whose readings are stored, by (device, boot, seq): a datagram that reaches
  // several hubs sharing the database is stored once (store/postgres-telemetry.ts). The
  // device is named by the lowest series id among the datagram's readings, a number being
  // cheaper to index than its id (1.3× the rows per second of a text key, measured). Keys
  // older than a replay window are deleted, so the table stays small. A logged table: an
  // UNLOGGED one measured no faster here, and it would be emptied by a crash of the
  // server and missing on a promoted standby, forgetting which datagrams were stored.
  `
  CREATE TABLE telemetry_datagrams (
    series_id integer NOT NULL,
    boot bigint NOT NULL,
    seq bigint NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (series_id, boot, seq)
  );
  `,
];

/** The schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** Key of the advisory lock held while migrating (any constant; "picolink" in ASCII). */
const MIGRATION_LOCK = 0x7069636f6c696e6bn;

/**
 * Brings the database (in `schema`, created when missing) up to POSTGRES_SCHEMA_VERSION;
 * returns the version it found.
 */
export async function migratePostgres(client: PoolClient, schema: string, where: string): Promise<number> {
  let found: number | undefined;
  for (;;) {
    await client.query('BEGIN');
    try {
      // Everything under the lock, the schema and the version table included: a second
      // hub starting at the same moment waits here, then finds the work done.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
      // Created only when missing: CREATE SCHEMA IF NOT EXISTS still needs the right to
      // create schemas, which a user given only its own schema does not have.
      const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (rowCount === 0) await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(`SET LOCAL search_path TO "${schema}"`);
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_version');
      const version = rows[0]?.version ?? 0;
      found ??= version;
      if (version > POSTGRES_SCHEMA_VERSION) {
        throw new PicolinkError(
          ErrorCode.CONFIG,
          `the hub database ${where} has schema version ${version}, newer than this picolink understands (${POSTGRES_SCHEMA_VERSION}); upgrade picolink or point the store elsewhere`,
        );
      }
      if (version === POSTGRES_SCHEMA_VERSION) {
        await client.query('COMMIT');
        return found;
      }
      await client.query(MIGRATIONS[version] ?? '');
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [version + 1]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }
}
