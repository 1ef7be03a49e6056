/**
 * The event kernel's pending-event set: a binary min-heap stored as a struct of typed arrays, ordered
 * by (time, priority, sequence). Sequence is the insertion counter, so entries with equal time and
 * priority come out in the order they were pushed and a run is deterministic.
 *
 * Nothing is allocated per event: push() copies five numbers in, pop() copies them out into the
 * public fields `time`, `prio`, `kind`, `a`, `b` (valid until the next pop). Times are integer
 * nanoseconds held in doubles (exact below 2^53 ns, about 104 days).
 *
 * Priority and sequence share one double `tie = prio * 2^43 + seq`, so a comparison is two double
 * compares; that bounds priority to 0..1023 and a queue's lifetime pushes to 2^43 (~8.8e12).
 */
import {NS_ZERO} from './time.js'

const SEQ_BITS = 2 ** 43
export const MAX_PRIORITY = 1023

export class EventQueue {
  /** Popped entry: time in ns (also the simulated clock: pushes earlier than it are refused). */
  time = NS_ZERO
  /** Popped entry: priority (lower first among equal times). */
  prio = 0
  /** Popped entry: event kind (the caller's dispatch code). */
  kind = 0
  /** Popped entry: first payload number (e.g. component index). */
  a = 0
  /** Popped entry: second payload number (e.g. packet slot). */
  b = 0

  private n = 0
  private seq = 0
  private cap: number
  private t: Float64Array
  private tie: Float64Array
  private kd: Int32Array
  private pa: Float64Array
  private pb: Float64Array

  constructor(capacity = 1024) {
    this.cap = Math.max(16, capacity | 0)
    this.t = new Float64Array(this.cap)
    this.tie = new Float64Array(this.cap)
    this.kd = new Int32Array(this.cap)
    this.pa = new Float64Array(this.cap)
    this.pb = new Float64Array(this.cap)
  }

  /** Number of pending entries. */
  get size(): number {
    return this.n
  }

  /** Time of the next entry, or Infinity when empty. */
  peekTime(): number {
    return this.n === 0 ? Infinity : this.t[0]
  }

  /** Priority-and-sequence key of the next entry (compare with reserve()'s keys), Infinity when empty. */
  peekTie(): number {
    return this.n === 0 ? Infinity : this.tie[0]
  }

  /**
   * The ordering key a push() at this moment would get, without an entry: for an owner that keeps one
   * event outside the heap (the replay's next capture frame) and compares it with peekTime()/peekTie().
   */
  reserve(priority: number): number {
    if ((priority & MAX_PRIORITY) !== priority) throw new RangeError(`EventQueue.reserve: priority ${priority} is not an integer in 0..${MAX_PRIORITY}`)
    if (this.seq === SEQ_BITS) throw new RangeError('EventQueue.reserve: sequence counter exhausted (2^43 pushes)')
    return priority * SEQ_BITS + this.seq++
  }

  /** Move the clock to `timeNs` for an event taken from outside the heap (never back in time). */
  advance(timeNs: number): void {
    if (!(timeNs >= this.time)) throw new RangeError(`EventQueue.advance: time ${timeNs} is before the clock ${this.time}`)
    this.time = timeNs
  }

  /** Drop every entry and reset the clock and the sequence counter (capacity is kept). */
  clear(): void {
    this.n = 0
    this.seq = 0
    this.time = this.prio = this.kind = this.a = this.b = 0
  }

  /**
   * Schedule an entry. `timeNs` must not be earlier than the clock (`time` of the last pop): the
   * kernel never goes back in time, and a NaN would silently corrupt the heap. `priority` is 0..1023.
   */
  push(timeNs: number, priority: number, kind: number, a: number, b: number): void {
    if (!(timeNs >= this.time)) throw new RangeError(`EventQueue.push: time ${timeNs} is before the clock ${this.time}`)
    if ((priority & MAX_PRIORITY) !== priority) throw new RangeError(`EventQueue.push: priority ${priority} is not an integer in 0..${MAX_PRIORITY}`)
    if (this.seq === SEQ_BITS) throw new RangeError('EventQueue.push: sequence counter exhausted (2^43 pushes)')
    if (this.n === this.cap) this.grow()
    const key = priority * SEQ_BITS + this.seq++
    const t = this.t
    const tie = this.tie
    const kd = this.kd
    const pa = this.pa
    const pb = this.pb
    let i = this.n++
    // Sift up with a hole: move parents down until the new entry's place is found.
    while (i > 0) {
      const p = (i - 1) >> 1
      const tp = t[p]
      if (tp < timeNs || (tp === timeNs && tie[p] < key)) break
      t[i] = tp
      tie[i] = tie[p]
      kd[i] = kd[p]
      pa[i] = pa[p]
      pb[i] = pb[p]
      i = p
    }
    t[i] = timeNs
    tie[i] = key
    kd[i] = kind
    pa[i] = a
    pb[i] = b
  }

  /** Remove the earliest entry into `time`, `prio`, `kind`, `a`, `b`; false (fields unchanged) when empty. */
  pop(): boolean {
    const n = this.n
    if (n === 0) return false
    const t = this.t
    const tie = this.tie
    const kd = this.kd
    const pa = this.pa
    const pb = this.pb
    this.time = t[0]
    this.prio = Math.floor(tie[0] / SEQ_BITS)
    this.kind = kd[0]
    this.a = pa[0]
    this.b = pb[0]
    const last = n - 1
    this.n = last
    if (last === 0) return true
    // Sift the last entry down from the root with a hole.
    const lt = t[last]
    const lk = tie[last]
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= last) break
      let ct = t[c]
      let ck = tie[c]
      const r = c + 1
      if (r < last) {
        const rt = t[r]
        const rk = tie[r]
        if (rt < ct || (rt === ct && rk < ck)) {
          c = r
          ct = rt
          ck = rk
        }
      }
      if (lt < ct || (lt === ct && lk < ck)) break
      t[i] = ct
      tie[i] = ck
      kd[i] = kd[c]
      pa[i] = pa[c]
      pb[i] = pb[c]
      i = c
    }
    t[i] = lt
    tie[i] = lk
    kd[i] = kd[last]
    pa[i] = pa[last]
    pb[i] = pb[last]
    return true
  }

  private grow(): void {
    const cap = this.cap * 2
    const t = new Float64Array(cap)
    const tie = new Float64Array(cap)
    const kd = new Int32Array(cap)
    const pa = new Float64Array(cap)
    const pb = new Float64Array(cap)
    t.set(this.t)
    tie.set(this.tie)
    kd.set(this.kd)
    pa.set(this.pa)
    pb.set(this.pb)
    this.t = t
    this.tie = tie
    this.kd = kd
    this.pa = pa
    this.pb = pb
    this.cap = cap
  }
}
