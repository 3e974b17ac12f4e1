/**
 * `PresenceTable`: the statements on `device_presence` and `cluster_hubs` that decide which
 * hub holds each device's connection. Every expiry is on the database clock (`now()`), so
 * hubs whose clocks disagree still agree on who has stopped renewing.
 */
import type { Pool } from 'pg';
import type { DeviceMode } from '../store/store.js';

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
   * Takes the device's row for this hub with the next epoch. With `takeOver` false (a
   * server-mode link: the hub chose to connect) a row another hub holds and renews is
   * left alone and the result has no epoch.
   */
  async claim(row: Omit<PresenceRow, 'hubId' | 'epoch'>, takeOver: boolean): Promise<ClaimResult> {
    const { rows } = await this.pool.query<{ epoch: number | null; previous_hub: string | null; previous_live: boolean | null; previous_session: number | null }>(
      `WITH previous AS (
         SELECT hub_id, session_id, expires_at > now() AS live FROM device_presence WHERE device_id = $1 FOR UPDATE
       ), claimed AS (
         INSERT INTO device_presence (device_id, hub_id, epoch, mode, address, protocol, capabilities, connected_at, session_id, expires_at)
         VALUES ($1, $2, 1, $3, $4, $5, $6::jsonb, $7, $8, now() + $9 * interval '1 millisecond')
         ON CONFLICT (device_id) DO UPDATE SET
           hub_id = excluded.hub_id, epoch = device_presence.epoch + 1, mode = excluded.mode, address = excluded.address,
           protocol = excluded.protocol, capabilities = excluded.capabilities, connected_at = excluded.connected_at,
           session_id = excluded.session_id, expires_at = excluded.expires_at
         WHERE $10 OR device_presence.hub_id = excluded.hub_id OR device_presence.expires_at <= now()
         RETURNING epoch
       )
       SELECT (SELECT epoch FROM claimed) AS epoch, (SELECT hub_id FROM previous) AS previous_hub,
              (SELECT live FROM previous) AS previous_live, (SELECT session_id FROM previous) AS previous_session`,
      [row.deviceId, this.hubId, row.mode, row.address, row.protocol, JSON.stringify(row.capabilities), row.connectedAt, row.sessionId, this.ttlMs, takeOver],
    );
    const found = rows[0];
    return {
      epoch: found?.epoch ?? undefined,
      previousHub: found?.previous_hub ?? null,
      previousLive: found?.previous_live === true,
      previousSession: found?.previous_session ?? null,
    };
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
