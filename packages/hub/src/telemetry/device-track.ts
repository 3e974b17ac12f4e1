/**
 * What the ingest remembers about one device: its boots (each with a sequence window),
 * its rate-limit bucket and its counters.
 *
 * Boots: `boot` is random, so "older" cannot be read from the number. The current boot
 * is the one heard most recently that was not itself judged old. For a signed datagram
 * (which nobody without the key can make up) of a boot not seen before, the device's
 * clock decides when it sends one (`time`): a datagram more than a minute before the
 * current boot's latest `time` (or the hub's clock, if earlier), or older than
 * `maxNewBootAgeMs`, is a replay of an earlier boot. Signed
 * datagrams of a known boot that is no longer current are replays too. Unsigned
 * datagrams of an earlier boot still tracked are judged in that boot's own window (they
 * are late, not forged: anyone could forge unsigned ones anyway).
 */
import type { ErrorCodeValue, TelemetryDatagram } from '@picolink/protocol';
import { SequenceWindow } from './sequence.js';
import type { SequenceVerdict } from './sequence.js';
import { TokenBucket } from '../token-bucket.js';

/** Boots remembered per device (their windows and loss). */
const MAX_BOOTS = 8;
/** Clock difference tolerated between a new boot's first datagram and the boot before. */
const NEW_BOOT_SLACK_MS = 60_000;

export interface TelemetryStats {
  /** Datagrams received (for a device: datagrams that named it, valid or not). */
  received: number;
  /** Datagrams accepted and stored. */
  accepted: number;
  /** Datagrams accepted before and seen again (resends, network duplicates): acked, not stored again. */
  duplicates: number;
  /** Sequence numbers skipped and not filled by a late datagram. */
  lost: number;
  /** Rejected datagrams by error code. */
  rejected: Partial<Record<ErrorCodeValue, number>>;
  /** Accepted datagrams per second over the last full second. */
  ratePerSecond: number;
  /** Unix ms of the last accepted datagram, or null. */
  lastSeen: number | null;
}

export interface BootState {
  window: SequenceWindow;
  /** Largest device `time` accepted in this boot. */
  latestTime: number | undefined;
}

export interface BootPolicy {
  windowSize: number;
  maxNewBootAgeMs: number;
}

/**
 * The boot a datagram belongs to: one the hub knows (`boot`), a new one to open once the
 * datagram is accepted (`boot` undefined), or the reason it is a replay.
 */
export type BootVerdict = { boot: BootState | undefined } | { replay: string };

export class DeviceTrack {
  received = 0;
  accepted = 0;
  duplicates = 0;
  readonly rejected: Partial<Record<ErrorCodeValue, number>> = {};
  lastSeen: number | null = null;
  /** Unix ms of the last device record update. */
  recordedAt = Number.NEGATIVE_INFINITY;
  recording = false;
  readonly bucket: TokenBucket;
  /** Acks for resends (datagrams already accepted) are limited to the same rate, apart from the bucket for new readings. */
  readonly resendAcks: TokenBucket;
  private readonly boots = new Map<number, BootState>();
  private current: number | undefined;
  private lostInForgottenBoots = 0;
  private rateWindowStart = 0;
  private rateWindowCount = 0;
  private lastRate = 0;

  constructor(
    readonly deviceId: string,
    maxPerSecond: number,
    now: number,
  ) {
    this.bucket = new TokenBucket(maxPerSecond, now);
    this.resendAcks = new TokenBucket(maxPerSecond, now);
  }

  reject(code: ErrorCodeValue): void {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
  }

  /** Judges a (boot, seq) in the window of a boot this track knows; undefined for a boot it does not know. */
  judgeSeq(boot: number, seq: number): SequenceVerdict | undefined {
    return this.boots.get(boot)?.window.judge(seq);
  }

  /** Judges which boot a datagram belongs to; changes nothing (see {@link openBoot}). */
  judgeBoot(datagram: TelemetryDatagram, authenticated: boolean, now: number, policy: BootPolicy): BootVerdict {
    const known = this.boots.get(datagram.boot);
    if (known) {
      if (datagram.boot === this.current || !authenticated) return { boot: known };
      return { replay: `boot ${datagram.boot} has been followed by a newer boot` };
    }
    if (authenticated && datagram.time !== undefined) {
      if (datagram.time < now - policy.maxNewBootAgeMs) return { replay: `its time is ${Math.round((now - datagram.time) / 1000)} s old, too old for a new boot` };
      // Compared with the hub's clock when the device's ran ahead, so a device whose clock
      // was once wrong is not locked out after its next restart.
      const latest = this.current === undefined ? undefined : this.boots.get(this.current)?.latestTime;
      if (latest !== undefined && datagram.time < Math.min(latest, now) - NEW_BOOT_SLACK_MS) {
        return { replay: `boot ${datagram.boot} is older than the current boot ${String(this.current)}` };
      }
    }
    return { boot: undefined };
  }

  /** Opens a boot judged new, making it the current one. */
  openBoot(boot: number, policy: BootPolicy): BootState {
    const state: BootState = { window: new SequenceWindow(policy.windowSize), latestTime: undefined };
    this.boots.set(boot, state);
    this.current = boot;
    if (this.boots.size > MAX_BOOTS) {
      const [oldest, forgotten] = this.boots.entries().next().value as [number, BootState];
      this.boots.delete(oldest);
      this.lostInForgottenBoots += forgotten.window.lost;
    }
    return state;
  }

  /** Records an accepted datagram for the rate and last-seen figures. */
  noteAccepted(datagram: TelemetryDatagram, boot: BootState, now: number): void {
    this.accepted += 1;
    this.lastSeen = now;
    if (datagram.time !== undefined && (boot.latestTime === undefined || datagram.time > boot.latestTime)) boot.latestTime = datagram.time;
    const elapsed = now - this.rateWindowStart;
    if (elapsed >= 1000) {
      this.lastRate = elapsed < 2000 ? (this.rateWindowCount * 1000) / elapsed : 0;
      this.rateWindowStart = now;
      this.rateWindowCount = 0;
    }
    this.rateWindowCount += 1;
  }

  get lost(): number {
    let lost = this.lostInForgottenBoots;
    for (const boot of this.boots.values()) lost += boot.window.lost;
    return lost;
  }

  ratePerSecond(now: number): number {
    const elapsed = now - this.rateWindowStart;
    if (elapsed >= 2000) return 0;
    if (elapsed >= 1000) return (this.rateWindowCount * 1000) / elapsed;
    return this.lastRate;
  }

  stats(now: number): TelemetryStats {
    return {
      received: this.received,
      accepted: this.accepted,
      duplicates: this.duplicates,
      lost: this.lost,
      rejected: { ...this.rejected },
      ratePerSecond: Math.round(this.ratePerSecond(now) * 10) / 10,
      lastSeen: this.lastSeen,
    };
  }
}
