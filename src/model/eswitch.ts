/**
 * The embedded switch (VEB) of one SR-IOV NIC: which ports a frame reaches, with which VLAN tag.
 *
 * Ports: 0 = UPLINK (the wire), 1 = PF (hypervisor vSwitch uplink, the default pool),
 * 2..numVfs+1 = VF0..VF(n-1). State changes only through the PF control API below; the data path
 * is `forward()`, which allocates nothing and never uses BigInt.
 *
 * Rules (npa-model-reference.md §3.4; "rule n" in comments below refers to this list):
 *  1. Anti-spoof on VF transmit, on by default [IX-SRIOV]: source MAC must be the port's MAC
 *     (anti_spoof_mac); a port with a pvid must send untagged, a port without one may tag only
 *     VLANs in its filter (anti_spoof_vlan). MAC is checked before VLAN. Off: no checks.
 *  2. Port VLAN (VMVIR) [IX-SRIOV]: inserted on TX (the frame's VLAN inside the switch is the pvid),
 *     stripped on RX (a destination whose pvid is the frame's VLAN receives it untagged).
 *  3. VLAN membership (VLVF/VFTA, VMOLR.AUPE) [Q-IGB; IX-SRIOV]: member of v if pvid == v or v is in
 *     the filter; untagged frames reach only ports without a pvid (a pvid clears AUPE). The PF is
 *     a member of every VLAN (the vSwitch does VLAN work for emulated VMs); the uplink is a trunk.
 *  4. Known unicast (RAR hit, port MAC or PF MAC list) whose port is a member of the VLAN → that port
 *     only; VF→VF stays inside the NIC [Q-IGB]. A known MAC on a port that is NOT a member of the
 *     frame's VLAN is treated as unknown for that VLAN (the pool match is ANDed with the VLAN pool
 *     bits in hardware, leaving no match) → rules 6/7.
 *  5. Broadcast → every member port except the source (BAM is set on every pool [IX-SRIOV]), plus
 *     the uplink when not from it. Multicast → member ports that listed the group or are
 *     all-multicast/promiscuous, plus the PF, plus the uplink when not from it; never the source.
 *  6. Unknown unicast from the uplink → PF (default pool, VT_CTL.DEF_PL) + promiscuous member VFs [Q-IGB].
 *  7. Unknown unicast from a VF or the PF → uplink only (never the default pool) + promiscuous
 *     member VFs other than the source [Q-IGB].
 *  8. No port reached → no_destination. Ports with receive disabled (VFRE) are removed last
 *     (the pool result is ANDed with VFRE [Q-IGB]); if that empties the set → rx_disabled.
 *  9. Never back to the source port (802.1Qbg VEB; QEMU's igb does not prune the source pool,
 *     we do, as the reference advises).
 *  VID 4095 is reserved by 802.1Q and never valid in a tag: such frames drop as vlan_filter (the only
 *  way to reach that reason here, since PF and uplink accept every VLAN; the NIC may use it too).
 *
 * Simplifications: multicast is an exact list of group MACs per port; real 82599 VFs can only use
 * the 4096-bit MTA hash (up to 30 hashes [IX-H]), so hardware lets through some groups a VF did not
 * ask for — we do not model those false positives. No VEPA (veb_mode = VEB, loopback on [IX-SRIOV];
 * `loopback: false` sends every locally sourced frame to the wire only and models no hairpin).
 * No MACVLAN extra unicast filters for VFs (SET_MACVLAN), no UTA hash, no QoS bits, no double tags:
 * with anti-spoof off a guest-tagged frame from a pvid port simply takes the pvid.
 * A MAC belongs to at most one port: programming a MAC held by another port throws (clear it first).
 */
import {MacTable} from './mac-table.js'

/** Port numbers of one switch. */
export const UPLINK = 0
export const PF = 1
/** Switch port of VF number `vf` (0-based). */
export function vfPort(vf: number): number {
  return vf + 2
}

export const ESW_REASON = {none: 0, anti_spoof_mac: 1, anti_spoof_vlan: 2, vlan_filter: 3, no_destination: 4, rx_disabled: 5} as const
export const ESW_REASON_NAMES = ['none', 'anti_spoof_mac', 'anti_spoof_vlan', 'vlan_filter', 'no_destination', 'rx_disabled'] as const
export type EswReasonName = (typeof ESW_REASON_NAMES)[number]

/** What the lookup decided (for the lead's `eswitch_lookup` event); -1 = dropped before the lookup (anti-spoof, bad VID). */
export const ESW_KIND = {unicast: 0, unknown_unicast: 1, broadcast: 2, multicast: 3} as const
export const ESW_KIND_NAMES = ['unicast', 'unknown_unicast', 'broadcast', 'multicast'] as const

export const BROADCAST_MAC = 0xff_ff_ff_ff_ff_ff
const MAC_MAX = 0xff_ff_ff_ff_ff_ff
/** 2^40: dividing a 48-bit MAC by it leaves the first octet, whose bit 0 is the I/G (group) bit. */
const FIRST_OCTET = 0x100_0000_0000
const NVID = 4096
const VID_RESERVED = 4095
/** 64 pools per PF in hardware [IX-SRIOV] (Linux allows 63: vf_count_max). */
const MAX_VFS = 64

/** True for group (multicast or broadcast) MACs. */
export function isGroupMac(mac: number): boolean {
  return ((mac / FIRST_OCTET) & 1) === 1
}

/** 0x020000000001 → "02:00:00:00:00:01" (control path and messages only). */
export function formatMac(mac: number): string {
  return mac.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:')
}

export interface EmbeddedSwitchOptions {
  /** MAC+VLAN anti-spoof on every VF at creation: anti_spoof_default = on [IX-SRIOV]. */
  antiSpoofDefault?: boolean
  /** VEB with TX loopback (PFDTXGSWC.VT_LBEN): veb_mode = VEB, loopback on [IX-SRIOV]. */
  loopback?: boolean
}

export class EmbeddedSwitch {
  readonly numVfs: number
  readonly numPorts: number
  readonly loopback: boolean
  /** ESW_REASON value after forward() returned 0; 0 otherwise. */
  dropReason = 0
  /** ESW_KIND value of the last forward(), -1 if it dropped before the lookup. */
  lastKind = -1

  // Per-port state in typed arrays (index = port). MACs as doubles: 48-bit integers are exact; -1 = none.
  private readonly mac: Float64Array
  private readonly pvid: Int16Array // -1 = no port VLAN (accept untagged)
  private readonly antiSpoofOn: Uint8Array
  private readonly rxOn: Uint8Array
  private readonly allMulti: Uint8Array
  private readonly promisc: Uint8Array
  private readonly spoofed: Float64Array // per-port spoofed-frame counter (SSVPC [IX-SRIOV])
  /** VLAN filter bits, port * 4096 + vid (guest-programmed VLANs; the pvid is kept apart). */
  private readonly vlanFilter: Uint8Array
  private promiscCount = 0

  /** Unicast MAC → port (RAR entries). */
  private readonly macTable = new MacTable()
  /** Extra MACs steered to the PF pool (emulated VMs), apart from the PF's own MAC. */
  private readonly pfExtra = new Set<number>()

  // Multicast: group MAC → slot; slot row of numPorts bytes says which ports listed the group.
  // (A bit portmask would need >32 bits with 64 VFs; a byte row is as fast and simpler.)
  private readonly mcSlot = new MacTable() // slot, or -1
  private mcRows: Uint8Array
  private mcRefs: Int32Array
  private readonly mcFree: number[] = []
  private mcUsed = 0
  private readonly portGroups: number[][]

  constructor(numVfs: number, opts: EmbeddedSwitchOptions = {}) {
    if (!Number.isInteger(numVfs) || numVfs < 0 || numVfs > MAX_VFS) {
      throw new Error(`eswitch: numVfs ${numVfs} out of range 0..${MAX_VFS} (82599 has 64 pools per PF)`)
    }
    this.numVfs = numVfs
    const n = numVfs + 2
    this.numPorts = n
    this.loopback = opts.loopback ?? true
    this.mac = new Float64Array(n).fill(-1)
    this.pvid = new Int16Array(n).fill(-1)
    this.antiSpoofOn = new Uint8Array(n)
    if (opts.antiSpoofDefault ?? true) this.antiSpoofOn.fill(1, 2)
    this.rxOn = new Uint8Array(n).fill(1) // assumed: VFRE set (VF driver up) until the PF clears it, e.g. for a mode switch
    this.allMulti = new Uint8Array(n)
    this.promisc = new Uint8Array(n)
    this.spoofed = new Float64Array(n)
    this.vlanFilter = new Uint8Array(n * NVID)
    this.mcRows = new Uint8Array(8 * n)
    this.mcRefs = new Int32Array(8)
    this.portGroups = Array.from({length: n}, () => [])
  }

  // ---------------------------------------------------------------------------------------------
  // PF control API. Ports: the uplink is never programmable; MAC and RX enable apply to the PF and
  // VFs; VLAN, multicast, promiscuous and anti-spoof settings apply to VFs only (the PF accepts every
  // VLAN and all multicast; its vSwitch does the filtering for emulated VMs).
  // ---------------------------------------------------------------------------------------------

  /** The port's unicast filter (RAR) and anti-spoof source MAC; null clears it (a VF then cannot send with anti-spoof on). */
  setPortMac(port: number, mac: number | null): void {
    this.checkPort(port, PF, 'setPortMac')
    const old = this.mac[port]
    if (mac === null) {
      if (old >= 0) this.unmapMac(old, port)
      this.mac[port] = -1
      return
    }
    this.checkUnicast(mac, 'setPortMac')
    if (old === mac) return
    this.claimMac(mac, port)
    if (old >= 0) this.unmapMac(old, port)
    this.mac[port] = mac
  }

  /** Steer another unicast MAC to the PF pool (an emulated VM's MAC). Idempotent. */
  addPfMac(mac: number): void {
    this.checkUnicast(mac, 'addPfMac')
    if (this.pfExtra.has(mac)) return
    this.claimMac(mac, PF)
    this.pfExtra.add(mac)
  }

  /** Stop steering `mac` to the PF pool (no-op if it was not added; the PF's own MAC stays). */
  removePfMac(mac: number): void {
    if (!this.pfExtra.delete(mac)) return
    if (this.mac[PF] !== mac) this.macTable.delete(mac)
  }

  /** Port VLAN (pvid, 1..4094) or null: inserted on TX, stripped on RX, enforces VLAN anti-spoof, clears accept-untagged. */
  setPortVlan(port: number, vid: number | null): void {
    this.checkPort(port, 2, 'setPortVlan')
    if (vid === null) {
      this.pvid[port] = -1
      return
    }
    if (!Number.isInteger(vid) || vid < 1 || vid > 4094) throw new Error(`eswitch: setPortVlan: port VLAN ${vid} out of range 1..4094 (null clears it)`)
    this.pvid[port] = vid
  }

  /** Add a VLAN (0..4094) to the port's filter: the guest may tag it and receives it tagged. */
  addVlan(port: number, vid: number): void {
    this.checkPort(port, 2, 'addVlan')
    this.checkVid(vid, 'addVlan')
    this.vlanFilter[port * NVID + vid] = 1
  }

  removeVlan(port: number, vid: number): void {
    this.checkPort(port, 2, 'removeVlan')
    this.checkVid(vid, 'removeVlan')
    this.vlanFilter[port * NVID + vid] = 0
  }

  /**
   * The exact multicast groups the port accepts (replaces its list). Real hardware hashes groups into
   * the MTA and so leaks some others; we model the exact list (see the note at the top).
   */
  setMulticast(port: number, groups: number[]): void {
    this.checkPort(port, 2, 'setMulticast')
    for (const g of groups) {
      if (!Number.isInteger(g) || g < 0 || g > MAC_MAX || !isGroupMac(g) || g === BROADCAST_MAC) {
        throw new Error(`eswitch: setMulticast: ${formatMacSafe(g)} is not a multicast group MAC (I/G bit set, not broadcast)`)
      }
    }
    const n = this.numPorts
    for (const g of this.portGroups[port]) {
      const slot = this.mcSlot.get(g)
      this.mcRows[slot * n + port] = 0
      if (--this.mcRefs[slot] === 0) {
        this.mcSlot.delete(g)
        this.mcFree.push(slot)
      }
    }
    const list = [...new Set(groups)]
    for (const g of list) {
      let slot = this.mcSlot.get(g)
      if (slot < 0) {
        slot = this.allocSlot()
        this.mcSlot.set(g, slot)
      }
      this.mcRows[slot * n + port] = 1
      this.mcRefs[slot]++
    }
    this.portGroups[port] = list
  }

  setAllMulticast(port: number, on: boolean): void {
    this.checkPort(port, 2, 'setAllMulticast')
    this.allMulti[port] = on ? 1 : 0
  }

  /** Promiscuous: the port also receives unknown unicast and every multicast in its VLANs. */
  setPromiscuous(port: number, on: boolean): void {
    this.checkPort(port, 2, 'setPromiscuous')
    const v = on ? 1 : 0
    this.promiscCount += v - this.promisc[port]
    this.promisc[port] = v
  }

  setAntiSpoof(port: number, on: boolean): void {
    this.checkPort(port, 2, 'setAntiSpoof')
    this.antiSpoofOn[port] = on ? 1 : 0
  }

  /** VFRE (or the PF's receive enable): a disabled port receives nothing. */
  setRxEnable(port: number, on: boolean): void {
    this.checkPort(port, PF, 'setRxEnable')
    this.rxOn[port] = on ? 1 : 0
  }

  // ---------------------------------------------------------------------------------------------
  // Data path
  // ---------------------------------------------------------------------------------------------

  /**
   * Switch one frame. srcPort: where it entered. vid: VLAN tag as it arrives at the switch (-1 untagged).
   * Writes destination ports (ascending) into `out` (Int32Array of at least numPorts) and, per
   * destination, the VLAN it sees into `outVlan` (-1 = untagged). Returns the number of destinations;
   * 0 = dropped and `dropReason` says why. Allocation-free.
   */
  forward(srcPort: number, dstMac: number, srcMac: number, vid: number, out: Int32Array, outVlan: Int16Array): number {
    const np = this.numPorts
    if (srcPort >>> 0 >= np || srcPort !== (srcPort | 0)) throw new Error(`eswitch: forward: source port ${srcPort} out of range 0..${np - 1}`)
    if ((vid + 1) >>> 0 > NVID || vid !== (vid | 0)) throw new Error(`eswitch: forward: VLAN ${vid} out of range -1..4095`)
    this.dropReason = 0
    this.lastKind = -1
    const pvid = this.pvid
    let ev = vid // the frame's VLAN inside the switch
    if (srcPort >= 2) {
      const pv = pvid[srcPort]
      if (this.antiSpoofOn[srcPort] === 1) { // rule 1
        if (this.mac[srcPort] !== srcMac) return this.spoofDrop(srcPort, ESW_REASON.anti_spoof_mac)
        if (vid >= 0 && (pv >= 0 || this.vlanFilter[srcPort * NVID + vid] === 0)) return this.spoofDrop(srcPort, ESW_REASON.anti_spoof_vlan)
      }
      if (pv >= 0) ev = pv // rule 2: VMVIR insert
    }
    if (ev === VID_RESERVED) {
      this.dropReason = ESW_REASON.vlan_filter
      return 0
    }
    const fromWire = srcPort === UPLINK
    const local = this.loopback || fromWire // may a destination other than the uplink be chosen?
    let n = 0
    let blocked = 0 // destinations removed because their receive is disabled (rule 8)

    if (!isGroupMac(dstMac)) {
      const owner = this.macTable.get(dstMac)
      if (owner >= 0 && this.isMemberFast(owner, ev)) { // rule 4
        this.lastKind = ESW_KIND.unicast
        if (local && owner !== srcPort) { // rule 9: a frame to its own port's MAC reaches nothing
          if (this.rxOn[owner] === 1) {
            out[0] = owner
            outVlan[0] = owner >= 2 && pvid[owner] === ev ? -1 : ev
            n = 1
          } else blocked = 1
        } else if (!local) { // loopback off: a local hit still leaves by the wire
          out[0] = UPLINK
          outVlan[0] = ev
          n = 1
        }
      } else {
        this.lastKind = ESW_KIND.unknown_unicast
        // rule 6 (from the wire: PF, the default pool) / rule 7 (local: the wire only)
        const first = fromWire ? PF : UPLINK
        if (this.rxOn[first] === 1) {
          out[0] = first
          outVlan[0] = ev
          n = 1
        } else blocked = 1
        if (local && this.promiscCount > 0) {
          for (let p = 2; p < np; p++) {
            if (p === srcPort || this.promisc[p] === 0 || !this.isMemberFast(p, ev)) continue
            if (this.rxOn[p] === 0) { blocked++; continue }
            out[n] = p
            outVlan[n++] = pvid[p] === ev ? -1 : ev
          }
        }
      }
    } else if (dstMac === BROADCAST_MAC) { // rule 5
      this.lastKind = ESW_KIND.broadcast
      const last = local ? np : 1
      for (let p = 0; p < last; p++) {
        if (p === srcPort || !this.isMemberFast(p, ev)) continue
        if (this.rxOn[p] === 0) { blocked++; continue }
        out[n] = p
        outVlan[n++] = p >= 2 && pvid[p] === ev ? -1 : ev
      }
    } else { // rule 5, multicast
      this.lastKind = ESW_KIND.multicast
      const slot = this.mcSlot.get(dstMac)
      const row = slot < 0 ? -1 : slot * np
      const last = local ? np : 1
      for (let p = 0; p < last; p++) {
        if (p === srcPort) continue
        if (p >= 2) {
          if (this.allMulti[p] === 0 && this.promisc[p] === 0 && (row < 0 || this.mcRows[row + p] === 0)) continue
          if (!this.isMemberFast(p, ev)) continue
        }
        if (this.rxOn[p] === 0) { blocked++; continue }
        out[n] = p
        outVlan[n++] = p >= 2 && pvid[p] === ev ? -1 : ev
      }
    }
    if (n === 0) this.dropReason = blocked > 0 ? ESW_REASON.rx_disabled : ESW_REASON.no_destination
    return n
  }

  // ---------------------------------------------------------------------------------------------
  // Introspection (tests, trace, config dump)
  // ---------------------------------------------------------------------------------------------

  portMac(port: number): number | null {
    this.checkPort(port, 0, 'portMac')
    return this.mac[port] < 0 ? null : this.mac[port]
  }

  portVlan(port: number): number | null {
    this.checkPort(port, 0, 'portVlan')
    return this.pvid[port] < 0 ? null : this.pvid[port]
  }

  /** Rule 3 membership; vid -1 asks whether the port accepts untagged frames. */
  isMember(port: number, vid: number): boolean {
    this.checkPort(port, 0, 'isMember')
    return this.isMemberFast(port, vid)
  }

  /** The port that owns unicast MAC `mac`, or -1. */
  macOwner(mac: number): number {
    return this.macTable.get(mac)
  }

  pfMacs(): number[] {
    return [...this.pfExtra]
  }

  multicastGroups(port: number): number[] {
    this.checkPort(port, 0, 'multicastGroups')
    return [...this.portGroups[port]]
  }

  antiSpoof(port: number): boolean {
    this.checkPort(port, 0, 'antiSpoof')
    return this.antiSpoofOn[port] === 1
  }

  rxEnabled(port: number): boolean {
    this.checkPort(port, 0, 'rxEnabled')
    return this.rxOn[port] === 1
  }

  promiscuous(port: number): boolean {
    this.checkPort(port, 0, 'promiscuous')
    return this.promisc[port] === 1
  }

  allMulticast(port: number): boolean {
    this.checkPort(port, 0, 'allMulticast')
    return this.allMulti[port] === 1
  }

  /** Frames from this VF dropped by anti-spoof (SSVPC). */
  spoofCount(port: number): number {
    this.checkPort(port, 0, 'spoofCount')
    return this.spoofed[port]
  }

  // ---------------------------------------------------------------------------------------------

  private isMemberFast(p: number, v: number): boolean {
    if (p < 2) return true // uplink = trunk, PF = every VLAN (rule 3)
    const pv = this.pvid[p]
    if (v < 0) return pv < 0 // untagged: only ports with accept-untagged (no pvid)
    return pv === v || this.vlanFilter[p * NVID + v] === 1
  }

  private spoofDrop(port: number, reason: number): number {
    this.spoofed[port]++
    this.dropReason = reason
    return 0
  }

  private checkPort(port: number, min: number, op: string): void {
    if (Number.isInteger(port) && port >= min && port < this.numPorts) return
    const what = min === 2 ? 'VF ports' : min === PF ? 'the PF and VF ports' : 'ports'
    const hint = port === UPLINK && min > 0 ? ' (the uplink is not programmable)' : port === PF && min === 2 ? ' (the PF accepts every VLAN and multicast; its vSwitch filters)' : ''
    throw new Error(`eswitch: ${op}: bad port ${port}; ${what} are ${min}..${this.numPorts - 1}${hint}`)
  }

  private checkVid(vid: number, op: string): void {
    if (!Number.isInteger(vid) || vid < 0 || vid > 4094) throw new Error(`eswitch: ${op}: VLAN ${vid} out of range 0..4094`)
  }

  private checkUnicast(mac: number, op: string): void {
    if (!Number.isInteger(mac) || mac < 0 || mac > MAC_MAX || isGroupMac(mac)) {
      throw new Error(`eswitch: ${op}: ${formatMacSafe(mac)} is not a unicast MAC (48-bit integer, I/G bit clear)`)
    }
  }

  /** Map `mac` to `port`; throws when another port holds it (one RAR entry, one pool, here). */
  private claimMac(mac: number, port: number): void {
    const owner = this.macTable.get(mac)
    if (owner >= 0 && owner !== port) {
      throw new Error(`eswitch: MAC ${formatMac(mac)} already belongs to port ${owner}; clear it there before giving it to port ${port}`)
    }
    this.macTable.set(mac, port)
  }

  private unmapMac(mac: number, port: number): void {
    if (port === PF && this.pfExtra.has(mac)) return // still steered to the PF as an extra MAC
    if (this.macTable.get(mac) === port) this.macTable.delete(mac)
  }

  private allocSlot(): number {
    const free = this.mcFree.pop()
    if (free !== undefined) return free
    const slot = this.mcUsed++
    if (slot >= this.mcRefs.length) {
      const cap = this.mcRefs.length * 2
      const rows = new Uint8Array(cap * this.numPorts)
      rows.set(this.mcRows)
      this.mcRows = rows
      const refs = new Int32Array(cap)
      refs.set(this.mcRefs)
      this.mcRefs = refs
    }
    return slot
  }
}

function formatMacSafe(mac: number): string {
  return Number.isInteger(mac) && mac >= 0 && mac <= MAC_MAX ? formatMac(mac) : String(mac)
}
