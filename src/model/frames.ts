/**
 * Frames in flight, as struct-of-arrays slots (no object per frame). A slot is one replica of one
 * input frame on its way through the model; it is referenced by exactly one pending kernel event or
 * queue position at a time and freed when the replica is delivered or dropped.
 *
 * Replica ids: every switching decision (physical switch, eswitch, vSwitch) gives each destination a new
 * replica id, unique within the packet, and the forward event's `aux` names the parent replica; a
 * per-packet counter lives in a "family" record shared by all replicas of the packet.
 */
export const DST_UNICAST = 0
export const DST_MULTICAST = 1
export const DST_BROADCAST = 2

export class FramePool {
  cap: number
  // per slot
  pkt: Float64Array // packet_id
  rep: Int32Array // replica id
  fam: Int32Array // family (per packet) index
  len: Int32Array // length on the current hop (no FCS)
  vlan: Int16Array // VLAN on the current hop, -1 untagged
  dst: Float64Array // destination MAC (48-bit)
  src: Float64Array // source MAC
  kind: Uint8Array // DST_*
  tin: Float64Array // time the frame entered the model
  srcVm: Int32Array // sending VM index, -1 external
  private nextFree: Int32Array
  private freeHead = -1
  private used = 0
  // per family
  private famCap: number
  private famNext: Int32Array // next replica id
  private famRef: Int32Array // live slots of the family
  private famFreeNext: Int32Array
  private famFreeHead = -1
  private famUsed = 0
  live = 0

  constructor(initial = 4096) {
    this.cap = initial
    this.pkt = new Float64Array(initial)
    this.rep = new Int32Array(initial)
    this.fam = new Int32Array(initial)
    this.len = new Int32Array(initial)
    this.vlan = new Int16Array(initial)
    this.dst = new Float64Array(initial)
    this.src = new Float64Array(initial)
    this.kind = new Uint8Array(initial)
    this.tin = new Float64Array(initial)
    this.srcVm = new Int32Array(initial)
    this.nextFree = new Int32Array(initial)
    this.famCap = initial
    this.famNext = new Int32Array(initial)
    this.famRef = new Int32Array(initial)
    this.famFreeNext = new Int32Array(initial)
  }

  /** A new frame entering the model: new family, replica 0. */
  allocFrame(packetId: number, len: number, vlan: number, dst: number, src: number, kind: number, tin: number, srcVm: number): number {
    const f = this.allocFam()
    const s = this.allocSlot()
    this.pkt[s] = packetId
    this.rep[s] = 0
    this.fam[s] = f
    this.len[s] = len
    this.vlan[s] = vlan
    this.dst[s] = dst
    this.src[s] = src
    this.kind[s] = kind
    this.tin[s] = tin
    this.srcVm[s] = srcVm
    this.famRef[f]++
    return s
  }

  /** A new replica of `s` with its own replica id (the caller sets len/vlan for the hop). */
  replicate(s: number): number {
    const c = this.allocSlot()
    const f = this.fam[s]
    this.pkt[c] = this.pkt[s]
    this.rep[c] = this.famNext[f]++
    this.fam[c] = f
    this.len[c] = this.len[s]
    this.vlan[c] = this.vlan[s]
    this.dst[c] = this.dst[s]
    this.src[c] = this.src[s]
    this.kind[c] = this.kind[s]
    this.tin[c] = this.tin[s]
    this.srcVm[c] = this.srcVm[s]
    this.famRef[f]++
    return c
  }

  /** Give slot `s` a fresh replica id (the last destination of a replication reuses the parent's slot). */
  renumber(s: number): void {
    this.rep[s] = this.famNext[this.fam[s]]++
  }

  free(s: number): void {
    const f = this.fam[s]
    if (--this.famRef[f] === 0) {
      this.famFreeNext[f] = this.famFreeHead
      this.famFreeHead = f
    }
    this.nextFree[s] = this.freeHead
    this.freeHead = s
    this.live--
  }

  private allocSlot(): number {
    this.live++
    if (this.freeHead >= 0) {
      const s = this.freeHead
      this.freeHead = this.nextFree[s]
      return s
    }
    if (this.used === this.cap) this.growSlots()
    return this.used++
  }

  private allocFam(): number {
    let f: number
    if (this.famFreeHead >= 0) {
      f = this.famFreeHead
      this.famFreeHead = this.famFreeNext[f]
    } else {
      if (this.famUsed === this.famCap) this.growFams()
      f = this.famUsed++
    }
    this.famNext[f] = 1
    this.famRef[f] = 0
    return f
  }

  private growSlots(): void {
    const n = this.cap * 2
    const g = <T extends Float64Array | Int32Array | Int16Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n)
      b.set(a)
      return b
    }
    this.pkt = g(this.pkt)
    this.rep = g(this.rep)
    this.fam = g(this.fam)
    this.len = g(this.len)
    this.vlan = g(this.vlan)
    this.dst = g(this.dst)
    this.src = g(this.src)
    this.kind = g(this.kind)
    this.tin = g(this.tin)
    this.srcVm = g(this.srcVm)
    this.nextFree = g(this.nextFree)
    this.cap = n
  }

  private growFams(): void {
    const n = this.famCap * 2
    const g = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n)
      b.set(a)
      return b
    }
    this.famNext = g(this.famNext)
    this.famRef = g(this.famRef)
    this.famFreeNext = g(this.famFreeNext)
    this.famCap = n
  }
}
