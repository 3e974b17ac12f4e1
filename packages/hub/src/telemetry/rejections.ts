/**
 * Reports rejected datagrams without letting a flood flood the log: per (source, code),
 * the first rejection is logged and published at once; further ones within the interval
 * are counted and reported as one line (and one `telemetry_rejected` event) with the
 * count when the interval ends. A source that keeps misbehaving gets one line per
 * interval; one that stops is forgotten. The source is the device id when the datagram
 * named one, else the sender's IP address.
 */
import type { HubBus } from '../bus.js';
import type { HubEventRecord, HubStore } from '../store/store.js';

export interface RejectionReporterOptions {
  bus: HubBus;
  /** Where `telemetry_rejected` events are recorded; absent: published on the bus only. */
  store?: HubStore;
  log: (line: string) => void;
  /** Length of one reporting interval, in ms. Default 10000. */
  intervalMs?: number;
  /** Most (source, code) pairs tracked per interval; beyond it rejections are only counted. Default 1000. */
  maxSources?: number;
}

export interface Rejection {
  code: string;
  /** The device id the datagram named, when it got that far. */
  deviceId: string | undefined;
  /** "ip:port" of the sender. */
  address: string;
  /** What was wrong, for a person. */
  message: string;
}

interface SourceWindow {
  deviceId: string | undefined;
  code: string;
  address: string;
  message: string;
  /** Rejections since the last line. */
  count: number;
}

export class RejectionReporter {
  private readonly windows = new Map<string, SourceWindow>();
  private readonly intervalMs: number;
  private readonly maxSources: number;
  private readonly timer: NodeJS.Timeout;
  /** Rejections not reported individually because too many sources misbehaved at once. */
  private overflow = 0;

  constructor(private readonly options: RejectionReporterOptions) {
    this.intervalMs = options.intervalMs ?? 10_000;
    this.maxSources = options.maxSources ?? 1000;
    this.timer = setInterval(this.timerOnInterval, this.intervalMs);
    this.timer.unref();
  }

  report(rejection: Rejection): void {
    const source = rejection.deviceId ?? rejection.address.replace(/:\d+$/, '');
    const key = `${source}\n${rejection.code}`;
    const window = this.windows.get(key);
    if (window) {
      window.count += 1;
      window.address = rejection.address;
      window.message = rejection.message;
      return;
    }
    if (this.windows.size >= this.maxSources) {
      this.overflow += 1;
      return;
    }
    this.windows.set(key, { deviceId: rejection.deviceId, code: rejection.code, address: rejection.address, message: rejection.message, count: 0 });
    this.publish(rejection, 1);
  }

  /** Reports what is still counted and stops the interval timer. */
  close(): void {
    clearInterval(this.timer);
    this.timerOnInterval();
  }

  private readonly timerOnInterval = (): void => {
    for (const [key, window] of this.windows) {
      if (window.count === 0) {
        this.windows.delete(key);
        continue;
      }
      this.publish(window, window.count);
      window.count = 0;
    }
    if (this.overflow > 0) {
      this.options.log(`telemetry: ${this.overflow} more datagrams rejected from more than ${this.maxSources} sources in ${this.intervalMs / 1000} s`);
      this.overflow = 0;
    }
  };

  private publish(rejection: Rejection | SourceWindow, count: number): void {
    const who = rejection.deviceId === undefined ? `from ${rejection.address}` : `from "${rejection.deviceId}" (${rejection.address})`;
    const times = count === 1 ? '' : ` (${count} datagrams in the last ${this.intervalMs / 1000} s)`;
    this.options.log(`telemetry ${who} rejected: ${rejection.code}: ${rejection.message}${times}`);
    const event: HubEventRecord = {
      deviceId: rejection.deviceId ?? '',
      type: 'telemetry_rejected',
      time: Date.now(),
      data: { code: rejection.code, count, address: rejection.address, message: rejection.message },
    };
    this.options.bus.emit('event', event);
    this.options.store?.insertEvents([event]).catch((err: Error) => this.options.log(`telemetry: cannot record a rejection event: ${err.message}`));
  }
}
