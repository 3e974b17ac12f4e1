/**
 * Reports rejected datagrams without letting a flood flood the log: per (source, code),
 * the first rejection is logged and published at once; further ones within the interval
 * are counted and reported as one line (and one `telemetry_rejected` event) with the
 * count when the interval ends. A source that keeps misbehaving gets one line per
 * interval; one that stops is forgotten. The source is the device id when the datagram
 * named one, else the sender's IP address.
 *
 * A rejection within an interval already reported costs two map lookups and a counter:
 * no string is built for it (a flood of garbage must not cost the hub more than counting).
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

/** Where a datagram came from (node:dgram's RemoteInfo satisfies it). */
export interface RejectionSender {
  address: string;
  port: number;
}

interface SourceWindow {
  deviceId: string | undefined;
  code: string;
  /** The sender's IP address and port, of the latest rejection. */
  ip: string;
  port: number;
  /** What was wrong, for a person (the latest rejection's reason). */
  reason: string;
  /** Rejections since the last line. */
  count: number;
}

export class RejectionReporter {
  /** Source (device id or IP address) → code → window. */
  private readonly windows = new Map<string, Map<string, SourceWindow>>();
  private sources = 0;
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

  report(code: string, deviceId: string | undefined, from: RejectionSender, reason: string): void {
    const source = deviceId ?? from.address;
    let codes = this.windows.get(source);
    const window = codes?.get(code);
    if (window) {
      window.count += 1;
      window.ip = from.address;
      window.port = from.port;
      window.reason = reason;
      return;
    }
    if (this.sources >= this.maxSources) {
      this.overflow += 1;
      return;
    }
    if (!codes) {
      codes = new Map();
      this.windows.set(source, codes);
    }
    const opened: SourceWindow = { deviceId, code, ip: from.address, port: from.port, reason, count: 0 };
    codes.set(code, opened);
    this.sources += 1;
    this.publish(opened, 1);
  }

  /** Reports what is still counted and stops the interval timer. */
  close(): void {
    clearInterval(this.timer);
    this.timerOnInterval();
  }

  private readonly timerOnInterval = (): void => {
    for (const [source, codes] of this.windows) {
      for (const [code, window] of codes) {
        if (window.count === 0) {
          codes.delete(code);
          this.sources -= 1;
          continue;
        }
        this.publish(window, window.count);
        window.count = 0;
      }
      if (codes.size === 0) this.windows.delete(source);
    }
    if (this.overflow > 0) {
      this.options.log(`telemetry: ${this.overflow} more datagrams rejected from more than ${this.maxSources} sources in ${this.intervalMs / 1000} s`);
      this.overflow = 0;
    }
  };

  private publish(window: SourceWindow, count: number): void {
    const address = `${window.ip}:${window.port}`;
    const who = window.deviceId === undefined ? `from ${address}` : `from "${window.deviceId}" (${address})`;
    const times = count === 1 ? '' : ` (${count} datagrams in the last ${this.intervalMs / 1000} s)`;
    this.options.log(`telemetry ${who} rejected: ${window.code}: ${window.reason}${times}`);
    const event: HubEventRecord = {
      deviceId: window.deviceId ?? '',
      type: 'telemetry_rejected',
      time: Date.now(),
      data: { code: window.code, count, address, message: window.reason },
    };
    this.options.bus.emit('event', event);
    this.options.store?.insertEvents([event]).catch((err: Error) => this.options.log(`telemetry: cannot record a rejection event: ${err.message}`));
  }
}
