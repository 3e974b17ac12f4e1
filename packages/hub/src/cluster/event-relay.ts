/**
 * `EventRelay`: the events a hub records (bus `event`: pin changes, online/offline, state
 * re-applied, ...) reach the live streams of the other hubs sharing its PostgreSQL store.
 * They are sent in batches (one notification at most every BATCH_MS, at most
 * MAX_NOTIFY_BYTES of JSON; what does not fit is counted and dropped — every event is in
 * the shared store anyway) and put on the receiving hub's bus for live streams only: the
 * receiver never stores them again and never relays them on. Live telemetry is not
 * relayed; stored telemetry of every hub is in the shared tables.
 */
import type { HubBus } from '../bus.js';
import type { HubEventRecord } from '../store/store.js';
import { MAX_NOTIFY_BYTES } from './channel.js';
import type { ClusterChannel, ClusterMessage } from './channel.js';

/** Longest wait before a recorded event is sent to the other hubs, ms. */
export const BATCH_MS = 100;
/** Room kept in a notification for the message around the events, bytes. */
const ENVELOPE_BYTES = 128;

export interface EventRelayStats {
  /** Events sent to the other hubs. */
  sent: number;
  /** Events not sent because their batch was full. */
  dropped: number;
  /** Events of other hubs put on this hub's bus. */
  received: number;
}

export class EventRelay {
  private pending: HubEventRecord[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private readonly totals: EventRelayStats = { sent: 0, dropped: 0, received: 0 };

  constructor(
    private readonly channel: ClusterChannel,
    private readonly bus: HubBus,
    private readonly log: (line: string) => void,
  ) {
    bus.on('event', this.busOnEvent);
    channel.on('events', (message) => this.receive(message));
  }

  stats(): EventRelayStats {
    return { ...this.totals };
  }

  /** Stops relaying; sends what is waiting. */
  async close(): Promise<void> {
    this.bus.off('event', this.busOnEvent);
    this.send();
    await this.sending;
  }

  private readonly busOnEvent = (event: HubEventRecord, fromHub?: string): void => {
    // Another hub's event, replayed here for live streams: never sent on again.
    if (fromHub !== undefined) return;
    const bytes = Buffer.byteLength(JSON.stringify(event)) + 1;
    if (this.pendingBytes + bytes > MAX_NOTIFY_BYTES - ENVELOPE_BYTES) {
      this.totals.dropped += 1;
      return;
    }
    this.pending.push(event);
    this.pendingBytes += bytes;
    this.timer ??= setTimeout(() => this.send(), BATCH_MS);
  };

  private send(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.sending = this.sending
      .then(() => this.channel.publish({ kind: 'events', events: batch }))
      .then(
        () => void (this.totals.sent += batch.length),
        (err: unknown) => this.log(`cluster: relaying ${batch.length} events failed: ${err instanceof Error ? err.message : String(err)}`),
      );
  }

  private receive(message: ClusterMessage): void {
    if (!Array.isArray(message.events)) return;
    for (const item of message.events as unknown[]) {
      if (!isEvent(item)) continue;
      this.totals.received += 1;
      this.bus.emit('event', item, typeof message.from === 'string' ? message.from : '');
    }
  }
}

function isEvent(value: unknown): value is HubEventRecord {
  if (value === null || typeof value !== 'object') return false;
  const event = value as Record<string, unknown>;
  return typeof event.deviceId === 'string' && typeof event.type === 'string' && typeof event.time === 'number';
}
