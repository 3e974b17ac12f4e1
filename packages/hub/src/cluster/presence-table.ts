/**
 * `PresenceTable`: the statements on `device_presence` and `cluster_hubs` that decide which
 * hub holds each device's connection. Every expiry is on the database clock (`now()`), so
 * hubs whose clocks disagree still agree on who has stopped renewing.
 */
import type { Pool } from 'pg';
import type { DeviceMode } from '../store/store.js';
import { CLUSTER_CHANNEL } from './channel.js';

/** A device's row: the hub holding its connection and what that hub knows of the link. */
export interface PresenceRow {
  deviceId: string;
  hubId: string;
  epoch: number;
  mode: DeviceMode;
  address: string | null;
  protocol: number | null;
  capabilities: string[];
  connectedAt: number | null;
  sessionId: number | null;
}

/** One device to claim. */
export interface ClaimRequest {
  row: Omit<PresenceRow, 'hubId' | 'epoch'>;
  /** Take the row even from another live hub (a device that dialed in); false for a server-mode link. */
  takeOver: boolean;
}

/** What a claim found and did. */
export interface ClaimResult {
  /** The claim's epoch, or undefined when the hub gave way (server mode, another live holder). */
  epoch: number | undefined;
  /** The hub that held the row before, if there was one. */
  previousHub: string | null;
  /** Whether that row had not expired yet. */
  previousLive: boolean;
  /** The store session of the previous holder. */
  previousSession: number | null;
  /** Whether the claim's statement announced it to the other hubs (claimMany with announceAt). */
  announced: boolean;
}

/** Largest batched `presence` notification, bytes (PostgreSQL refuses past 8000; the channel sends up to 7000). */
export const ANNOUNCE_BYTES = 6000;
/** PostgreSQL's SQLSTATE for a deadlock it broke by failing one statement. */
const DEADLOCK_DETECTED = '40P01';
const DEADLOCK_ATTEMPTS = 3;

interface ClaimedRow {
  device_id: string;
  epoch: string | number | null;
  chunk: number;
  previous_hub: string | null;
  previous_live: boolean | null;
  previous_session: string | number | null;
}

/**
 * The upsert of the claims chosen by `which` (a condition on `input`), updating a row only
 * when `condition` holds. It reads `previous` first: the previous rows are read and locked
 * before the upsert changes them (a row this statement already changed is not locked again).
 */
function claimInsert(which: string, condition: string): string {
  return `INSERT INTO device_presence AS p (device_id, hub_id, epoch, mode, address, protocol, capabilities, connected_at, session_id, expires_at)
    SELECT device_id, $1, 1, mode, address, protocol, capabilities::jsonb, connected_at, session_id, now() + $11 * interval '1 millisecond'
    FROM input WHERE ${which} AND (SELECT count(*) FROM previous) >= 0 ORDER BY device_id
    ON CONFLICT (device_id) DO UPDATE SET
      hub_id = excluded.hub_id, epoch = p.epoch + 1, mode = excluded.mode, address = excluded.address,
      protocol = excluded.protocol, capabilities = excluded.capabilities, connected_at = excluded.connected_at,
      session_id = excluded.session_id, expires_at = excluded.expires_at
    ${condition}
    RETURNING device_id, epoch`;
}

/**
 * The claims, the previous rows (locked in device-id order), and per announcement chunk
 * one pg_notify of `{ kind: 'presence', from, hubId, online: true, time, devices: [...] }`.
 * $1 hub id; $2-$10 one array element per device; $11 ttl ms; $12 announcement time.
 */
const CLAIM_MANY = `WITH input AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::bigint[], $8::bigint[], $9::bool[], $10::int[])
      AS t(device_id, mode, address, protocol, capabilities, connected_at, session_id, take_over, chunk)
  ), previous AS (
    SELECT device_id, hub_id, session_id, expires_at > now() AS live FROM device_presence
    WHERE device_id = ANY($2::text[]) ORDER BY device_id FOR UPDATE
  ), taken AS (
    ${claimInsert('take_over', '')}
  ), joined AS (
    -- Server-mode links: a row another hub holds and renews is left to it.
    ${claimInsert('NOT take_over', 'WHERE p.hub_id = excluded.hub_id OR p.expires_at <= now()')}
  ), result AS (
    SELECT c.device_id, c.epoch, i.chunk, i.mode, i.address, i.protocol, i.capabilities, i.connected_at
    FROM (SELECT * FROM taken UNION ALL SELECT * FROM joined) c JOIN input i USING (device_id)
  ), notified AS (
    SELECT pg_notify('${CLUSTER_CHANNEL}', json_build_object('kind', 'presence', 'from', $1::text, 'hubId', $1::text, 'online', true, 'time', $12::bigint,
             'devices', json_agg(json_build_object('deviceId', device_id, 'epoch', epoch, 'mode', mode, 'address', address, 'protocol', protocol,
               'capabilities', capabilities::json, 'connectedAt', connected_at) ORDER BY device_id))::text)
    FROM result WHERE chunk >= 0 GROUP BY chunk
  )
  SELECT i.device_id, r.epoch, i.chunk, p.hub_id AS previous_hub, p.live AS previous_live, p.session_id AS previous_session,
         (SELECT count(*) FROM notified) AS notifications
  FROM input i LEFT JOIN result r USING (device_id) LEFT JOIN previous p USING (device_id)`;

/**
 * Which batched notification announces each claim (-1: none, its entry alone is too big).
 * Sizes are reckoned as PostgreSQL writes the JSON (spaces around ":" and after ",") with
 * the longest epoch, so every notification stays under ANNOUNCE_BYTES.
 */
function announcementChunks(requests: readonly ClaimRequest[]): number[] {
  const envelope = 200;
  let chunk = 0;
  let used = envelope;
  return requests.map(({ row }) => {
    const entry = { deviceId: row.deviceId, epoch: Number.MAX_SAFE_INTEGER, mode: row.mode, address: row.address, protocol: row.protocol, capabilities: row.capabilities, connectedAt: row.connectedAt };
    const text = JSON.stringify(entry);
    // Every ':' and ',' may gain a space; counted on the text, so one inside a string counts too.
    const bytes = Buffer.byteLength(text) + 2 * (text.split(/[:,]/).length - 1) + 4;
    if (envelope + bytes > ANNOUNCE_BYTES) return -1;
    if (used + bytes > ANNOUNCE_BYTES) {
      chunk += 1;
      used = envelope;
    }
    used += bytes;
    return chunk;
  });
}

const COLUMNS = `device_id AS "deviceId", hub_id AS "hubId", epoch, mode, address, protocol,
  coalesce(capabilities, '[]'::jsonb) AS capabilities, connected_at AS "connectedAt", session_id AS "sessionId"`;

export class PresenceTable {
  constructor(
    private readonly pool: Pool,
    private readonly hubId: string,
    /** How long a row lives without renewal, ms (the gateway's heartbeat). */
    private readonly ttlMs: number,
  ) {}

  /**
   * Takes the devices' rows for this hub, each with its next epoch, in one statement
   * (device ids distinct). With `takeOver` false (a server-mode link: the hub chose to
   * connect) a row another hub holds and renews is left alone and the result has no
   * epoch. With `announceAt` (the announcement's time, ms) the same statement notifies
   * the other hubs of the claims it made, as batched `presence` messages of at most ANNOUNCE_BYTES each (PostgreSQL's
   * limit is 8000): the notifications go out when the claims commit, never without them.
   * A claim whose announcement alone would pass that size is made but not announced
   * (`announced` false): the caller announces it through the channel's mail.
   *
   * Rows are locked in device-id order, so two hubs claiming overlapping devices at once
   * wait for each other instead of deadlocking; the renewal and the sweep lock in another
   * order, and a claim statement PostgreSQL picks to end a deadlock is retried.
   */
  async claimMany(requests: readonly ClaimRequest[], announceAt?: number): Promise<ClaimResult[]> {
    const sorted = [...requests].sort((a, b) => (a.row.deviceId < b.row.deviceId ? -1 : a.row.deviceId > b.row.deviceId ? 1 : 0));
    const chunks = announceAt === undefined ? sorted.map(() => -1) : announcementChunks(sorted);
    const capabilities = sorted.map((request) => JSON.stringify(request.row.capabilities));
    const params = [
      this.hubId,
      sorted.map((request) => request.row.deviceId),
      sorted.map((request) => request.row.mode),
      sorted.map((request) => request.row.address),
      sorted.map((request) => request.row.protocol),
      capabilities,
      sorted.map((request) => request.row.connectedAt),
      sorted.map((request) => request.row.sessionId),
      sorted.map((request) => request.takeOver),
      chunks,
      this.ttlMs,
      announceAt ?? 0,
    ];
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { rows } = await this.pool.query<ClaimedRow>(CLAIM_MANY, params);
        const byDevice = new Map(rows.map((row) => [row.device_id, row]));
        return requests.map((request) => {
          const found = byDevice.get(request.row.deviceId);
          const epoch = found?.epoch === null || found?.epoch === undefined ? undefined : Number(found.epoch);
          return {
            epoch,
            previousHub: found?.previous_hub ?? null,
            previousLive: found?.previous_live === true,
            previousSession: found?.previous_session === null || found?.previous_session === undefined ? null : Number(found.previous_session),
            announced: epoch !== undefined && found?.chunk !== undefined && found.chunk >= 0,
          };
        });
      } catch (err) {
        if ((err as { code?: unknown }).code !== DEADLOCK_DETECTED || attempt >= DEADLOCK_ATTEMPTS) throw err;
      }
    }
  }

  /** Deletes the row if this hub still holds it with `epoch`; true when it did. */
  async release(deviceId: string, epoch: number): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM device_presence WHERE device_id = $1 AND hub_id = $2 AND epoch = $3', [deviceId, this.hubId, epoch]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * One statement: this hub's `cluster_hubs` row and every device row it holds live for
   * another ttl. Returns the devices it still holds, with their epochs.
   */
  async renew(startedAt: number, version: string): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ device_id: string; epoch: number }>(
      `WITH hub AS (
         INSERT INTO cluster_hubs (hub_id, started_at, expires_at, version) VALUES ($1, $2, now() + $3 * interval '1 millisecond', $4)
         ON CONFLICT (hub_id) DO UPDATE SET expires_at = excluded.expires_at
       )
       UPDATE device_presence SET expires_at = now() + $3 * interval '1 millisecond' WHERE hub_id = $1 RETURNING device_id, epoch`,
      [this.hubId, startedAt, this.ttlMs, version],
    );
    return new Map(rows.map((row) => [row.device_id, row.epoch]));
  }

  /**
   * Deletes the rows no hub renewed in time (and hubs gone quiet); each row comes back to
   * exactly one of the hubs sweeping at once, which records the device offline.
   */
  async sweep(): Promise<PresenceRow[]> {
    const { rows } = await this.pool.query<PresenceRow>(
      `WITH quiet AS (DELETE FROM cluster_hubs WHERE expires_at < now())
       DELETE FROM device_presence WHERE expires_at < now() RETURNING ${COLUMNS}`,
    );
    return rows;
  }

  /** The live rows other hubs hold: what the mirror starts from. */
  async others(): Promise<PresenceRow[]> {
    const { rows } = await this.pool.query<PresenceRow>(`SELECT ${COLUMNS} FROM device_presence WHERE hub_id <> $1 AND expires_at > now()`, [this.hubId]);
    return rows;
  }

  /** This hub stops: its `cluster_hubs` row goes. */
  async leave(): Promise<void> {
    await this.pool.query('DELETE FROM cluster_hubs WHERE hub_id = $1', [this.hubId]);
  }
}
