/**
 * Sequence tracking for one (device, boot), per docs/protocol.md#telemetry-replay: the
 * highest `seq` seen and a sliding window of which of the last `size` numbers were
 * accepted. A number seen again is a duplicate; one older than the window is too old to
 * judge and is treated as a replay. Loss is counted as soon as a gap opens and taken back
 * when a late datagram fills it while the gap is still inside the window.
 *
 * `judge` only looks, so a datagram can be refused for another reason (its rate) without
 * being marked as seen; `observe` records; `forget` takes a number back when the datagram
 * holding it could not be stored, so its resend is accepted again.
 */

/** What the window says about a sequence number. */
export type SequenceVerdict = 'new' | 'duplicate' | 'too_old';

/**
 * Sequence numbers remembered per (device, boot): 8 s of readings at 1,000/s, longer than a
 * device's default resend buffer (5 s of readings), so a resend is never too old to
 * accept. One bit each: 1 KiB per boot.
 */
export const DEFAULT_REPLAY_WINDOW = 8192;

export class SequenceWindow {
  /** Datagrams missing right now (gaps not filled), including those that slid out. */
  lost = 0;
  private readonly size: number;
  /** One bit per number, at slot `seq % size`. */
  private readonly seen: Uint32Array;
  private highest = -1;
  private first = 0;

  /** `size`: how many of the most recent sequence numbers are remembered. Default 8192. */
  constructor(size = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('the replay window must hold at least one sequence number');
    this.size = size;
    this.seen = new Uint32Array(Math.ceil(size / 32));
  }

  /** Judges `seq` without recording it. */
  judge(seq: number): SequenceVerdict {
    if (this.highest < 0 || seq > this.highest) return 'new';
    if (this.highest - seq >= this.size) return 'too_old';
    return this.has(seq) ? 'duplicate' : 'new';
  }

  /** Takes back a recorded `seq` (its datagram was not stored): judged new again, counted as lost until then. */
  forget(seq: number): void {
    if (this.judge(seq) !== 'duplicate') return;
    this.mark(seq, false);
    if (seq > this.first) this.lost += 1;
  }

  /** Judges `seq` and, when it is new, records it. */
  observe(seq: number): SequenceVerdict {
    if (this.highest < 0) {
      // The first datagram heard (the hub may start mid-boot): nothing before it is "lost".
      this.highest = seq;
      this.first = seq;
      this.mark(seq, true);
      return 'new';
    }
    if (seq > this.highest) {
      const advance = seq - this.highest;
      if (advance >= this.size) this.seen.fill(0);
      else for (let s = this.highest + 1; s < seq; s++) this.mark(s, false);
      this.lost += advance - 1;
      this.highest = seq;
      this.mark(seq, true);
      return 'new';
    }
    if (this.highest - seq >= this.size) return 'too_old';
    if (this.has(seq)) return 'duplicate';
    this.mark(seq, true);
    // A late datagram fills a gap; numbers below the first one heard were never counted.
    if (seq > this.first) this.lost -= 1;
    return 'new';
  }

  private has(seq: number): boolean {
    const slot = seq % this.size;
    return ((this.seen[slot >>> 5] as number) & (1 << (slot & 31))) !== 0;
  }

  private mark(seq: number, seen: boolean): void {
    const slot = seq % this.size;
    const word = slot >>> 5;
    const bit = 1 << (slot & 31);
    this.seen[word] = seen ? (this.seen[word] as number) | bit : (this.seen[word] as number) & ~bit;
  }
}
