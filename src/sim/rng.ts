/**
 * Seeded pseudo-random numbers for the model: sfc32 (Chris Doty-Humphrey's Small Fast Counting
 * generator, 128-bit state, passes PractRand to 2^40+ bytes), pure 32-bit integer arithmetic, so the
 * same seed gives the same numbers on every platform and Node version.
 *
 * Streams are named, not consumed: `fork(label)` derives a child from the parent's *key* (seed plus
 * the labels leading to it), never from the parent's state. A component that forks its own stream
 * therefore gets the same numbers however many other components exist or how many numbers they drew,
 * which keeps a model change local in the trace. Forking the same label twice gives the same stream.
 */

const TWO_POW_32 = 4294967296

/** xmur3-style string hash (MurmurHash3 mixing) over UTF-16 code units: returns a 32-bit generator of seed words. */
function hashWords(key: string): () => number {
  let h = 1779033703 ^ key.length
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 3432918353)
    h = (h << 13) | (h >>> 19)
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507)
    h = Math.imul(h ^ (h >>> 13), 3266489909)
    h ^= h >>> 16
    return h >>> 0
  }
}

/** splitmix32 finaliser: spreads one 32-bit word so that similar hash words give unrelated state words. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0
  let z = x
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

export type Seed = number | string

export class Rng {
  /** The stream's identity: the seed, then `/label` per fork. Two Rngs with the same key give the same numbers. */
  readonly key: string
  private s0 = 0
  private s1 = 0
  private s2 = 0
  private s3 = 0

  constructor(seed: Seed) {
    if (typeof seed === 'number' && !Number.isFinite(seed)) throw new RangeError(`Rng seed must be finite, got ${seed}`)
    this.key = String(seed)
    const next = hashWords(this.key)
    this.s0 = splitmix32(next())
    this.s1 = splitmix32(next())
    this.s2 = splitmix32(next())
    this.s3 = splitmix32(next()) | 0
    // sfc32's counter word; the author recommends discarding the first outputs so a weak seed is mixed in.
    for (let i = 0; i < 15; i++) this.nextU32()
  }

  /**
   * A stream started from four explicit state words (then `discard` outputs dropped), for generators
   * whose published output depends on their own seeding (capture synth keeps its files byte-stable).
   */
  static fromState(key: string, s0: number, s1: number, s2: number, s3: number, discard = 15): Rng {
    const r = Object.create(Rng.prototype) as Rng
    ;(r as unknown as {key: string}).key = key
    r.s0 = s0 | 0
    r.s1 = s1 | 0
    r.s2 = s2 | 0
    r.s3 = s3 | 0
    for (let i = 0; i < discard; i++) r.nextU32()
    return r
  }

  /** An independent stream named `label`, derived from this stream's key only (not from its state). */
  fork(label: string): Rng {
    return new Rng(`${this.key}/${label}`)
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const a = this.s0
    const b = this.s1
    const c = this.s2
    const d = this.s3
    const t = (((a + b) | 0) + d) | 0
    this.s3 = (d + 1) | 0
    this.s0 = b ^ (b >>> 9)
    this.s1 = (c + (c << 3)) | 0
    this.s2 = (((c << 21) | (c >>> 11)) + t) | 0
    return t >>> 0
  }

  /** Uniform double in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / TWO_POW_32
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling); n an integer in 1..2^32. */
  int(n: number): number {
    if (!(n >= 1 && n <= TWO_POW_32) || Math.floor(n) !== n) throw new RangeError(`Rng.int(n): n must be an integer in 1..2^32, got ${n}`)
    // Reject the top partial block of 2^32 so every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n)
    let r = this.nextU32()
    while (r >= limit) r = this.nextU32()
    return r % n
  }

  /** Exponentially distributed value with the given mean (inter-arrival times, service jitter). */
  exp(mean: number): number {
    // 1 - next() is in (0, 1], so the log is finite.
    return -mean * Math.log(1 - this.next())
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p
  }
}
