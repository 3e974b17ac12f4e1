/**
 * One session's log: entries with a per-session sequence number, at most `maxBytes` kept
 * (an entry counts its bytes plus {@link ENTRY_OVERHEAD_BYTES}); the oldest go first and
 * are counted, so a page can tell it missed some.
 */
import type { LogEntry } from '@picolink/nettools/core';

/** What an entry costs beyond its bytes (fields, bookkeeping), for the size bound. */
export const ENTRY_OVERHEAD_BYTES = 64;

interface Kept {
  entry: LogEntry;
  size: number;
}

export class SessionLog {
  private entries: Kept[] = [];
  /** Index of the oldest kept entry in `entries` (dropping from the front is O(1)). */
  private head = 0;
  private bytes = 0;
  private nextSeq = 1;
  /** Entries dropped to stay within the bound, since the session opened. */
  dropped = 0;

  constructor(private readonly maxBytes: number) {}

  /** Appends an entry: `data` bytes ("in"/"out", kept as base64) or a text line ("info", kept as text). */
  add(dir: LogEntry['dir'], data: Uint8Array | string, peer?: string, t = Date.now()): LogEntry {
    // Bytes travel as base64; a state line ("info") as its text, as the page shows it.
    const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
    const entry: LogEntry = { seq: this.nextSeq++, t, dir, ...(peer === undefined ? {} : { peer }), data: text };
    const size = (typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength) + ENTRY_OVERHEAD_BYTES;
    this.entries.push({ entry, size });
    this.bytes += size;
    while (this.bytes > this.maxBytes && this.entries.length - this.head > 1) {
      const old = this.entries[this.head++];
      if (old) this.bytes -= old.size;
      this.dropped += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  /** Entries with seq > `after`, oldest first. */
  after(after: number): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const kept = this.entries[i];
      if (kept && kept.entry.seq > after) out.push(kept.entry);
    }
    return out;
  }

  /** Forgets every entry; sequence numbers go on from where they were. */
  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
  }
}
