/**
 * The fleet as the page holds it: the list from GET /api/devices, changed in place by
 * stream messages and published at most every `FLUSH_MS`, so a fleet of thousands
 * sending telemetry re-renders a few times a second rather than once per message. Only
 * devices that changed get a new object, so unchanged rows skip rendering.
 *
 * Bounds: at most one publish per 250 ms; the list is fetched again every 10 s (RSSI,
 * memory and telemetry rates are not on the stream).
 */
import { api } from './api.js';
import { liveStream } from './stream.js';
import type { DeviceView, StreamMessage } from './types.js';

const FLUSH_MS = 250;
const REFRESH_MS = 10_000;

export class FleetModel {
  private devices = new Map<string, DeviceView>();
  private dirty = false;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly publish: (devices: DeviceView[]) => void, private readonly onError: (err: unknown) => void) {}

  start(): void {
    this.unsubscribe = liveStream.subscribe((message) => this.apply(message));
    void this.refresh();
    this.refreshTimer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  stop(): void {
    this.unsubscribe?.();
    clearInterval(this.refreshTimer);
    clearTimeout(this.flushTimer);
  }

  async refresh(): Promise<void> {
    try {
      const { devices } = await api<{ devices: DeviceView[] }>('GET', '/api/devices');
      const next = new Map<string, DeviceView>();
      for (const device of devices) {
        const old = this.devices.get(device.id);
        next.set(device.id, old !== undefined && JSON.stringify(old) === JSON.stringify(device) ? old : device);
      }
      this.devices = next;
      this.schedule();
    } catch (err) {
      this.onError(err);
    }
  }

  private change(id: string, patch: (device: DeviceView) => Partial<DeviceView>): void {
    const device = this.devices.get(id);
    if (device === undefined) {
      // A device the list does not have yet (added, or first telemetry): fetch the list again.
      this.scheduleRefresh();
      return;
    }
    this.devices.set(id, { ...device, ...patch(device) });
    this.schedule();
  }

  private apply(message: StreamMessage): void {
    if (message.type === 'status') {
      this.change(message.device, () => ({ online: message.online, lastSeen: message.time, connectedAt: message.online ? message.time : null, hub: message.online ? message.hub : null }));
    } else if (message.type === 'telemetry') {
      const last = message.rows.reduce((max, row) => Math.max(max, row.time), 0);
      this.touch(message.device, Math.min(last, Date.now()));
    } else if (message.type === 'event') {
      this.touch(message.device, message.event.time);
    }
  }

  /**
   * Telemetry and events only move "last seen", which the page shows to the clock tick
   * (every few seconds, when every row renders anyway): it is updated in place, with no
   * publish, so a fleet sending telemetry costs no rendering between ticks.
   */
  private touch(id: string, time: number): void {
    const device = this.devices.get(id);
    if (device === undefined) return this.scheduleRefresh();
    if (time > (device.lastSeen ?? 0)) device.lastSeen = time;
  }

  private pendingRefresh = false;

  private scheduleRefresh(): void {
    if (this.pendingRefresh) return;
    this.pendingRefresh = true;
    setTimeout(() => {
      this.pendingRefresh = false;
      void this.refresh();
    }, 1000);
  }

  private schedule(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.flushTimer = setTimeout(() => {
      this.dirty = false;
      this.publish([...this.devices.values()]);
    }, this.devices.size > 200 ? FLUSH_MS : 0);
  }
}
