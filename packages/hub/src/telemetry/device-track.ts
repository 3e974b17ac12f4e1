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
 *
 * The decision about a datagram is the track's alone: `screen()` on what can be read from
 * the raw bytes, `admit()` once the datagram has passed its MAC and parse; they count it
 * (received, duplicate) and spend the rate budget and record the sequence number only
 * when every check has passed.
 */
import type { ErrorCodeValue, TelemetryDatagram } from '@picolink/protocol';
import { SequenceWindow } from './sequence.js';
import type { SequenceVerdict } from './sequence.js';
import { TokenBucket } from '@picolink/net';
import type { TelemetryStats } from '../api-types.js';

export type { TelemetryStats } from '../api-types.js';

/** Boots remembered per device (their windows and loss). */
const MAX_BOOTS = 8;
/** Clock difference tolerated between a new boot's first datagram and the boot before. */
const NEW_BOOT_SLACK_MS = 60_000;

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
type BootVerdict = { boot: BootState | undefined } | { replay: string };

/** What {@link DeviceTrack.admit} decided about a datagram. */
export type Admission =
  /** Store it; its number is recorded in `window`. */
  | { verdict: 'accepted'; window: SequenceWindow }
  /** Accepted before: not stored again; acked (once the store has it) when `ackWindow` is given. */
  | { verdict: 'duplicate'; ackWindow: SequenceWindow | undefined }
  /** Of an earlier boot, or older than the window (PL_ERR_TELEMETRY_REPLAY). */
  | { verdict: 'replay'; reason: string }
  /** The store writer has no room for its `rows` readings: dropped, not acked, not recorded. */
  | { verdict: 'no-room'; rows: number }
  /** Over the device's rate (PL_ERR_RATE_LIMITED); accepted if sent again later. */
  | { verdict: 'rate-limited' };

export class DeviceTrack {
  received = 0;
  accepted = 0;
  duplicates = 0;
  readonly rejected: Partial<Record<ErrorCodeValue, number>> = {};
  lastSeen: number | null = null;
  /** Unix ms of the last device record update. */
  private recordedAt = Number.NEGATIVE_INFINITY;
  private recording = false;
  private readonly bucket: TokenBucket;
  /** Acks for resends (datagrams already accepted) are limited to the same rate, apart from the bucket for new readings. */
  private readonly resendAcks: TokenBucket;
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
    private readonly policy: BootPolicy,
  ) {
    this.bucket = new TokenBucket(maxPerSecond, now);
    this.resendAcks = new TokenBucket(maxPerSecond, now);
  }

  reject(code: ErrorCodeValue): void {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
  }

  /**
   * Before the MAC and the parse, from the (boot, seq) read off the raw bytes: a replay
   * when the number is older than the boot's window, a duplicate (not acked) when it was
   * accepted before and acks to resends are spent (it would be neither stored nor acked),
   * else undefined: go on. Counts the datagram when it settles it here.
   */
  screen(boot: number, seq: number, now: number): Admission | undefined {
    const seen = this.boots.get(boot)?.window.judge(seq);
    if (seen === 'too_old') {
      this.received += 1;
      return this.tooOld(seq);
    }
    if (seen === 'duplicate' && !this.resendAcks.has(now)) {
      this.received += 1;
      this.duplicates += 1;
      return { verdict: 'duplicate', ackWindow: undefined };
    }
    return undefined;
  }

  /**
   * Decides about a datagram that passed its MAC and parse: which boot, replay or not, a
   * resend or new, room in the store (`hasRoom` for its number of readings), and the rate.
   * Only an accepted datagram spends the rate budget and has its number recorded.
   */
  admit(datagram: TelemetryDatagram, authenticated: boolean, now: number, hasRoom: (rows: number) => boolean): Admission {
    this.received += 1;
    const boot = this.judgeBoot(datagram, authenticated, now);
    if ('replay' in boot) return { verdict: 'replay', reason: `replayed telemetry datagram (seq ${datagram.seq}): ${boot.replay}` };
    const verdict: SequenceVerdict = boot.boot ? boot.boot.window.judge(datagram.seq) : 'new';
    if (verdict === 'too_old') return this.tooOld(datagram.seq);
    if (verdict === 'duplicate') {
      this.duplicates += 1;
      const ack = datagram.ack === true && this.resendAcks.take(now);
      return { verdict: 'duplicate', ackWindow: ack ? (boot.boot as BootState).window : undefined };
    }
    const rows = readingCount(datagram);
    if (!hasRoom(rows)) return { verdict: 'no-room', rows };
    if (!this.bucket.take(now)) return { verdict: 'rate-limited' };
    const state = boot.boot ?? this.openBoot(datagram.boot);
    state.window.observe(datagram.seq);
    this.noteAccepted(datagram, state, now);
    return { verdict: 'accepted', window: state.window };
  }

  /** True, and the update counted as begun, when the device record is due: none running and `everyMs` since the last. */
  beginRecordUpdate(now: number, everyMs: number): boolean {
    if (this.recording || now - this.recordedAt < everyMs) return false;
    this.recording = true;
    this.recordedAt = now;
    return true;
  }

  endRecordUpdate(): void {
    this.recording = false;
  }

  /** An accepted datagram's write failed: its number is forgotten, so the device's resend is stored. */
  takeBack(window: SequenceWindow, seq: number): void {
    window.forget(seq);
    this.accepted -= 1;
  }

  private tooOld(seq: number): Admission {
    return { verdict: 'replay', reason: `replayed telemetry datagram: seq ${seq} is older than the last ${this.policy.windowSize} sequence numbers` };
  }

  /** Judges which boot a datagram belongs to; changes nothing (see {@link openBoot}). */
  private judgeBoot(datagram: TelemetryDatagram, authenticated: boolean, now: number): BootVerdict {
    const { policy } = this;
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
  private openBoot(boot: number): BootState {
    const state: BootState = { window: new SequenceWindow(this.policy.windowSize), latestTime: undefined };
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
  private noteAccepted(datagram: TelemetryDatagram, boot: BootState, now: number): void {
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

function readingCount(datagram: TelemetryDatagram): number {
  let count = 0;
  for (const _metric in datagram.readings) count += 1;
  return count;
}
