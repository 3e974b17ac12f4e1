/**
 * Whether each device is online, recorded the same way whichever way it is connected
 * (dial-home gateway or server-mode link): the link goes into the directory, the bus
 * hears `status`, an `online`/`offline` event is recorded, a session is opened and
 * closed in the store, and the device record gets its address, firmware and (from a
 * get_info sent right after it came online) its resource info.
 */
import type { HubBus } from '../bus.js';
import type { DeviceDirectory, DeviceLink } from '../directory.js';
import type { HubStore } from '../store/store.js';
import type { RateLimitedLog } from '@picolink/net';
import type { EventRecorder } from './event-recorder.js';

/** Time allowed for the get_info sent when a device comes online, ms. */
const INFO_TIMEOUT_MS = 10_000;

/**
 * Told of each link as it comes and goes, to claim and release the device among the hubs
 * sharing a PostgreSQL store (cluster/cluster.ts); absent with SQLite.
 */
export interface PresenceClaims {
  claim(session: OnlineSession): void;
  release(session: OnlineSession, reason: string): void;
}

export interface PresenceOptions {
  store: HubStore;
  bus: HubBus;
  directory: DeviceDirectory;
  events: EventRecorder;
  log: RateLimitedLog;
  claims?: PresenceClaims;
}

/** One period during which a link was the device's way in. */
export interface OnlineSession {
  readonly link: DeviceLink;
  readonly since: number;
  /** Store id of the session, once it has been opened (undefined if that failed). */
  readonly sessionId: Promise<number | undefined>;
}

export class DevicePresence {
  /** Store writes still running (upserts, sessions), awaited by drain(). */
  private readonly writes = new Set<Promise<unknown>>();

  constructor(private readonly options: PresenceOptions) {}

  /**
   * A link is up: it becomes the device's link (replacing, and closing, an older one),
   * and everything above is recorded. `details` are what the link learnt on the way in.
   */
  online(link: DeviceLink, details: { firmware?: string | null; data?: Record<string, unknown> } = {}): OnlineSession {
    const { store, bus, directory, events } = this.options;
    const since = Date.now();
    directory.add(link);
    bus.emit('status', { deviceId: link.deviceId, online: true, time: since });
    events.record({
      deviceId: link.deviceId,
      type: 'online',
      time: since,
      data: { mode: link.mode, address: link.address, protocol: link.protocol, firmware: details.firmware ?? null, ...details.data },
    });
    const upsert = store.upsertDevice({ id: link.deviceId, mode: link.mode, address: link.address, firmware: details.firmware ?? null, seenAt: since });
    this.track(upsert, `recording device "${link.deviceId}"`);
    const sessionId = store.openSession({ deviceId: link.deviceId, mode: link.mode, address: link.address, openedAt: since }).then(
      (id) => id,
      (err: unknown) => {
        this.options.log.limited('store', `store: opening a session for "${link.deviceId}" failed: ${describe(err)}`);
        return undefined;
      },
    );
    this.track(sessionId, '');
    this.track(this.fetchInfo(link, upsert), `recording the info of "${link.deviceId}"`);
    const session = { link, since, sessionId };
    this.options.claims?.claim(session);
    return session;
  }

  /**
   * A link ended. The device goes offline unless a newer link already replaced this one
   * (then only this session is closed).
   */
  offline(session: OnlineSession, reason: string): void {
    const { store, bus, directory, events } = this.options;
    const { link } = session;
    const now = Date.now();
    // A link another hub took over was removed from the directory then: the device is not offline.
    const wasCurrent = directory.remove(link);
    this.options.claims?.release(session, reason);
    if (wasCurrent) {
      bus.emit('status', { deviceId: link.deviceId, online: false, time: now });
      events.record({ deviceId: link.deviceId, type: 'offline', time: now, data: { mode: link.mode, address: link.address, reason, onlineMs: now - session.since } });
      this.track(store.upsertDevice({ id: link.deviceId, mode: link.mode, seenAt: now }), `recording device "${link.deviceId}"`);
    }
    this.track(
      session.sessionId.then((id) => (id === undefined ? undefined : store.closeSession(id, now, reason))),
      `closing the session of "${link.deviceId}"`,
    );
  }

  /** Resolves once every store write started so far has finished. */
  async drain(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  /** Asks the device for get_info and records it (after the device record exists). */
  private async fetchInfo(link: DeviceLink, upserted: Promise<void>): Promise<void> {
    let response: Record<string, unknown>;
    try {
      response = await link.send({ action: 'get_info' }, { timeoutMs: INFO_TIMEOUT_MS });
    } catch (err) {
      this.options.log.limited('get-info', `device "${link.deviceId}": get_info after connecting failed: ${describe(err)}`);
      return;
    }
    const info = response.info;
    if (response.ok === false || info === null || typeof info !== 'object' || Array.isArray(info)) return;
    const fields = info as Record<string, unknown>;
    await upserted.catch(() => {});
    await this.options.store.upsertDevice({
      id: link.deviceId,
      mode: link.mode,
      info: fields,
      ...(typeof fields.firmware === 'string' ? { firmware: fields.firmware } : {}),
      seenAt: Date.now(),
    });
  }

  private track(write: Promise<unknown>, what: string): void {
    const guarded = write.catch((err: unknown) => {
      if (what) this.options.log.limited('store', `store: ${what} failed: ${describe(err)}`);
    });
    this.writes.add(guarded);
    void guarded.then(() => this.writes.delete(guarded));
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
