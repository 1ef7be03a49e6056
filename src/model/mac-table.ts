/**
 * MAC-keyed lookup tables for the model's hot paths (embedded switch, physical switch, the sender of each
 * capture frame). MACs are 48-bit integers held in doubles.
 */

/**
 * MAC → small integer (port or multicast slot), open addressing with linear probing over typed arrays. A Map<number, number> would box
 * every 48-bit key (not a Smi) into a HeapNumber per lookup; this allocates nothing on get().
 * Deletes rebuild the table (control path only, a few hundred entries at most).
 */
export class MacTable {
  private keys = new Float64Array(64).fill(-1) // -1 = empty slot
  private vals = new Int32Array(64)
  private mask = 63
  private count = 0

  /** Port owning `mac`, or -1. */
  get(mac: number): number {
    const keys = this.keys
    let i = hashMac(mac) & this.mask
    for (;;) {
      const k = keys[i]
      if (k === mac) return this.vals[i]
      if (k < 0) return -1
      i = (i + 1) & this.mask
    }
  }

  set(mac: number, port: number): void {
    let i = hashMac(mac) & this.mask
    while (this.keys[i] >= 0 && this.keys[i] !== mac) i = (i + 1) & this.mask
    if (this.keys[i] < 0) {
      if ((this.count + 1) * 2 > this.keys.length) { // keep load <= 1/2 so probes stay short
        this.rehash(this.keys.length * 2)
        this.set(mac, port)
        return
      }
      this.count++
      this.keys[i] = mac
    }
    this.vals[i] = port
  }

  delete(mac: number): void {
    if (this.get(mac) < 0) return
    const keys = this.keys
    const vals = this.vals
    this.keys = new Float64Array(keys.length).fill(-1)
    this.vals = new Int32Array(keys.length)
    this.count = 0
    for (let i = 0; i < keys.length; i++) if (keys[i] >= 0 && keys[i] !== mac) this.set(keys[i], vals[i])
  }

  /** Every (MAC, value) pair, in table order (to rebuild the table elsewhere, e.g. on another thread). */
  entries(): {macs: number[]; values: number[]} {
    const macs: number[] = []
    const values: number[] = []
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] >= 0) {
        macs.push(this.keys[i])
        values.push(this.vals[i])
      }
    }
    return {macs, values}
  }

  private rehash(cap: number): void {
    const keys = this.keys
    const vals = this.vals
    this.keys = new Float64Array(cap).fill(-1)
    this.vals = new Int32Array(cap)
    this.mask = cap - 1
    this.count = 0
    for (let i = 0; i < keys.length; i++) if (keys[i] >= 0) this.set(keys[i], vals[i])
  }
}

/** 32-bit mix of a 48-bit MAC held in a double (no BigInt, no allocation). */
function hashMac(mac: number): number {
  const lo = mac >>> 0 // ToUint32 = mac mod 2^32, exact for integers below 2^53
  const hi = (mac / 0x1_0000_0000) | 0
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b)
  h ^= h >>> 15
  return h
}
