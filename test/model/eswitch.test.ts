import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {
  BROADCAST_MAC, EmbeddedSwitch, ESW_KIND, ESW_REASON, ESW_REASON_NAMES, PF, UPLINK,
  formatMac, isGroupMac, vfPort,
} from '../../src/model/eswitch.js'

// Addresses used throughout. VF n's MAC is 02:00:00:00:0n:00 (n counted from 1).
const PF_MAC = 0x02_00_00_00_00_01
const VF_MAC = [0x02_00_00_00_01_00, 0x02_00_00_00_02_00, 0x02_00_00_00_03_00, 0x02_00_00_00_04_00]
const EXT = 0x00_11_22_33_44_55 // a host on the wire
const EXT2 = 0x00_11_22_33_44_66
const EMU = 0x02_00_00_00_0e_01 // an emulated VM behind the PF's vSwitch
const MC = 0x01_00_5e_00_00_01
const MC2 = 0x01_00_5e_00_00_02
const [VF0, VF1, VF2, VF3] = [vfPort(0), vfPort(1), vfPort(2), vfPort(3)]

interface Result {ports: number[]; vlans: number[]; reason: string}

function fwd(sw: EmbeddedSwitch, src: number, dst: number, smac: number, vid = -1): Result {
  const out = new Int32Array(sw.numPorts).fill(-99)
  const outVlan = new Int16Array(sw.numPorts).fill(-99)
  const n = sw.forward(src, dst, smac, vid, out, outVlan)
  return {ports: [...out.subarray(0, n)], vlans: [...outVlan.subarray(0, n)], reason: ESW_REASON_NAMES[sw.dropReason]}
}

/** 4 VFs with their MACs, PF MAC, anti-spoof on (the default). */
function makeSwitch(opts?: {antiSpoofDefault?: boolean; loopback?: boolean}): EmbeddedSwitch {
  const sw = new EmbeddedSwitch(4, opts)
  sw.setPortMac(PF, PF_MAC)
  for (let i = 0; i < 4; i++) sw.setPortMac(vfPort(i), VF_MAC[i])
  return sw
}

const ports = suite('eswitch: ports and helpers')

ports('port numbering and MAC helpers', () => {
  assert.is(UPLINK, 0)
  assert.is(PF, 1)
  assert.is(vfPort(0), 2)
  assert.is(vfPort(62), 64)
  const sw = new EmbeddedSwitch(3)
  assert.is(sw.numPorts, 5)
  assert.is(isGroupMac(MC), true)
  assert.is(isGroupMac(BROADCAST_MAC), true)
  assert.is(isGroupMac(VF_MAC[0]), false)
  assert.is(isGroupMac(0xfe_ff_ff_ff_ff_ff), false) // only bit 0 of the first octet counts
  assert.is(formatMac(EXT), '00:11:22:33:44:55')
  assert.equal(ESW_REASON_NAMES.length, Object.keys(ESW_REASON).length)
  for (const [name, code] of Object.entries(ESW_REASON)) assert.is(ESW_REASON_NAMES[code], name)
})

ports('defaults: anti-spoof on for VFs, receive enabled, no VLANs', () => {
  const sw = new EmbeddedSwitch(2)
  assert.is(sw.antiSpoof(VF0), true)
  assert.is(sw.antiSpoof(VF1), true)
  assert.is(sw.rxEnabled(PF), true)
  assert.is(sw.rxEnabled(VF1), true)
  assert.is(sw.portVlan(VF0), null)
  assert.is(sw.portMac(VF0), null)
  assert.is(sw.isMember(VF0, -1), true)
  assert.is(sw.isMember(VF0, 5), false)
  assert.is(sw.isMember(PF, 5), true)
  assert.is(sw.isMember(UPLINK, 4094), true)
  assert.is(new EmbeddedSwitch(2, {antiSpoofDefault: false}).antiSpoof(VF0), false)
})

const r1 = suite('eswitch rule 1: anti-spoof on VF transmit')

r1('source MAC must be the port MAC', () => {
  const sw = makeSwitch()
  assert.equal(fwd(sw, VF0, EXT, VF_MAC[1]), {ports: [], vlans: [], reason: 'anti_spoof_mac'})
  assert.is(sw.lastKind, -1)
  assert.is(sw.spoofCount(VF0), 1)
  assert.equal(fwd(sw, VF0, EXT, VF_MAC[0]).ports, [UPLINK])
  assert.is(sw.spoofCount(VF0), 1)
})

r1('a VF without a MAC cannot send', () => {
  const sw = new EmbeddedSwitch(1)
  assert.is(fwd(sw, VF0, EXT, 0).reason, 'anti_spoof_mac')
})

r1('MAC is checked before VLAN', () => {
  const sw = makeSwitch()
  assert.is(fwd(sw, VF0, EXT, EXT2, 7).reason, 'anti_spoof_mac')
})

r1('a port with a pvid must send untagged, even with its own VLAN', () => {
  const sw = makeSwitch()
  sw.setPortVlan(VF0, 10)
  assert.is(fwd(sw, VF0, EXT, VF_MAC[0], 10).reason, 'anti_spoof_vlan')
  assert.is(fwd(sw, VF0, EXT, VF_MAC[0], 11).reason, 'anti_spoof_vlan')
  assert.is(sw.spoofCount(VF0), 2)
  assert.equal(fwd(sw, VF0, EXT, VF_MAC[0], -1).ports, [UPLINK])
})

r1('a port without a pvid may tag only VLANs in its filter; untagged is fine', () => {
  const sw = makeSwitch()
  sw.addVlan(VF0, 20)
  assert.equal(fwd(sw, VF0, EXT, VF_MAC[0], 20), {ports: [UPLINK], vlans: [20], reason: 'none'})
  assert.is(fwd(sw, VF0, EXT, VF_MAC[0], 21).reason, 'anti_spoof_vlan')
  assert.equal(fwd(sw, VF0, EXT, VF_MAC[0], -1), {ports: [UPLINK], vlans: [-1], reason: 'none'})
  sw.removeVlan(VF0, 20)
  assert.is(fwd(sw, VF0, EXT, VF_MAC[0], 20).reason, 'anti_spoof_vlan')
})

r1('anti-spoof off: no checks', () => {
  const sw = makeSwitch()
  sw.setAntiSpoof(VF0, false)
  assert.equal(fwd(sw, VF0, EXT, EXT2, 33), {ports: [UPLINK], vlans: [33], reason: 'none'})
  sw.setPortVlan(VF0, 10)
  // no double tags modelled: the pvid is inserted, the guest tag is not checked
  assert.equal(fwd(sw, VF0, EXT, EXT2, 33), {ports: [UPLINK], vlans: [10], reason: 'none'})
  assert.is(sw.spoofCount(VF0), 0)
  const off = makeSwitch({antiSpoofDefault: false})
  assert.equal(fwd(off, VF1, EXT, EXT2).ports, [UPLINK])
})

r1('the PF and the uplink are not checked', () => {
  const sw = makeSwitch()
  assert.equal(fwd(sw, PF, EXT, EMU, 55), {ports: [UPLINK], vlans: [55], reason: 'none'})
  assert.equal(fwd(sw, UPLINK, VF_MAC[0], VF_MAC[1]).ports, [VF0])
})

const r2 = suite('eswitch rule 2: port VLAN insert on TX, strip on RX')

r2('broadcast from a pvid port: tag inserted, stripped for same-pvid ports', () => {
  const sw = makeSwitch()
  sw.setPortVlan(VF0, 10)
  sw.setPortVlan(VF1, 10)
  sw.addVlan(VF2, 10) // guest-tagged member: sees the tag
  // VF3: untagged-only, not a member of 10
  assert.equal(fwd(sw, VF0, BROADCAST_MAC, VF_MAC[0]), {ports: [UPLINK, PF, VF1, VF2], vlans: [10, 10, -1, 10], reason: 'none'})
})

r2('tagged unicast from the wire to a pvid port arrives untagged', () => {
  const sw = makeSwitch()
  sw.setPortVlan(VF1, 10)
  assert.equal(fwd(sw, UPLINK, VF_MAC[1], EXT, 10), {ports: [VF1], vlans: [-1], reason: 'none'})
  sw.addVlan(VF2, 10)
  assert.equal(fwd(sw, UPLINK, VF_MAC[2], EXT, 10), {ports: [VF2], vlans: [10], reason: 'none'})
})

r2('VF to VF across pvid ports: inserted and stripped inside the NIC', () => {
  const sw = makeSwitch()
  sw.setPortVlan(VF0, 10)
  sw.setPortVlan(VF1, 10)
  assert.equal(fwd(sw, VF0, VF_MAC[1], VF_MAC[0]), {ports: [VF1], vlans: [-1], reason: 'none'})
})

const r3 = suite('eswitch rule 3: VLAN membership and filtering')

r3('membership: pvid or filter; a pvid clears accept-untagged until cleared', () => {
  const sw = makeSwitch()
  sw.setPortVlan(VF0, 10)
  sw.addVlan(VF0, 12)
  assert.is(sw.isMember(VF0, 10), true)
  assert.is(sw.isMember(VF0, 12), true)
  assert.is(sw.isMember(VF0, 11), false)
  assert.is(sw.isMember(VF0, -1), false)
  assert.is(sw.portVlan(VF0), 10)
  sw.setPortVlan(VF0, null)
  assert.is(sw.isMember(VF0, -1), true)
  assert.is(sw.isMember(VF0, 10), false)
  assert.is(sw.isMember(VF0, 12), true) // the guest's filter survives
})

r3('untagged broadcast from the wire: ports without pvid and the PF', () => {
  const sw = makeSwitch()
  sw.setPortVlan(VF1, 10)
  sw.setPortVlan(VF3, 20)
  sw.addVlan(VF2, 20)
  assert.equal(fwd(sw, UPLINK, BROADCAST_MAC, EXT), {ports: [PF, VF0, VF2], vlans: [-1, -1, -1], reason: 'none'})
})

r3('tagged broadcast from the wire: VLAN members and the PF (member of every VLAN)', () => {
  const sw = makeSwitch()
  sw.setPortVlan(VF1, 10)
  sw.setPortVlan(VF3, 20)
  sw.addVlan(VF2, 20)
  assert.equal(fwd(sw, UPLINK, BROADCAST_MAC, EXT, 20), {ports: [PF, VF2, VF3], vlans: [20, 20, -1], reason: 'none'})
  assert.equal(fwd(sw, UPLINK, BROADCAST_MAC, EXT, 99), {ports: [PF], vlans: [99], reason: 'none'})
})

r3('reserved VID 4095 is dropped as vlan_filter', () => {
  const sw = makeSwitch()
  assert.equal(fwd(sw, UPLINK, BROADCAST_MAC, EXT, 4095), {ports: [], vlans: [], reason: 'vlan_filter'})
})

const r4 = suite('eswitch rule 4: known unicast')

r4('VF to VF stays inside the NIC (not also to the uplink)', () => {
  const sw = makeSwitch()
  assert.equal(fwd(sw, VF0, VF_MAC[1], VF_MAC[0]), {ports: [VF1], vlans: [-1], reason: 'none'})
  assert.is(sw.lastKind, ESW_KIND.unicast)
})

r4('wire to VF, VF to PF, wire to an emulated VM on the PF list', () => {
  const sw = makeSwitch()
  sw.addPfMac(EMU)
  assert.equal(fwd(sw, UPLINK, VF_MAC[3], EXT).ports, [VF3])
  assert.equal(fwd(sw, VF2, PF_MAC, VF_MAC[2]).ports, [PF])
  assert.equal(fwd(sw, UPLINK, EMU, EXT).ports, [PF])
  assert.equal(fwd(sw, VF0, EMU, VF_MAC[0]).ports, [PF])
  assert.equal(sw.pfMacs(), [EMU])
  assert.is(sw.macOwner(EMU), PF)
})

r4('a known MAC whose port is not in the VLAN counts as unknown', () => {
  const sw = makeSwitch()
  sw.setPortVlan(VF1, 10)
  // from the wire, VLAN 30: unknown → default pool (PF)
  assert.equal(fwd(sw, UPLINK, VF_MAC[1], EXT, 30), {ports: [PF], vlans: [30], reason: 'none'})
  assert.is(sw.lastKind, ESW_KIND.unknown_unicast)
  // from VF0 untagged: VF1 does not accept untagged → unknown → the wire only
  assert.equal(fwd(sw, VF0, VF_MAC[1], VF_MAC[0]), {ports: [UPLINK], vlans: [-1], reason: 'none'})
})

r4('moving a MAC from a VF to the PF pool (mode switch) re-steers it', () => {
  const sw = makeSwitch()
  assert.throws(() => sw.addPfMac(VF_MAC[0]), /already belongs to port 2/)
  sw.setPortMac(VF0, null)
  sw.addPfMac(VF_MAC[0])
  assert.equal(fwd(sw, UPLINK, VF_MAC[0], EXT).ports, [PF])
  assert.equal(fwd(sw, VF1, VF_MAC[0], VF_MAC[1]).ports, [PF])
  assert.is(fwd(sw, VF0, EXT, VF_MAC[0]).reason, 'anti_spoof_mac') // the VF lost its MAC
  sw.removePfMac(VF_MAC[0])
  assert.equal(fwd(sw, VF1, VF_MAC[0], VF_MAC[1]).ports, [UPLINK])
  sw.setPortMac(VF0, VF_MAC[0])
  assert.equal(fwd(sw, VF1, VF_MAC[0], VF_MAC[1]).ports, [VF0])
})

r4('changing a port MAC frees the old one; PF primary MAC survives removePfMac', () => {
  const sw = makeSwitch()
  sw.setPortMac(VF0, EXT2)
  assert.is(sw.macOwner(VF_MAC[0]), -1)
  assert.is(sw.macOwner(EXT2), VF0)
  sw.setPortMac(VF1, VF_MAC[0]) // free now
  assert.is(sw.portMac(VF1), VF_MAC[0])
  sw.addPfMac(PF_MAC) // same as the PF's own MAC: allowed
  sw.removePfMac(PF_MAC)
  assert.is(sw.macOwner(PF_MAC), PF)
  sw.addPfMac(EMU)
  sw.setPortMac(PF, EMU)
  sw.setPortMac(PF, null)
  assert.is(sw.macOwner(EMU), PF) // still an extra MAC
  assert.is(sw.macOwner(PF_MAC), -1)
})

r4('MAC table: 64 VFs and 500 PF MACs, growth, deletes, keys differing only in high bits', () => {
  const sw = new EmbeddedSwitch(64)
  const vf = (i: number): number => 0x02_00_00_00_00_00 + i * 2 ** 32 // differ in bits 32..47 only
  const emu = (i: number): number => 0x06_00_00_00_00_00 + i * 0x1_0001
  for (let i = 0; i < 64; i++) sw.setPortMac(vfPort(i), vf(i))
  for (let i = 0; i < 500; i++) sw.addPfMac(emu(i))
  for (let i = 0; i < 500; i += 2) sw.removePfMac(emu(i))
  for (let i = 0; i < 64; i++) assert.is(sw.macOwner(vf(i)), vfPort(i))
  for (let i = 0; i < 500; i++) assert.is(sw.macOwner(emu(i)), i % 2 === 0 ? -1 : PF, `emu ${i}`)
  assert.is(sw.pfMacs().length, 250)
  assert.is(sw.macOwner(vf(64)), -1)
  assert.equal(fwd(sw, UPLINK, vf(63), EXT).ports, [vfPort(63)])
  assert.equal(fwd(sw, vfPort(0), emu(499), vf(0)).ports, [PF])
  assert.equal(fwd(sw, vfPort(0), emu(498), vf(0)).ports, [UPLINK])
})

const r5 = suite('eswitch rule 5: broadcast and multicast replication')

r5('broadcast from a VF: uplink, PF, every other member VF', () => {
  const sw = makeSwitch()
  assert.equal(fwd(sw, VF1, BROADCAST_MAC, VF_MAC[1]), {ports: [UPLINK, PF, VF0, VF2, VF3], vlans: [-1, -1, -1, -1, -1], reason: 'none'})
  assert.is(sw.lastKind, ESW_KIND.broadcast)
})

r5('broadcast from the wire: PF and every member VF, not the uplink', () => {
  const sw = makeSwitch()
  assert.equal(fwd(sw, UPLINK, BROADCAST_MAC, EXT).ports, [PF, VF0, VF1, VF2, VF3])
})

r5('broadcast from the PF: uplink and every member VF', () => {
  const sw = makeSwitch()
  sw.setPortVlan(VF3, 5)
  assert.equal(fwd(sw, PF, BROADCAST_MAC, EMU).ports, [UPLINK, VF0, VF1, VF2])
})

r5('multicast from the wire: PF, listed, all-multicast and promiscuous members', () => {
  const sw = makeSwitch()
  sw.setMulticast(VF0, [MC])
  sw.setAllMulticast(VF1, true)
  sw.setPromiscuous(VF2, true)
  // VF3 listed nothing
  assert.equal(fwd(sw, UPLINK, MC, EXT), {ports: [PF, VF0, VF1, VF2], vlans: [-1, -1, -1, -1], reason: 'none'})
  assert.is(sw.lastKind, ESW_KIND.multicast)
  assert.equal(fwd(sw, UPLINK, MC2, EXT).ports, [PF, VF1, VF2])
})

r5('multicast respects VLAN membership', () => {
  const sw = makeSwitch()
  sw.setMulticast(VF0, [MC])
  sw.setMulticast(VF1, [MC])
  sw.setPortVlan(VF1, 7)
  sw.setAllMulticast(VF2, true)
  assert.equal(fwd(sw, UPLINK, MC, EXT, 7), {ports: [PF, VF1], vlans: [7, -1], reason: 'none'})
  assert.equal(fwd(sw, UPLINK, MC, EXT).ports, [PF, VF0, VF2])
})

r5('multicast from a VF: uplink, PF, listeners, never the source', () => {
  const sw = makeSwitch()
  sw.setMulticast(VF0, [MC])
  sw.setMulticast(VF3, [MC, MC2])
  assert.equal(fwd(sw, VF0, MC, VF_MAC[0]).ports, [UPLINK, PF, VF3])
  assert.equal(fwd(sw, PF, MC2, PF_MAC).ports, [UPLINK, VF3])
})

r5('setMulticast replaces the list; groups are freed and reused', () => {
  const sw = makeSwitch()
  sw.setMulticast(VF0, [MC])
  sw.setMulticast(VF0, [MC2])
  assert.equal(sw.multicastGroups(VF0), [MC2])
  assert.equal(fwd(sw, UPLINK, MC, EXT).ports, [PF])
  assert.equal(fwd(sw, UPLINK, MC2, EXT).ports, [PF, VF0])
  // many groups (beyond the initial table) on several ports, then all cleared
  const groups = Array.from({length: 40}, (_, i) => 0x01_00_5e_00_01_00 + i)
  sw.setMulticast(VF1, groups.slice(0, 30))
  sw.setMulticast(VF2, groups.slice(20))
  for (let i = 0; i < 40; i++) {
    const want = [PF, ...(i < 30 ? [VF1] : []), ...(i >= 20 ? [VF2] : [])]
    assert.equal(fwd(sw, UPLINK, groups[i], EXT).ports, want, `group ${i}`)
  }
  sw.setMulticast(VF1, [])
  sw.setMulticast(VF2, [groups[0]])
  assert.equal(fwd(sw, UPLINK, groups[0], EXT).ports, [PF, VF2])
  assert.equal(fwd(sw, UPLINK, groups[25], EXT).ports, [PF])
  assert.equal(fwd(sw, UPLINK, MC2, EXT).ports, [PF, VF0])
})

r5('leaving a shared group, and a freed group slot reused by another group, leave no stale members', () => {
  const sw = makeSwitch()
  sw.setMulticast(VF1, [MC])
  sw.setMulticast(VF2, [MC])
  sw.setMulticast(VF1, [])
  assert.equal(fwd(sw, UPLINK, MC, EXT).ports, [PF, VF2])
  sw.setMulticast(VF2, []) // MC's slot is free now
  sw.setMulticast(VF3, [MC2]) // takes the freed slot
  assert.equal(fwd(sw, UPLINK, MC2, EXT).ports, [PF, VF3])
  assert.equal(fwd(sw, UPLINK, MC, EXT).ports, [PF])
})

const r6 = suite('eswitch rule 6: unknown unicast from the wire')

r6('goes to the PF (default pool) only', () => {
  const sw = makeSwitch()
  assert.equal(fwd(sw, UPLINK, EXT2, EXT, 40), {ports: [PF], vlans: [40], reason: 'none'})
  assert.is(sw.lastKind, ESW_KIND.unknown_unicast)
})

r6('plus promiscuous VFs that are members of the VLAN', () => {
  const sw = makeSwitch()
  sw.setPromiscuous(VF1, true)
  sw.setPromiscuous(VF3, true)
  sw.setPortVlan(VF3, 9)
  assert.equal(fwd(sw, UPLINK, EXT2, EXT), {ports: [PF, VF1], vlans: [-1, -1], reason: 'none'})
  assert.equal(fwd(sw, UPLINK, EXT2, EXT, 9), {ports: [PF, VF3], vlans: [9, -1], reason: 'none'})
  sw.setPromiscuous(VF1, false)
  sw.setPromiscuous(VF3, false)
  assert.is(sw.promiscuous(VF1), false)
  assert.equal(fwd(sw, UPLINK, EXT2, EXT).ports, [PF])
})

const r7 = suite('eswitch rule 7: unknown unicast from a VF or the PF')

r7('goes to the uplink only, never the default pool', () => {
  const sw = makeSwitch()
  assert.equal(fwd(sw, VF0, EXT, VF_MAC[0]).ports, [UPLINK])
  assert.equal(fwd(sw, PF, EXT, PF_MAC).ports, [UPLINK])
})

r7('plus promiscuous member VFs other than the source', () => {
  const sw = makeSwitch()
  sw.setPromiscuous(VF0, true)
  sw.setPromiscuous(VF2, true)
  assert.equal(fwd(sw, VF0, EXT, VF_MAC[0]).ports, [UPLINK, VF2])
  assert.equal(fwd(sw, PF, EXT, PF_MAC).ports, [UPLINK, VF0, VF2])
})

const r8 = suite('eswitch rule 8: no destination, receive disabled')

r8('a frame to its own port MAC reaches nothing', () => {
  const sw = makeSwitch()
  sw.addPfMac(EMU)
  assert.equal(fwd(sw, VF0, VF_MAC[0], VF_MAC[0]), {ports: [], vlans: [], reason: 'no_destination'})
  assert.equal(fwd(sw, PF, EMU, PF_MAC), {ports: [], vlans: [], reason: 'no_destination'})
})

r8('broadcast on a switch with no other port in the VLAN still reaches the uplink', () => {
  const sw = new EmbeddedSwitch(0)
  assert.equal(fwd(sw, PF, BROADCAST_MAC, PF_MAC).ports, [UPLINK])
  assert.equal(fwd(sw, UPLINK, BROADCAST_MAC, EXT).ports, [PF])
})

r8('a disabled destination is removed; if none is left: rx_disabled', () => {
  const sw = makeSwitch()
  sw.setRxEnable(VF1, false)
  assert.equal(fwd(sw, UPLINK, VF_MAC[1], EXT), {ports: [], vlans: [], reason: 'rx_disabled'})
  assert.equal(fwd(sw, UPLINK, BROADCAST_MAC, EXT).ports, [PF, VF0, VF2, VF3])
  sw.setRxEnable(PF, false)
  assert.is(fwd(sw, UPLINK, EXT2, EXT).reason, 'rx_disabled')
  sw.setPromiscuous(VF2, true)
  assert.equal(fwd(sw, UPLINK, EXT2, EXT), {ports: [VF2], vlans: [-1], reason: 'none'})
  sw.setRxEnable(VF1, true)
  assert.is(sw.rxEnabled(VF1), true)
  assert.equal(fwd(sw, UPLINK, VF_MAC[1], EXT).ports, [VF1])
})

r8('dropReason resets to none after a delivered frame', () => {
  const sw = makeSwitch()
  fwd(sw, VF0, VF_MAC[0], VF_MAC[0])
  assert.is(sw.dropReason, ESW_REASON.no_destination)
  fwd(sw, VF0, EXT, VF_MAC[0])
  assert.is(sw.dropReason, ESW_REASON.none)
})

const r9 = suite('eswitch rule 9: never back to the source port')

r9('no source port ever appears in its own destinations', () => {
  const sw = makeSwitch({antiSpoofDefault: false})
  for (let p = 2; p < sw.numPorts; p++) {
    sw.setPromiscuous(p, true)
    sw.setAllMulticast(p, true)
  }
  for (let src = 0; src < sw.numPorts; src++) {
    for (const dst of [BROADCAST_MAC, MC, EXT2, src >= 1 ? (src === 1 ? PF_MAC : VF_MAC[src - 2]) : EXT]) {
      const r = fwd(sw, src, dst, EXT)
      assert.not.ok(r.ports.includes(src), `src ${src} dst ${formatMac(dst)}: ${r.ports}`)
    }
  }
  // and a promiscuous uplink-sourced unknown still reaches the others
  assert.equal(fwd(sw, UPLINK, EXT2, EXT).ports, [PF, VF0, VF1, VF2, VF3])
})

const lb = suite('eswitch: loopback off (VT_LBEN clear)')

lb('every locally sourced frame goes to the wire only', () => {
  const sw = makeSwitch({loopback: false})
  sw.setPromiscuous(VF2, true)
  assert.equal(fwd(sw, VF0, VF_MAC[1], VF_MAC[0]).ports, [UPLINK])
  assert.equal(fwd(sw, VF0, BROADCAST_MAC, VF_MAC[0]).ports, [UPLINK])
  assert.equal(fwd(sw, VF0, MC, VF_MAC[0]).ports, [UPLINK])
  assert.equal(fwd(sw, VF0, EXT, VF_MAC[0]).ports, [UPLINK])
  assert.equal(fwd(sw, PF, VF_MAC[1], PF_MAC).ports, [UPLINK])
  // anti-spoof still applies
  assert.is(fwd(sw, VF0, EXT, EXT2).reason, 'anti_spoof_mac')
  // the wire side is unchanged
  assert.equal(fwd(sw, UPLINK, VF_MAC[1], EXT).ports, [VF1])
  assert.equal(fwd(sw, UPLINK, BROADCAST_MAC, EXT).ports, [PF, VF0, VF1, VF2, VF3])
})

const ctl = suite('eswitch: control API errors')

ctl('bad ports throw', () => {
  const sw = makeSwitch()
  assert.throws(() => sw.setPortMac(UPLINK, EXT), /uplink is not programmable/)
  assert.throws(() => sw.setPortMac(6, EXT), /bad port 6/)
  assert.throws(() => sw.setPortMac(-1, EXT), /bad port -1/)
  assert.throws(() => sw.setPortMac(2.5, EXT), /bad port 2.5/)
  assert.throws(() => sw.setRxEnable(UPLINK, false), /bad port 0/)
  for (const op of [
    () => sw.setPortVlan(PF, 5), () => sw.addVlan(PF, 5), () => sw.removeVlan(PF, 5), () => sw.setMulticast(PF, [MC]),
    () => sw.setAllMulticast(PF, true), () => sw.setPromiscuous(PF, true), () => sw.setAntiSpoof(PF, false),
  ]) assert.throws(op, /bad port 1; VF ports are 2\.\.5 \(the PF accepts every VLAN/)
  assert.throws(() => sw.portMac(9), /bad port 9/)
  assert.throws(() => sw.forward(6, EXT, EXT, -1, new Int32Array(6), new Int16Array(6)), /source port 6/)
  assert.throws(() => sw.forward(0, EXT, EXT, 4096, new Int32Array(6), new Int16Array(6)), /VLAN 4096/)
  assert.throws(() => sw.forward(0, EXT, EXT, -2, new Int32Array(6), new Int16Array(6)), /VLAN -2/)
})

ctl('bad values throw', () => {
  const sw = makeSwitch()
  assert.throws(() => sw.setPortMac(VF0, MC), /not a unicast MAC/)
  assert.throws(() => sw.setPortMac(VF0, 2 ** 48), /not a unicast MAC/)
  assert.throws(() => sw.addPfMac(BROADCAST_MAC), /not a unicast MAC/)
  assert.throws(() => sw.setPortMac(VF1, VF_MAC[0]), /02:00:00:00:01:00 already belongs to port 2/)
  assert.throws(() => sw.setPortVlan(VF0, 0), /out of range 1\.\.4094/)
  assert.throws(() => sw.setPortVlan(VF0, 4095), /out of range 1\.\.4094/)
  assert.throws(() => sw.addVlan(VF0, 4095), /out of range 0\.\.4094/)
  assert.throws(() => sw.setMulticast(VF0, [EXT]), /00:11:22:33:44:55 is not a multicast group/)
  assert.throws(() => sw.setMulticast(VF0, [BROADCAST_MAC]), /not a multicast group/)
  assert.throws(() => new EmbeddedSwitch(65), /numVfs 65 out of range/)
  assert.throws(() => new EmbeddedSwitch(-1), /numVfs -1/)
  assert.is(new EmbeddedSwitch(64).numPorts, 66)
  // a failed call changed nothing
  assert.is(sw.portMac(VF1), VF_MAC[1])
  assert.equal(sw.multicastGroups(VF0), [])
})

// ---------------------------------------------------------------------------------------------
// Cross-check against a plain, set-based restatement of rules 1-9 on random configurations.
// ---------------------------------------------------------------------------------------------

const cross = suite('eswitch: random cross-check against a reference restatement')

function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

cross('2000 random configurations x 20 frames agree with the reference', () => {
  const rnd = lcg(12345)
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]
  const vids = [-1, 5, 6]
  const groups = [MC, MC2]
  let delivered = 0
  let dropped = 0
  for (let iter = 0; iter < 2000; iter++) {
    const nv = 1 + Math.floor(rnd() * 4)
    const loopback = rnd() < 0.8
    const sw = new EmbeddedSwitch(nv, {loopback})
    const np = nv + 2
    const cfg = {mac: new Map<number, number>(), pvid: [] as number[], filt: [] as Set<number>[], mc: [] as Set<number>[],
      all: [] as boolean[], pro: [] as boolean[], as: [] as boolean[], rx: [] as boolean[]}
    sw.setPortMac(PF, PF_MAC)
    cfg.mac.set(PF_MAC, PF)
    if (rnd() < 0.5) { sw.addPfMac(EMU); cfg.mac.set(EMU, PF) }
    for (let p = 0; p < np; p++) {
      cfg.pvid[p] = -1; cfg.filt[p] = new Set(); cfg.mc[p] = new Set(); cfg.all[p] = false; cfg.pro[p] = false; cfg.as[p] = p >= 2; cfg.rx[p] = true
      if (p >= 2) {
        if (rnd() < 0.9) { sw.setPortMac(p, VF_MAC[p - 2]); cfg.mac.set(VF_MAC[p - 2], p) }
        if (rnd() < 0.3) { cfg.pvid[p] = pick([5, 6]); sw.setPortVlan(p, cfg.pvid[p]) }
        for (const v of [5, 6]) if (rnd() < 0.3) { cfg.filt[p].add(v); sw.addVlan(p, v) }
        const g = groups.filter(() => rnd() < 0.3); cfg.mc[p] = new Set(g); sw.setMulticast(p, g)
        if (rnd() < 0.15) { cfg.all[p] = true; sw.setAllMulticast(p, true) }
        if (rnd() < 0.2) { cfg.pro[p] = true; sw.setPromiscuous(p, true) }
        if (rnd() < 0.2) { cfg.as[p] = false; sw.setAntiSpoof(p, false) }
      }
      if (p >= 1 && rnd() < 0.1) { cfg.rx[p] = false; sw.setRxEnable(p, false) }
    }
    const member = (p: number, v: number): boolean => p < 2 || (v < 0 ? cfg.pvid[p] < 0 : cfg.pvid[p] === v || cfg.filt[p].has(v))
    const outV = (p: number, v: number): number => (p >= 2 && cfg.pvid[p] === v ? -1 : v)
    for (let k = 0; k < 20; k++) {
      const src = Math.floor(rnd() * np)
      const dst = pick([BROADCAST_MAC, MC, MC2, EXT, PF_MAC, EMU, ...VF_MAC.slice(0, nv)])
      const smac = src >= 2 && rnd() < 0.85 ? VF_MAC[src - 2] : pick([EXT, EMU, PF_MAC])
      const vid = pick(vids)
      // reference
      let want: Result
      const spoofMac = src >= 2 && cfg.as[src] && !(cfg.mac.get(smac) === src)
      const spoofVlan = src >= 2 && cfg.as[src] && vid >= 0 && (cfg.pvid[src] >= 0 || !cfg.filt[src].has(vid))
      if (spoofMac) want = {ports: [], vlans: [], reason: 'anti_spoof_mac'}
      else if (spoofVlan) want = {ports: [], vlans: [], reason: 'anti_spoof_vlan'}
      else {
        const ev = src >= 2 && cfg.pvid[src] >= 0 ? cfg.pvid[src] : vid
        const set = new Set<number>()
        const local = src !== UPLINK
        if (local && !loopback) set.add(UPLINK)
        else if (dst === BROADCAST_MAC) { for (let p = 0; p < np; p++) if (member(p, ev)) set.add(p) }
        else if (isGroupMac(dst)) {
          for (let p = 0; p < np; p++) if (p < 2 || (member(p, ev) && (cfg.mc[p].has(dst) || cfg.all[p] || cfg.pro[p]))) set.add(p)
        } else {
          const owner = cfg.mac.get(dst)
          if (owner !== undefined && member(owner, ev)) set.add(owner)
          else {
            set.add(local ? UPLINK : PF)
            for (let p = 2; p < np; p++) if (cfg.pro[p] && member(p, ev)) set.add(p)
          }
        }
        set.delete(src)
        const before = set.size
        for (const p of [...set]) if (p > 0 && !cfg.rx[p]) set.delete(p)
        const ps = [...set].sort((a, b) => a - b)
        want = {ports: ps, vlans: ps.map((p) => outV(p, ev)), reason: ps.length > 0 ? 'none' : before > 0 ? 'rx_disabled' : 'no_destination'}
      }
      const got = fwd(sw, src, dst, smac, vid)
      assert.equal(got, want, `iter ${iter} src ${src} dst ${formatMac(dst)} smac ${formatMac(smac)} vid ${vid} loopback ${loopback}`)
      if (got.ports.length > 0) delivered++
      else dropped++
    }
  }
  // the random mix exercises both outcomes substantially
  assert.ok(delivered > 20000 && dropped > 5000, `delivered ${delivered} dropped ${dropped}`)
})

ports.run()
r1.run()
r2.run()
r3.run()
r4.run()
r5.run()
r6.run()
r7.run()
r8.run()
r9.run()
lb.run()
ctl.run()
cross.run()
