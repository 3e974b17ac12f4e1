/**
 * The fuzzer's deterministic randomness: sfc32 (a small, fast 32-bit generator with a
 * 128-bit state). Every input draws from its own generator, seeded from the campaign's
 * seed and the input's index, so input N can be rebuilt alone from (seed, N) without
 * replaying inputs 0..N-1.
 */

/** A seeded pseudo-random generator; the same seed always gives the same sequence. */
export class FuzzRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    this.a = 0x9e3779b9;
    this.b = seed >>> 0;
    this.c = stream >>> 0;
    this.d = 1;
    // Warm up so that nearby seeds and streams give unrelated sequences.
    for (let i = 0; i < 16; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.next() / 0x1_0000_0000) * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.below(items.length)] as T;
  }

  /** A size drawn log-uniformly in [1, max]: small sizes often, large ones sometimes. */
  size(max: number): number {
    return Math.max(1, Math.min(max, Math.floor(Math.exp((this.next() / 0x1_0000_0000) * Math.log(max + 1)))));
  }
}

/** The generator of input `index` in the campaign seeded with `seed`. */
export function inputRandom(seed: number, index: number): FuzzRandom {
  return new FuzzRandom(seed, index);
}

/**
 * The campaign seed: PICOLINK_FUZZ_SEED when set (to reproduce a run), else drawn from
 * the clock. Callers print it, so any failure can be replayed.
 */
export function campaignSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.PICOLINK_FUZZ_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new Error(`PICOLINK_FUZZ_SEED must be an integer from 0 to 4294967295, not "${given}"`);
    return seed;
  }
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** PICOLINK_FUZZ_INPUTS ("12,345"): replay just these inputs of the seed's campaign, else undefined. */
export function onlyInputs(env: NodeJS.ProcessEnv = process.env): number[] | undefined {
  const given = env.PICOLINK_FUZZ_INPUTS;
  if (given === undefined || given.trim() === '') return undefined;
  const indices = given.split(',').map((s) => Number(s.trim()));
  if (!indices.every((i) => Number.isInteger(i) && i >= 0)) throw new Error(`PICOLINK_FUZZ_INPUTS must be indices separated by commas, not "${given}"`);
  return indices;
}
