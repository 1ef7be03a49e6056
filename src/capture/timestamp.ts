/**
 * Exact capture timestamps without BigInt on the per-frame path.
 *
 * A timestamp is kept as (seconds, nanoseconds): both integer doubles, so it stays exact far
 * past 2^53 ns (year 2255). pcapng stores a 64-bit tick count in two 32-bit halves; it is split
 * into seconds and a fraction by long division on 16-bit limbs, every intermediate below 2^53.
 *
 * Resolutions with a fast path: 10^-k s for k <= 9 and 2^-n s for n <= 32 (that covers every
 * writer seen in practice: µs, ns, ms, 2^-20, 2^-32). Finer ones (10^-10..10^-19, 2^-33..2^-63)
 * take a documented BigInt slow path (`TS_SLOW`), one conversion per packet.
 * Limit: seconds themselves are exact up to 2^53 (year 285 million); only absurd tick counts at
 * coarse resolutions (1 s, 10 ms ...) reach that.
 */

export const TS_DECIMAL = 0
export const TS_BINARY = 1
export const TS_SLOW = 2

const TWO32 = 4294967296
const TWO21 = 2097152 // hi < 2^21 <=> ticks < 2^53: a double holds them exactly

/** How one interface's ticks become (sec, nsec); filled by `setResolution`. */
export interface TsScale {
  mode: number
  /** Ticks per second for TS_DECIMAL (10^k, k <= 9); 2^n for TS_BINARY. */
  div: number
  /** TS_DECIMAL: ns per tick (10^(9-k)). TS_BINARY: multiplier before `div2` (see binary path). */
  mul: number
  /** TS_BINARY: power-of-two divisor applied after `mul`. */
  div2: number
  /** TS_BINARY: n (the exponent). TS_SLOW: unused. */
  shift: number
  /** TS_SLOW: ticks per second as a BigInt. */
  big: bigint
}

export function newTsScale(): TsScale {
  return {mode: TS_DECIMAL, div: 1e6, mul: 1000, div2: 1, shift: 0, big: 1_000_000n}
}

/**
 * Configure `s` for an if_tsresol byte (pcapng): high bit clear = 10^-v s, set = 2^-(v&0x7f) s.
 * The caller has already rejected what libpcap rejects (10^-20 and finer, 2^-64 and finer).
 */
export function setResolution(s: TsScale, tsresol: number): void {
  if (tsresol & 0x80) {
    const n = tsresol & 0x7f
    s.shift = n
    s.big = 1n << BigInt(n)
    if (n <= 32) {
      s.mode = TS_BINARY
      s.div = 2 ** n
      // ns = floor(frac * 1e9 / 2^n); 1e9 = 2^9 * 1953125, so for n > 9 this is
      // floor(frac * 1953125 / 2^(n-9)) with frac < 2^32: the product stays below 2^53.
      if (n <= 9) { s.mul = 1e9 / 2 ** n; s.div2 = 1 } else { s.mul = 1953125; s.div2 = 2 ** (n - 9) }
    } else {
      s.mode = TS_SLOW
    }
  } else {
    s.big = 10n ** BigInt(tsresol)
    if (tsresol <= 9) {
      s.mode = TS_DECIMAL
      s.div = 10 ** tsresol
      s.mul = 10 ** (9 - tsresol)
    } else {
      s.mode = TS_SLOW
    }
  }
}

/** Where `ticksToTs` writes its answer (a reused object). */
export interface TsOut {
  tsSec: number
  tsNsec: number
}

/**
 * Convert a 64-bit tick count (hi, lo: unsigned 32-bit halves) to seconds + nanoseconds in
 * `out`. Sub-nanosecond fractions are truncated, as libpcap and wiretap do.
 */
export function ticksToTs(hi: number, lo: number, s: TsScale, out: TsOut): void {
  const mode = s.mode
  if (mode === TS_DECIMAL) {
    const d = s.div
    if (hi < TWO21) {
      // ticks < 2^53: exact as a double; floor(t/d) is exact because t < 2^53 (rounding of the
      // quotient cannot cross an integer), and the remainder is recomputed exactly.
      const t = hi * TWO32 + lo
      const q = Math.floor(t / d)
      out.tsSec = q
      out.tsNsec = (t - q * d) * s.mul
      return
    }
    // Long division of (hi:lo) by d <= 1e9 < 2^30 on 16-bit limbs; every dividend < 2^46.
    const qh = Math.floor(hi / d)
    const rh = hi - qh * d
    const x = rh * 65536 + (lo >>> 16)
    const q1 = Math.floor(x / d)
    const y = (x - q1 * d) * 65536 + (lo & 0xffff)
    const q2 = Math.floor(y / d)
    out.tsSec = qh * TWO32 + q1 * 65536 + q2
    out.tsNsec = (y - q2 * d) * s.mul
    return
  }
  if (mode === TS_BINARY) {
    const n = s.shift
    let frac: number
    if (n === 32) {
      out.tsSec = hi
      frac = lo
    } else {
      const low = lo % s.div // lo mod 2^n (lo >>> n would be wrong for n = 0 only in spirit; % is exact)
      out.tsSec = hi * (TWO32 / s.div) + (lo - low) / s.div
      frac = low
    }
    out.tsNsec = Math.floor((frac * s.mul) / s.div2)
    return
  }
  slowTicksToTs(hi, lo, s, out)
}

/** BigInt path for resolutions finer than 1 ns decimal or 2^-32 binary (rare; documented above). */
function slowTicksToTs(hi: number, lo: number, s: TsScale, out: TsOut): void {
  const t = (BigInt(hi) << 32n) | BigInt(lo)
  const sec = t / s.big
  const frac = t % s.big
  out.tsSec = Number(sec)
  out.tsNsec = Number((frac * 1_000_000_000n) / s.big)
}

/**
 * Decimal string of sec * 1e9 + nsec, exact for any integer sec (also negative, e.g. after a
 * negative if_tsoffset). nsec must be 0..999_999_999.
 */
export function tsToString(sec: number, nsec: number): string {
  if (sec >= 0 && sec <= Number.MAX_SAFE_INTEGER) {
    if (sec === 0) return String(nsec)
    return String(sec) + String(nsec).padStart(9, '0')
  }
  return (BigInt(sec) * 1_000_000_000n + BigInt(nsec)).toString()
}

/** ISO-8601 UTC with nanoseconds, e.g. 2014-03-05T21:55:06.745865000Z; falls back to "<sec>.<nsec> s" out of Date's range. */
export function tsToIso(sec: number, nsec: number): string {
  const ms = sec * 1000
  if (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15) {
    const iso = new Date(ms).toISOString() // ends in ".000Z"
    return iso.slice(0, -5) + '.' + String(nsec).padStart(9, '0') + 'Z'
  }
  return `${sec}.${String(nsec).padStart(9, '0')} s since 1970`
}

/** (sec2, nsec2) - (sec1, nsec1) in ns as a number (exact below 2^53 ns, about 104 days). */
export function tsDiffNs(sec1: number, nsec1: number, sec2: number, nsec2: number): number {
  return (sec2 - sec1) * 1e9 + (nsec2 - nsec1)
}
