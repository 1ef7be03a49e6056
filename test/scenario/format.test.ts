import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {parse} from 'yaml'
import {scenarioToYaml} from '../../src/scenario/format.js'
import {parseScenario} from '../../src/scenario/load.js'
import type {Scenario} from '../../src/scenario/types.js'

const s: Scenario = {
  version: 1,
  seed: 4242,
  pacing: {kind: 'speed', factor: 2.5},
  params: {vf_itr_rx_us: 20, posted_interrupts: false},
  hosts: [
    {name: 'a', nic: 'intel-82599', vfs: 16, linkGbps: 10},
    {name: 'b', nic: 'none', vfs: 0, linkGbps: 1},
  ],
  vms: [
    {name: 'vm1', mac: 0x020000000001, host: 'a', vlan: 10, vlans: [], multicast: [0x01005e0000fb], promiscuous: false, mode: 'passthrough', plugin: 'ixgbevf@1.0.0'},
    {name: 'vm2', mac: 0x0200000000ff, host: 'b', vlan: null, vlans: [20, 30], multicast: 'all', promiscuous: true, mode: 'emulated', plugin: null},
    {name: 'vm3', mac: 0xaabbccddeef0, host: 'a', vlan: null, vlans: [], multicast: [], promiscuous: false, mode: 'passthrough', plugin: null},
  ],
  policies: [
    {vm: '*', allowMacChange: false, allowVlanChange: true, allowPromiscuous: false, allowMulticast: true},
    {vm: 'vm2', allowMacChange: true, allowVlanChange: true, allowPromiscuous: true, allowMulticast: false},
  ],
  operations: [
    {at: 0, vm: 'vm1', op: 'vlan', vlan: null},
    {at: 1234, vm: 'vm1', op: 'mac', mac: 0x020000000099},
    {at: 1_500_000, vm: 'vm2', op: 'multicast', groups: 'all'},
    {at: 1_500_000, vm: 'vm3', op: 'multicast', groups: [0x333300000001, 0x01005e000001]},
    {at: 2_000_000, vm: 'vm1', op: 'mode', mode: 'emulated'},
    {at: 3_000_000_000, vm: 'vm2', op: 'promiscuous', on: false},
    {at: 3_000_000_001, vm: 'vm3', op: 'vlan', vlan: 4094},
  ],
  source: 'mem',
}

const fmt = suite('scenario/format')

fmt('round trip: parseScenario(scenarioToYaml(s)) equals s', () => {
  assert.equal(parseScenario(scenarioToYaml(s), 'mem'), s)
  for (const pacing of [{kind: 'original'}, {kind: 'topspeed'}, {kind: 'pps', pps: 100000}] as const) {
    const t = {...s, pacing}
    assert.equal(parseScenario(scenarioToYaml(t), 'mem'), t)
  }
})

fmt('the text: snake_case keys, quoted MACs, exact time units, defaults left out', () => {
  const y = scenarioToYaml(s)
  const raw = parse(y)
  assert.equal(raw.pacing, {speed: 2.5})
  assert.equal(raw.hosts[1], {name: 'b', nic: 'none', vfs: 0, link_gbps: 1})
  assert.equal(raw.vms[2], {name: 'vm3', mac: 'aa:bb:cc:dd:ee:f0', host: 'a', mode: 'passthrough'})
  assert.equal(raw.operations.map((o: {at: unknown}) => o.at), [0, 1234, '1500us', '1500us', '2ms', '3s', 3000000001])
  assert.ok(y.includes('mac: "02:00:00:00:00:01"'), 'MACs double-quoted')
  assert.ok(y.includes('groups: ["33:33:00:00:00:01", "01:00:5e:00:00:01"]'))
  assert.ok(y.includes('allow_mac_change: false'))
})

fmt('header and VM comments', () => {
  const y = scenarioToYaml(s, {header: 'line one\n\nline three', vmComments: {vm2: 'vm2: 7 frames sent'}})
  assert.ok(y.startsWith('# line one\n#\n# line three\nversion: 1\n'))
  assert.match(y, /\n {2}# vm2: 7 frames sent\n {2}- name: vm2\n/)
  assert.equal(parseScenario(y, 'mem'), s)
})

fmt.run()
