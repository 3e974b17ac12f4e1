/**
 * `HubCluster`: one hub's part among the hubs sharing a PostgreSQL store
 * (docs/scaling.md#several-hubs-on-one-postgresql). Only a hub on PostgreSQL starts one.
 *
 * - A link that comes online is claimed in `device_presence` with the next epoch and
 *   announced on the channel, in one statement with the other claims of the same few
 *   milliseconds (state/key-batch.ts); a clean end deletes the row if this hub still holds it.
 * - Fencing: a claim with a higher epoch for a device this hub holds takes the link out
 *   of the directory (no command goes on it from then on) and closes it, without
 *   recording the device offline: it is online on the other hub. The renewal catches a
 *   claim whose notification was missed.
 * - Every heartbeatMs / 3: one statement renews this hub and its rows; then the sweep
 *   deletes rows nobody renewed and records those devices offline, once across hubs.
 * - The mirror of other hubs' devices (remote-devices.ts) follows their announcements.
 * - Recorded events reach the other hubs' live streams (event-relay.ts).
 */
import type { RateLimitedLog } from '@picolink/net';
import { sleep } from '@picolink/net';
import type { HubBus } from '../bus.js';
import type { DeviceDirectory, DeviceLink } from '../directory.js';
import type { EventRecorder } from '../state/event-recorder.js';
import type { OnlineSession, PresenceClaims } from '../state/presence.js';
import type { PostgresClusterAccess } from '../store/postgres.js';
import type { HubStore } from '../store/store.js';
import { ClusterChannel } from './channel.js';
import type { ClusterMessage } from './channel.js';
import { EventRelay } from './event-relay.js';
import { KeyBatch } from '../state/key-batch.js';
import { PresenceTable } from './presence-table.js';
import type { ClaimRequest, ClaimResult, PresenceRow } from './presence-table.js';
import { RemoteDevices } from './remote-devices.js';
import type { PresenceMessage } from './remote-devices.js';

export interface HubClusterOptions {
  hubId: string;
  /** The hub's version, kept in `cluster_hubs`. */
  version: string;
  access: PostgresClusterAccess;
  store: HubStore;
  bus: HubBus;
  directory: DeviceDirectory;
  events: EventRecorder;
  log: RateLimitedLog;
  /** A presence row lives this long without renewal, ms; renewed every third of it. The gateway's heartbeat. */
  heartbeatMs: number;
  /** Reconnect backoff of the channel's listening connection (and its jitter's random numbers). Default `@picolink/net`'s, Math.random. */
  channelBackoff?: { baseMs?: number; maxMs?: number; random?: () => number };
}

/** A device this hub claimed. */
interface Held {
  readonly session: OnlineSession;
  /** Set once the claim committed; undefined before, or when the hub gave way. */
  epoch: number | undefined;
  /** Date.now() when the claim's answer came (after its commit). */
  claimedAt: number;
  claimed: Promise<void>;
}

export class HubCluster implements PresenceClaims {
  readonly hubId: string;
  readonly channel: ClusterChannel;
  readonly events: EventRelay;
  private readonly table: PresenceTable;
  /** Claims of the same few milliseconds, made and announced in one statement. */
  private readonly claims: KeyBatch<ClaimRequest, ClaimResult>;
  private readonly remote: RemoteDevices;
  private readonly held = new Map<string, Held>();
  private readonly work = new Set<Promise<unknown>>();
  private readonly stop = new AbortController();
  private readonly startedAt = Date.now();
  private loop: Promise<void> | undefined;

  private constructor(private readonly options: HubClusterOptions) {
    this.hubId = options.hubId;
    this.table = new PresenceTable(options.access.pool, options.hubId, options.heartbeatMs);
    this.claims = new KeyBatch(
      (requests) => this.table.claimMany(requests, Date.now()),
      (request) => request.row.deviceId,
    );
    this.remote = new RemoteDevices(options.directory, options.bus);
    this.channel = new ClusterChannel({
      hubId: options.hubId,
      ...options.access,
      log: (line) => options.log.limited('cluster', line),
      ...(options.channelBackoff ? { backoff: options.channelBackoff, ...(options.channelBackoff.random ? { random: options.channelBackoff.random } : {}) } : {}),
    });
    this.events = new EventRelay(this.channel, options.bus, (line) => options.log.limited('cluster-events', line));
  }

  /** Joins the cluster: listens, registers this hub, loads the mirror, starts renewing. */
  static async start(options: HubClusterOptions): Promise<HubCluster> {
    const cluster = new HubCluster(options);
    cluster.channel.on('presence', (message) => cluster.onPresence(message));
    cluster.channel.onReconnect(() => cluster.reload());
    await cluster.channel.start();
    try {
      await cluster.table.renew(cluster.startedAt, options.version);
      await cluster.reload();
    } catch (err) {
      await cluster.events.close();
      await cluster.channel.close();
      throw err;
    }
    cluster.loop = cluster.renewLoop();
    return cluster;
  }

  claim(session: OnlineSession): void {
    const { link } = session;
    const held: Held = { session, epoch: undefined, claimedAt: 0, claimed: Promise.resolve() };
    const earlier = this.held.get(link.deviceId)?.claimed;
    this.held.set(link.deviceId, held);
    held.claimed = this.track(`claiming "${link.deviceId}"`, async () => {
      // Claims of one device one after another, so the newest link gets the highest epoch;
      // a link already replaced by a newer one on this hub claims nothing.
      await earlier;
      const sessionId = (await session.sessionId) ?? null;
      if (this.held.get(link.deviceId) !== held) return;
      const result = await this.claims.add({
        row: { deviceId: link.deviceId, mode: link.mode, address: link.address, protocol: link.protocol, capabilities: [...link.capabilities], connectedAt: link.connectedAt, sessionId },
        takeOver: link.mode !== 'server',
      });
      held.epoch = result.epoch;
      held.claimedAt = Date.now();
      if (result.epoch === undefined) {
        // A server-mode link to a device another live hub holds: this hub gives way.
        this.fence(link, `device "${link.deviceId}" is connected to hub ${result.previousHub ?? 'unknown'}`);
        return;
      }
      if (result.previousHub !== null) this.remote.forget(link.deviceId, result.previousHub);
      if (result.previousHub !== null && result.previousHub !== this.hubId && result.previousSession !== null) {
        // Its holder closes it too when it is alive; a hub that died never will.
        await this.options.store.closeSession(result.previousSession, Date.now(), `taken over by hub ${this.hubId}`);
      }
      if (!result.announced) await this.announce(link, result.epoch, true);
    });
  }

  release(session: OnlineSession, reason: string): void {
    const { deviceId } = session.link;
    const held = this.held.get(deviceId);
    // An older session of a device whose newer link is claimed already: nothing of it is left.
    if (held?.session !== session) return;
    this.held.delete(deviceId);
    this.track(`releasing "${deviceId}"`, async () => {
      await held.claimed;
      if (held.epoch === undefined) return;
      if (await this.table.release(deviceId, held.epoch)) await this.announce(session.link, held.epoch, false, reason);
    });
  }

  /** Stops renewing, waits for running work, leaves `cluster_hubs` and closes the channel. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
    while (this.work.size > 0) await Promise.all([...this.work]);
    await this.events.close();
    await this.table.leave().catch(() => {});
    await this.channel.close();
  }

  private async announce(link: DeviceLink, epoch: number, online: boolean, reason?: string): Promise<void> {
    const message: Omit<PresenceMessage, 'kind'> & { kind: 'presence' } = {
      kind: 'presence',
      deviceId: link.deviceId,
      hubId: this.hubId,
      epoch,
      online,
      mode: link.mode,
      address: link.address,
      protocol: link.protocol,
      capabilities: [...link.capabilities],
      connectedAt: link.connectedAt,
      time: Date.now(),
      ...(reason === undefined ? {} : { reason }),
    };
    await this.channel.publish(message);
  }

  /** A presence message: one device, or (claims announced together) `devices`, each with the message's hub, online and time. */
  private async onPresence(raw: ClusterMessage): Promise<void> {
    if (!Array.isArray(raw.devices)) return this.onDevicePresence(raw as unknown as PresenceMessage);
    for (const entry of raw.devices as unknown[]) {
      if (entry === null || typeof entry !== 'object') continue;
      await this.onDevicePresence({ ...(entry as PresenceMessage), kind: 'presence', hubId: raw.hubId as string, online: raw.online === true, time: Number(raw.time) });
    }
  }

  private async onDevicePresence(message: PresenceMessage): Promise<void> {
    if (typeof message.deviceId !== 'string' || typeof message.hubId !== 'string' || typeof message.epoch !== 'number') return;
    const held = this.held.get(message.deviceId);
    if (held) {
      await held.claimed;
      if (held.epoch !== undefined && message.epoch <= held.epoch) return;
      if (message.online) this.fence(held.session.link, `taken over by hub ${message.hubId}`);
    }
    this.remote.apply(message);
  }

  /** Takes the link out of the directory (no command goes on it) and closes it. */
  private fence(link: DeviceLink, reason: string): void {
    this.options.directory.remove(link);
    link.close(reason);
  }

  private async reload(): Promise<void> {
    this.remote.load(await this.table.others());
  }

  private async renewLoop(): Promise<void> {
    const { signal } = this.stop;
    const periodMs = Math.max(10, Math.floor(this.options.heartbeatMs / 3));
    while (!signal.aborted) {
      await sleep(periodMs, signal);
      if (signal.aborted) return;
      try {
        await this.renew();
        for (const row of await this.table.sweep()) await this.swept(row);
      } catch (err) {
        this.options.log.limited('cluster', `cluster: renewing presence failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Renews; a link whose device this hub no longer holds was fenced while a notification was missed. */
  private async renew(): Promise<void> {
    const started = Date.now();
    const stillHeld = await this.table.renew(this.startedAt, this.options.version);
    for (const [deviceId, held] of this.held) {
      if (held.epoch === undefined || held.claimedAt >= started) continue;
      if (stillHeld.get(deviceId) !== held.epoch) this.fence(held.session.link, 'taken over by another hub');
    }
  }

  /** A row nobody renewed: the device is offline, recorded once across the hubs. */
  private async swept(row: PresenceRow): Promise<void> {
    const now = Date.now();
    const reason = `hub ${row.hubId} stopped renewing`;
    const held = this.held.get(row.deviceId);
    if (row.hubId === this.hubId && held?.epoch === row.epoch) this.fence(held.session.link, reason);
    const { events, store, bus } = this.options;
    events.record({ deviceId: row.deviceId, type: 'offline', time: now, data: { mode: row.mode, address: row.address, reason } });
    if (row.sessionId !== null) await store.closeSession(row.sessionId, now, reason);
    if (row.hubId === this.hubId) bus.emit('status', { deviceId: row.deviceId, online: false, time: now });
    else this.remote.forget(row.deviceId, row.hubId, now);
    await this.channel.publish({ ...row, kind: 'presence', online: false, time: now, reason });
  }

  private track(what: string, run: () => Promise<void>): Promise<void> {
    const running = run().catch((err: unknown) => {
      this.options.log.limited('cluster', `cluster: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.work.add(running);
    void running.then(() => this.work.delete(running));
    return running;
  }
}
