import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {mkdirSync} from 'node:fs'
import {loadScenario, parseScenario} from '../../src/scenario/load.js'
import {UserError} from '../../src/errors.js'
import {writeTmp} from './_pcap.js'

/** Message of the UserError that parseScenario throws on `text` (file name t.yaml). */
function problem(text: string): string {
  try {
    parseScenario(text, 't.yaml')
  } catch (error) {
    assert.instance(error, UserError)
    const msg = (error as Error).message
    assert.not.match(msg, /\n/, 'one line')
    return msg
  }
  assert.unreachable(`expected an error for:\n${text}`)
  return ''
}

const VM1 = '{name: vm1, mac: "02:00:00:00:00:01"}'
/** A file with these VM entries; an entry's further lines (after \n) are indented under its "- ". */
const vms = (...items: string[]) => `version: 1\nvms:\n${items.map((l) => `  - ${l.replaceAll('\n', '\n    ')}`).join('\n')}\n`

const load = suite('scenario/load')

load('full example: every field resolved', () => {
  const s = parseScenario(
    `version: 1
seed: 9
pacing: {pps: 100000}
params: {vf_itr_rx_us: 20, posted_interrupts: false}
hosts:
  - {name: host-a, nic: intel-82599, vfs: 16, link_gbps: 25}
  - {name: host-b, nic: none}
vms:
  - name: vm1
    mac: "02:00:00:00:00:01"
    vlan: 10
    multicast: ["01:00:5e:00:00:fb"]
    plugin: ixgbevf@1.1.0
  - name: vm2
    mac: 02-00-00-00-00-02
    host: host-b
    vlans: [20, 30]
    multicast: all
    promiscuous: true
    mode: emulated
policies:
  - {vm: "*", allow_mac_change: false}
  - {vm: vm2, allow_promiscuous: true}
operations:
  - {at: 5ms, vm: vm1, op: mac, mac: "02:00:00:00:00:99"}
  - {at: 2ms, vm: vm1, op: mode, mode: emulated}
  - {at: 2000000, vm: vm2, op: multicast, groups: ["33:33:00:00:00:01"]}
  - {at: "1.5ms", vm: vm1, op: vlan, vlan: null}
  - {at: 4ms, vm: vm2, op: promiscuous, on: true}
`,
    'full.yaml',
  )
  assert.is(s.version, 1)
  assert.is(s.seed, 9)
  assert.equal(s.pacing, {kind: 'pps', pps: 100000})
  assert.equal(s.params, {vf_itr_rx_us: 20, posted_interrupts: false})
  assert.equal(s.hosts, [
    {name: 'host-a', nic: 'intel-82599', vfs: 16, linkGbps: 25},
    {name: 'host-b', nic: 'none', vfs: 0, linkGbps: 10},
  ])
  assert.equal(s.vms[0], {
    name: 'vm1', mac: 0x020000000001, host: 'host-a', vlan: 10, vlans: [], multicast: [0x01005e0000fb],
    promiscuous: false, mode: 'passthrough', plugin: 'ixgbevf@1.1.0',
  })
  assert.equal(s.vms[1], {
    name: 'vm2', mac: 0x020000000002, host: 'host-b', vlan: null, vlans: [20, 30], multicast: 'all',
    promiscuous: true, mode: 'emulated', plugin: null,
  })
  assert.equal(s.policies, [
    {vm: '*', allowMacChange: false, allowVlanChange: true, allowPromiscuous: false, allowMulticast: true},
    {vm: 'vm2', allowMacChange: true, allowVlanChange: true, allowPromiscuous: true, allowMulticast: true},
  ])
  // sorted stably by time: the two ops at 2 ms keep their file order
  assert.equal(s.operations, [
    {at: 1_500_000, vm: 'vm1', op: 'vlan', vlan: null},
    {at: 2_000_000, vm: 'vm1', op: 'mode', mode: 'emulated'},
    {at: 2_000_000, vm: 'vm2', op: 'multicast', groups: [0x333300000001]},
    {at: 4_000_000, vm: 'vm2', op: 'promiscuous', on: true},
    {at: 5_000_000, vm: 'vm1', op: 'mac', mac: 0x020000000099},
  ])
  assert.is(s.source, 'full.yaml')
})

load('minimal file: defaults', () => {
  const s = parseScenario(`version: 1\nvms: [${VM1}]\n`, 'min.yaml')
  assert.is(s.seed, 1)
  assert.equal(s.pacing, {kind: 'original'})
  assert.equal(s.params, {})
  assert.equal(s.hosts, [{name: 'host-a', nic: 'intel-82599', vfs: 8, linkGbps: 10}])
  assert.equal(s.vms[0], {name: 'vm1', mac: 0x020000000001, host: 'host-a', vlan: null, vlans: [], multicast: [], promiscuous: false, mode: 'passthrough', plugin: null})
  assert.equal(s.policies, [{vm: '*', allowMacChange: true, allowVlanChange: true, allowPromiscuous: false, allowMulticast: true}])
  assert.equal(s.operations, [])
  assert.is(parseScenario('version: 1\nparams: {link_gbps: 40}\n', 'x').hosts[0].linkGbps, 40) // host link from params
  assert.equal(parseScenario('version: 1\npacing: topspeed\n', 'x').pacing, {kind: 'topspeed'})
  assert.equal(parseScenario('version: 1\npacing: {speed: 2}\n', 'x').pacing, {kind: 'speed', factor: 2})
  assert.equal(parseScenario(`version: 1\nvms: [{name: vm1, mac: "02:00:00:00:00:01", host: host-a}]\n`, 'x').vms[0].host, 'host-a')
  // an empty key (YAML null) is the same as no key
  const empty = parseScenario('version: 1\nparams:\nhosts:\nvms:\npolicies:\noperations:\n', 'x')
  assert.equal({...empty, source: 'min.yaml'}, parseScenario('version: 1\n', 'min.yaml'))
})

// Each rule: the failing file and the exact line:col and key path reported.
const rules: [string, string, RegExp | string][] = [
  ['YAML syntax error', 'version: 1\nvms: [{name: vm1\n', /^t\.yaml:3:1: YAML syntax: /],
  ['two YAML documents', 'version: 1\n---\nversion: 1\n', 't.yaml:2:1: YAML syntax: a scenario file holds one YAML document'],
  ['YAML duplicate key', 'version: 1\nseed: 1\nseed: 2\n', 't.yaml:3:1: YAML syntax: Map keys must be unique'],
  ['empty file', '# nothing\n', 't.yaml:1:1: (root): empty scenario; expected a mapping starting with version: 1'],
  ['not a mapping', '- version: 1\n', /^t\.yaml:1:1: \(root\): expected a mapping/],
  ['version missing', 'seed: 1\n', 't.yaml:1:1: version: required key is missing; expected version: 1 (the only format version)'],
  ['version wrong', 'version: 2\n', 't.yaml:1:10: version: expected version: 1 (the only format version)'],
  ['unknown top-level key, close name', 'version: 1\noperatons: []\n', "t.yaml:2:1: operatons: unknown key 'operatons' (did you mean operations?)"],
  ['unknown param, close names', 'version: 1\nparams:\n  vf_itr_us: 20\n', "t.yaml:3:3: params.vf_itr_us: unknown parameter 'vf_itr_us' (close: vf_itr_rx_us, vf_itr_tx_us; see src/model/params.ts)"],
  ['param of the wrong type', 'version: 1\nparams: {posted_interrupts: 1, poll_budget: 64}\n', 't.yaml:2:29: params.posted_interrupts: expected true or false (default true)'],
  ['param out of range', 'version: 1\nparams: {poll_budget: 0.5}\n', /^t\.yaml:2:23: params\.poll_budget: expected a number > 0, whole \(default 64\), got 0\.5$/],
  ['seed', 'version: 1\nseed: -1\n', 't.yaml:2:7: seed: expected a seed, an integer 0..4294967295'],
  ['pacing', 'version: 1\npacing: fast\n', 't.yaml:2:9: pacing: expected pacing: original | topspeed | {speed: <factor>} | {pps: <frames per second>}'],
  ['pacing speed > 0', 'version: 1\npacing: {speed: 0}\n', 't.yaml:2:17: pacing.speed: expected a speed factor > 0'],
  ['vfs ≤ 63', 'version: 1\nhosts:\n  - {name: h, vfs: 64}\n', 't.yaml:3:20: hosts[0].vfs: at most 63 VFs per PF [IX-SRIOV]'],
  ['nic model', 'version: 1\nhosts: [{name: h, nic: e1000}]\n', 't.yaml:2:24: hosts[0].nic: expected a NIC model: intel-82599 | acme-x700 | none'],
  ['nic none has no VFs', 'version: 1\nhosts: [{name: h, nic: none, vfs: 4}]\n', 't.yaml:2:35: hosts[0].vfs: a host with nic: none has no VFs; remove vfs or set 0'],
  ['duplicate host', 'version: 1\nhosts: [{name: h}, {name: h}]\n', "t.yaml:2:27: hosts[1].name: duplicate host name 'h' (also hosts[0])"],
  ['unknown key in a VM, close name', vms('name: vm1\nmac: "02:00:00:00:00:01"\nvlsn: 10'), "t.yaml:5:5: vms[0].vlsn: unknown key 'vlsn' (did you mean vlan or vlans?)"],
  ['VM without mac', vms('name: vm1\nhost: host-a'), /^t\.yaml:3:5: vms\[0\]\.mac: required key is missing; expected a MAC address string/],
  ['bad VM name', vms('{name: "1st", mac: "02:00:00:00:00:01"}'), /^t\.yaml:3:12: vms\[0\]\.name: expected a name: a letter/],
  ['bad MAC text', vms('{name: vm1, mac: "02:00:00:00:01"}'), 't.yaml:3:22: vms[0].mac: bad MAC "02:00:00:00:01": expected a MAC address string like "02:00:00:00:00:01" (quote it)'],
  ['MAC as a number', vms('{name: vm1, mac: 20000000001}'), /^t\.yaml:3:22: vms\[0\]\.mac: expected a MAC address string/],
  ['multicast MAC for a VM', vms('{name: vm1, mac: "01:00:5e:00:00:01"}'), /^t\.yaml:3:22: vms\[0\]\.mac: "01:00:5e:00:00:01" is not a unicast MAC \(group bit set/],
  ['zero MAC for a VM', vms('{name: vm1, mac: "00:00:00:00:00:00"}'), /^t\.yaml:3:22: vms\[0\]\.mac: "00:00:00:00:00:00" is not a unicast MAC \(all zero\)/],
  ['duplicate VM name', vms(VM1, '{name: vm1, mac: "02:00:00:00:00:02"}'), "t.yaml:4:12: vms[1].name: duplicate VM name 'vm1' (also vms[0])"],
  ['duplicate MAC', vms(VM1, '{name: vm2, mac: "02:00:00:00:00:01"}'), "t.yaml:4:22: vms[1].mac: MAC 02:00:00:00:00:01 is already vms[0] (vm1)'s"],
  ['VLAN 0', vms('{name: vm1, mac: "02:00:00:00:00:01", vlan: 0}'), 't.yaml:3:49: vms[0].vlan: expected a VLAN id, an integer 1..4094'],
  ['VLAN 4095', vms('{name: vm1, mac: "02:00:00:00:00:01", vlans: [10, 4095]}'), 't.yaml:3:55: vms[0].vlans[1]: expected a VLAN id, an integer 1..4094'],
  ['VLAN not an integer', vms('{name: vm1, mac: "02:00:00:00:00:01", vlan: 1.5}'), 't.yaml:3:49: vms[0].vlan: expected a VLAN id, an integer 1..4094'],
  ['vlan and vlans both', vms('name: vm1\nmac: "02:00:00:00:00:01"\nvlan: 10\nvlans: [20]'), 't.yaml:6:12: vms[0].vlans: vlan (port VLAN, the NIC tags) and vlans (the guest tags) exclude each other; keep one'],
  ['VLAN listed twice', vms('{name: vm1, mac: "02:00:00:00:00:01", vlans: [10, 10]}'), 't.yaml:3:55: vms[0].vlans[1]: VLAN 10 listed twice'],
  ['unknown host', 'version: 1\nhosts: [{name: a}]\nvms:\n  - {name: vm1, mac: "02:00:00:00:00:01", host: b}\n', "t.yaml:4:49: vms[0].host: unknown host 'b' (hosts: a)"],
  ['unknown host, hosts omitted', vms('{name: vm1, mac: "02:00:00:00:00:01", host: b}'), "t.yaml:3:49: vms[0].host: unknown host 'b' (hosts: host-a)"],
  ['multicast list holds a unicast MAC', vms('{name: vm1, mac: "02:00:00:00:00:01", multicast: ["02:00:00:00:00:02"]}'), /^t\.yaml:3:55: vms\[0\]\.multicast\[0\]: "02:00:00:00:00:02" is not a multicast MAC/],
  ['multicast list holds broadcast', vms('{name: vm1, mac: "02:00:00:00:00:01", multicast: ["ff:ff:ff:ff:ff:ff"]}'), /^t\.yaml:3:55: vms\[0\]\.multicast\[0\]: "ff:ff:ff:ff:ff:ff" is broadcast/],
  ['mode', vms('{name: vm1, mac: "02:00:00:00:00:01", mode: sriov}'), 't.yaml:3:49: vms[0].mode: expected a mode: passthrough | emulated'],
  ['plugin format', vms('{name: vm1, mac: "02:00:00:00:00:01", plugin: ixgbevf-1.1}'), /^t\.yaml:3:51: vms\[0\]\.plugin: expected a plugin as name@x\.y\.z/],
  ['promiscuous not a boolean', vms('{name: vm1, mac: "02:00:00:00:00:01", promiscuous: yes}'), 't.yaml:3:56: vms[0].promiscuous: expected true or false (promiscuous)'],
  ['policy for an unknown VM', `version: 1\nvms: [${VM1}]\npolicies:\n  - {vm: vm9}\n`, "t.yaml:4:10: policies[0].vm: unknown VM 'vm9' (VMs: vm1; or \"*\" for all)"],
  ['two policies for one VM', `version: 1\nvms: [${VM1}]\npolicies: [{vm: vm1}, {vm: vm1}]\n`, "t.yaml:3:28: policies[1].vm: second policy for 'vm1' (also policies[0])"],
  ['operation for an unknown VM', `version: 1\nvms: [${VM1}]\noperations:\n  - {at: 1ms, vm: vm2, op: mode, mode: emulated}\n`, "t.yaml:4:19: operations[0].vm: unknown VM 'vm2' (VMs: vm1)"],
  ['unknown op', `version: 1\nvms: [${VM1}]\noperations:\n  - {at: 1ms, vm: vm1, op: teleport}\n`, 't.yaml:4:28: operations[0].op: unknown op "teleport" (expected mac | vlan | multicast | promiscuous | mode | migrate | suspend | resume)'],
  ['op missing', `version: 1\nvms: [${VM1}]\noperations:\n  - {at: 1ms, vm: vm1}\n`, 't.yaml:4:5: operations[0].op: required key is missing (mac | vlan | multicast | promiscuous | mode | migrate | suspend | resume)'],
  ['migrate: unknown host', `version: 1\nvms: [${VM1}]\noperations:\n  - {at: 1ms, vm: vm1, op: migrate, to: host-z}\n`, 't.yaml:4:41: operations[0].to: unknown host \'host-z\' (hosts: host-a)'],
  ['migrate: bad strategy', `version: 1\nvms: [${VM1}]\nhosts: [{name: host-a}, {name: host-b}]\noperations:\n  - {at: 1ms, vm: vm1, op: migrate, to: host-b, strategy: teleport}\n`, 't.yaml:5:59: operations[0].strategy: expected a strategy: npa | bonding | uniform'],
  ['bad time', `version: 1\nvms: [${VM1}]\noperations:\n  - {at: 2 hours, vm: vm1, op: mode, mode: emulated}\n`, /^t\.yaml:4:10: operations\[0\]\.at: bad time "2 hours"/],
  ['time without unit', `version: 1\nvms: [${VM1}]\noperations:\n  - {at: "2", vm: vm1, op: mode, mode: emulated}\n`, /^t\.yaml:4:10: operations\[0\]\.at: time "2" has no unit/],
  ['negative time', `version: 1\nvms: [${VM1}]\noperations:\n  - {at: -5, vm: vm1, op: mode, mode: emulated}\n`, /^t\.yaml:4:10: operations\[0\]\.at: time must be >= 0/],
  ['key of another op', `version: 1\nvms: [${VM1}]\noperations:\n  - {at: 1ms, vm: vm1, op: mode, vlan: 10}\n`, /^t\.yaml:4:5: operations\[0\]\.mode: required key is missing; expected a mode: passthrough \| emulated \(\+1 more\)$/],
  ['unknown key for this op', `version: 1\nvms: [${VM1}]\noperations:\n  - {at: 1ms, vm: vm1, op: mode, mode: emulated, group: 3}\n`, "t.yaml:4:50: operations[0].group: unknown key 'group' (expected one of: at, vm, op, mode)"],
  ['op mac must be unicast', `version: 1\nvms: [${VM1}]\noperations:\n  - {at: 1ms, vm: vm1, op: mac, mac: "ff:ff:ff:ff:ff:ff"}\n`, /^t\.yaml:4:38: operations\[0\]\.mac: "ff:ff:ff:ff:ff:ff" is not a unicast MAC/],
  ['op vlan on a guest-tagging VM', `version: 1\nvms: [{name: vm1, mac: "02:00:00:00:00:01", vlans: [5]}]\noperations:\n  - {at: 1ms, vm: vm1, op: vlan, vlan: 7}\n`, /^t\.yaml:4:40: operations\[0\]\.vlan: vm1 tags its own VLANs/],
]

for (const [name, text, want] of rules) {
  load(`rule: ${name}`, () => {
    const msg = problem(text)
    // on failure, show where the reported position points in the source
    const m = /^t\.yaml:(\d+):(\d+):/.exec(msg)
    const caret = m ? `${text.split('\n')[Number(m[1]) - 1]}\n${' '.repeat(Number(m[2]) - 1)}^` : ''
    const ok = typeof want === 'string' ? msg.startsWith(want) : want.test(msg)
    assert.ok(ok, `got: ${msg}\nwant: ${want}\n${caret}`)
  })
}

load('several problems: the first by position, with (+N more)', () => {
  const msg = problem(vms('{name: vm1, mac: "02:00:00:00:00:01", vlan: 0, mode: x}', '{name: vm2, mac: "zz"}'))
  assert.is(msg, 't.yaml:3:49: vms[0].vlan: expected a VLAN id, an integer 1..4094 (+2 more)')
  // unknown keys (zod reports them last) still sort by position
  const msg2 = problem('version: 1\nbogus: 1\nseed: x\n')
  assert.match(msg2, /^t\.yaml:2:1: bogus: unknown key 'bogus' .* \(\+1 more\)$/)
})

load('loadScenario: file errors and source', () => {
  const p = writeTmp('ok.yaml', `version: 1\nvms: [${VM1}]\n`)
  assert.is(loadScenario(p).source, p)
  assert.throws(() => loadScenario('/nonexistent/x.yaml'), (e: Error) => e instanceof UserError && e.message === '/nonexistent/x.yaml: no such scenario file')
  const dir = writeTmp('d', '').replace(/d$/, 'dir.yaml')
  mkdirSync(dir, {recursive: true})
  assert.throws(() => loadScenario(dir), (e: Error) => e instanceof UserError && /is a directory/.test(e.message))
  const bad = writeTmp('bad.yaml', 'version: 1\nseed: "x"\n')
  assert.throws(() => loadScenario(bad), (e: Error) => e.message.startsWith(`${bad}:2:7: seed: `))
})

load('BOM and CRLF line endings are accepted; positions still right', () => {
  const s = parseScenario(`\ufeffversion: 1\r\nvms: [${VM1}]\r\n`, 'crlf.yaml')
  assert.is(s.vms.length, 1)
  assert.is(problem('version: 1\r\nseed: x\r\n'), 't.yaml:2:7: seed: expected a seed, an integer 0..4294967295')
})

load.run()
