/**
 * Log-linear latency histogram (HDR-style: 64 linear sub-buckets per power of two, ≤ 1.6 % relative
 * error) with constant memory, for the replay's closing summary. The exact percentiles come from SQL
 * over the trace; this only keeps the summary cheap and memory flat.
 */
import {NS_ZERO} from '../sim/time.js'

const SUB = 64
const SUB_BITS = 6

export class LatencyHistogram {
  private readonly counts = new Float64Array(SUB * 48)
  total = 0
  sum = NS_ZERO
  max = NS_ZERO

  add(v: number): void {
    if (v < 0) v = 0
    let b: number
    if (v < SUB) b = Math.floor(v)
    else if (v < 0x80000000) {
      // integer fast path: exponent from the leading zeros, mantissa by shifting (no log2, no pow)
      const x = v | 0
      const e = 31 - Math.clz32(x) // ≥ 6
      b = (e - SUB_BITS + 1) * SUB + ((x >>> (e - SUB_BITS)) - SUB)
    } else {
      const e = Math.floor(Math.log2(v))
      b = (e - SUB_BITS + 1) * SUB + (Math.floor(v / 2 ** (e - SUB_BITS)) - SUB)
    }
    this.counts[b]++
    this.total++
    this.sum += v
    if (v > this.max) this.max = v
  }

  /** Lower bound of the bucket holding quantile q (0..1), 0 when empty. */
  quantile(q: number): number {
    if (this.total === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.total))
    let acc = 0
    for (let b = 0; b < this.counts.length; b++) {
      acc += this.counts[b]
      if (acc >= rank) {
        if (b < SUB) return b
        const e = Math.floor(b / SUB) + SUB_BITS - 1
        return (SUB + (b % SUB)) * 2 ** (e - SUB_BITS)
      }
    }
    return this.max
  }
}
