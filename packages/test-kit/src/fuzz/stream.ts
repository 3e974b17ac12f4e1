/**
 * How a batch of frames goes on the wire: line endings (LF, CRLF, blank and whitespace
 * lines between frames), then cut into writes — all in one chunk, one per frame, or cut
 * at random points so frames are split across chunks (down to single bytes). The cuts
 * are drawn from the batch's own generator, so a batch is rebuilt from (seed, index).
 */
import type { FuzzFrame } from './frames.js';
import type { FuzzRandom } from './random.js';

const ENDINGS = ['\n', '\n', '\n', '\r\n', '\n\n', '\r\n\r\n', '\n \t\r\n', '\n\r\n'];

/** A batch as writes to make in order, with a pause (a turn of the event loop) between them. */
export interface FuzzWrites {
  chunks: Buffer[];
  /** How the batch was cut, for reports. */
  cut: 'whole' | 'per-frame' | 'random' | 'bytes';
}

/**
 * Frames with line endings, cut into writes. Always ends with a newline, so what follows
 * starts a fresh line. `plain`: one write per frame, each ending in a newline.
 */
export function frameWrites(rng: FuzzRandom, frames: readonly FuzzFrame[], plain = false): FuzzWrites {
  if (plain) return { chunks: frames.map((f) => Buffer.concat([f.bytes, Buffer.from('\n')])), cut: 'per-frame' };
  const lines = frames.map((f) => Buffer.concat([f.bytes, Buffer.from(rng.pick(ENDINGS))]));
  const all = Buffer.concat(lines);
  switch (rng.below(4)) {
    case 0: return { chunks: [all], cut: 'whole' };
    case 1: return { chunks: lines, cut: 'per-frame' };
    case 2: {
      const cuts = new Set<number>();
      const count = rng.size(16);
      for (let i = 0; i < count; i++) cuts.add(rng.below(all.length));
      return { chunks: cutAt(all, [...cuts].sort((a, b) => a - b)), cut: 'random' };
    }
    default: {
      // The first bytes one at a time (a slow sender), the rest whole: bounded to 64 writes.
      const head = Math.min(64, all.length);
      const cuts = Array.from({ length: head }, (_, i) => i + 1);
      return { chunks: cutAt(all, cuts), cut: 'bytes' };
    }
  }
}

function cutAt(all: Buffer, cuts: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    if (cut <= start) continue;
    out.push(all.subarray(start, cut));
    start = cut;
  }
  if (start < all.length) out.push(all.subarray(start));
  return out;
}
