import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {deriveScenario, deriveScenarioDetailed} from '../../src/scenario/derive.js'
import {parseScenario} from '../../src/scenario/load.js'
import {scenarioToYaml} from '../../src/scenario/format.js'
import {parseMacText} from '../../src/scenario/schema.js'
import {UserError} from '../../src/errors.js'
import {frameBytes, pcapBytes, writeTmp, type TestFrame} from './_pcap.js'

const EXT = '02:ee:00:00:00:01'
const MDNS = '01:00:5e:00:00:fb'
const V6 = '33:33:00:00:00:01'
const rep = (n: number, f: TestFrame): TestFrame[] => Array.from({length: n}, () => f)

// Known answer by construction (frame counts per unicast source):
//   02:..:0a  5 untagged                     → tie with 0b, lower MAC ranks first
//   02:..:0b  5, all VLAN 10                 → port VLAN 10
//   02:..:03  4: VLAN 20 ×2, VLAN 30, untagged → vlans [20, 30]
//   02:..:04  3: VLAN 40 ×2, untagged        → vlans [40]
//   02:..:05  3, priority-tagged (VID 0)     → untagged; loses the tie with 04 at --vms 4
//   02:ee:..:01 (external) 1
//   03:00:00:00:00:01 sends 10 (group bit: not a unicast source), a 10-byte runt is skipped.
//   multicast destinations: MDNS ×3, V6 ×1 (broadcast not counted).
const frames: TestFrame[] = [
  ...rep(5, {dst: EXT, src: '02:00:00:00:00:0a'}),
  ...rep(5, {dst: EXT, src: '02:00:00:00:00:0b', vid: 10}),
  ...rep(2, {dst: EXT, src: '02:00:00:00:00:03', vid: 20}),
  {dst: MDNS, src: '02:00:00:00:00:03', vid: 30},
  {dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:03'},
  ...rep(2, {dst: MDNS, src: '02:00:00:00:00:04', vid: 40}),
  {dst: V6, src: '02:00:00:00:00:04'},
  ...rep(3, {dst: EXT, src: '02:00:00:00:00:05', vid: 0}),
  {dst: '02:00:00:00:00:0a', src: EXT},
  ...rep(10, {dst: EXT, src: '03:00:00:00:00:01'}),
  {dst: EXT, src: '02:00:00:00:00:77', len: 10},
]
const cap = writeTmp('known.pcap', pcapBytes(frames.map(frameBytes)))
const mac = parseMacText

const derive = suite('scenario/derive')

derive('top N by count, ties by MAC, named in MAC order', () => {
  const {scenario: s, stats} = deriveScenarioDetailed(cap, {vms: 4})
  assert.equal(s.vms.map((v) => [v.name, v.mac]), [
    ['vm1', mac('02:00:00:00:00:03')],
    ['vm2', mac('02:00:00:00:00:04')],
    ['vm3', mac('02:00:00:00:00:0a')],
    ['vm4', mac('02:00:00:00:00:0b')],
  ])
  assert.equal(stats.perVm.map((v) => v.frames), [4, 3, 5, 5])
  assert.is(stats.frames, 32)
  assert.is(stats.ethernetFrames, 31) // the runt is not decodable
  assert.is(stats.unicastSources, 6)
  assert.is(stats.vmFrames, 17)
})

derive('VLANs: one VID → port vlan, several or mixed → vlans, none/VID 0 → untagged', () => {
  const s = deriveScenario(cap, {vms: 5})
  const by = Object.fromEntries(s.vms.map((v) => [v.mac, [v.vlan, v.vlans]]))
  assert.equal(by[mac('02:00:00:00:00:03')], [null, [20, 30]])
  assert.equal(by[mac('02:00:00:00:00:04')], [null, [40]])
  assert.equal(by[mac('02:00:00:00:00:05')], [null, []])
  assert.equal(by[mac('02:00:00:00:00:0a')], [null, []])
  assert.equal(by[mac('02:00:00:00:00:0b')], [10, []])
})

derive('host, defaults, multicast groups for every VM', () => {
  const s = deriveScenario(cap, {vms: 4})
  assert.equal(s.hosts, [{name: 'host-a', nic: 'intel-82599', vfs: 8, linkGbps: 10}])
  for (const v of s.vms) {
    assert.equal(v.multicast, [mac(MDNS), mac(V6)])
    assert.is(v.mode, 'passthrough')
    assert.is(v.plugin, null)
    assert.is(v.host, 'host-a')
    assert.is(v.promiscuous, false)
  }
  assert.is(s.seed, 1)
  assert.equal(s.pacing, {kind: 'original'})
  assert.equal(s.operations, [])
  assert.equal(s.policies, [{vm: '*', allowMacChange: true, allowVlanChange: true, allowPromiscuous: false, allowMulticast: true}])
  assert.is(s.source, `derived from ${cap}`)
})

derive('options: vms, host, nic, plugin, mode, seed; vfs = max(8, N)', () => {
  const s = deriveScenario(cap, {vms: 2, host: 'h1', nic: 'acme-x700', plugin: 'acme-vf@2.0.0', mode: 'emulated', seed: 42})
  assert.equal(s.vms.map((v) => v.mac), [mac('02:00:00:00:00:0a'), mac('02:00:00:00:00:0b')])
  assert.equal(s.hosts[0], {name: 'h1', nic: 'acme-x700', vfs: 8, linkGbps: 10})
  assert.ok(s.vms.every((v) => v.plugin === 'acme-vf@2.0.0' && v.mode === 'emulated' && v.host === 'h1'))
  assert.is(s.seed, 42)
  assert.is(deriveScenario(cap, {vms: 0}).vms.length, 0)
  assert.is(deriveScenario(cap, {nic: 'none'}).hosts[0].vfs, 0)
  assert.is(deriveScenario(cap, {vms: 8}).vms.length, 6) // only 6 unicast sources exist
})

derive('more than 30 multicast groups: the 30 most frequent, ties by MAC', () => {
  const groups = Array.from({length: 32}, (_, i) => `01:00:5e:00:01:${i.toString(16).padStart(2, '0')}`)
  // groups[31] and groups[30] are seen twice, the others once → kept: 30, 31 and 0..27
  const fs = [...groups.map((g) => ({dst: g, src: '02:00:00:00:00:01'})), {dst: groups[31], src: '02:00:00:00:00:01'}, {dst: groups[30], src: '02:00:00:00:00:01'}]
  const p = writeTmp('mc.pcap', pcapBytes(fs.map(frameBytes)))
  const s = deriveScenario(p)
  const want = [...groups.slice(0, 28), groups[30], groups[31]].map(mac)
  assert.equal(s.vms[0].multicast, want)
})

derive('derived scenario round-trips through YAML', () => {
  const s = deriveScenario(cap, {vms: 5, plugin: 'ixgbevf@1.1.0'})
  const back = parseScenario(scenarioToYaml(s), 'x.yaml')
  assert.equal({...back, source: ''}, {...s, source: ''})
})

derive('not an Ethernet capture → UserError naming the linktype', () => {
  const p = writeTmp('raw.pcap', pcapBytes([Uint8Array.from([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2])], 101))
  try {
    deriveScenario(p)
    assert.unreachable('should throw')
  } catch (error) {
    assert.instance(error, UserError)
    assert.is((error as Error).message, `${p}: not an Ethernet capture (linktype 101): replay models Ethernet only; inspect still works`)
  }
  const empty = writeTmp('raw-empty.pcap', pcapBytes([], 101))
  assert.throws(() => deriveScenario(empty), /not an Ethernet capture \(linktype 101\)/)
})

derive('empty Ethernet capture → no VMs; bad options → UserError', () => {
  const p = writeTmp('empty.pcap', pcapBytes([]))
  assert.equal(deriveScenario(p).vms, [])
  assert.throws(() => deriveScenario(cap, {vms: 64}), (e: Error) => e instanceof UserError && /--vms 64: expected 0\.\.63/.test(e.message))
  assert.throws(() => deriveScenario(cap, {plugin: 'ixgbevf'}), (e: Error) => e instanceof UserError && /name@x\.y\.z/.test(e.message))
  assert.throws(() => deriveScenario(writeTmp('nothing.txt', 'hello, not a capture'), {}), (e: Error) => e instanceof UserError)
})

derive.run()
