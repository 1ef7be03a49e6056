import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {openCapture} from '../../src/capture/reader.js'
import {deriveScenario} from '../../src/scenario/derive.js'
import {loadScenario} from '../../src/scenario/load.js'
import {scenarioToYaml} from '../../src/scenario/format.js'
import {parseScenario} from '../../src/scenario/load.js'
import type {Scenario} from '../../src/scenario/types.js'

const samples = new URL('../../traces/samples/', import.meta.url)
const path = (name: string) => fileURLToPath(new URL(name, samples))
const NAMES = ['basic', 'emulated-vs-passthrough', 'mode-switch', 'plugin-reject', 'vlans']
const CAPTURE = path('sample.pcapng')

const test = suite('scenario/samples')

for (const name of NAMES) {
  test(`${name}.yaml validates and round-trips`, () => {
    const s = loadScenario(path(`${name}.yaml`))
    assert.is(s.hosts.length, 1)
    assert.is(s.vms.length, 8)
    const back = parseScenario(scenarioToYaml(s), s.source)
    assert.equal(back, s)
  })
}

/** The VM identity a sample must share with the capture: name, MAC, port VLAN, guest VLANs, groups. */
const identity = (s: Scenario) => s.vms.map((v) => ({name: v.name, mac: v.mac, vlan: v.vlan, vlans: v.vlans, multicast: v.multicast, host: v.host}))

test('basic.yaml is the derived scenario with plugin ixgbevf@1.1.0', () => {
  if (!existsSync(CAPTURE)) {
    console.log(`  (skipped: ${CAPTURE} absent; H2 generates it)`)
    return
  }
  const derived = deriveScenario(CAPTURE, {plugin: 'ixgbevf@1.1.0'})
  const basic = loadScenario(path('basic.yaml'))
  assert.equal({...basic, source: ''}, {...derived, source: ''})
  // every sample describes the same VMs as the capture it is replayed against
  for (const name of NAMES) assert.equal(identity(loadScenario(path(`${name}.yaml`))), identity(derived), name)
})

test('sample specifics: modes, plugins, operations inside the capture', () => {
  const evp = loadScenario(path('emulated-vs-passthrough.yaml'))
  assert.equal(evp.vms.map((v) => v.mode), ['passthrough', 'passthrough', 'emulated', 'emulated', 'passthrough', 'passthrough', 'emulated', 'emulated'])
  const rej = loadScenario(path('plugin-reject.yaml'))
  assert.equal(rej.vms.filter((v) => v.plugin?.startsWith('acme-vf@')).map((v) => v.name), ['vm3'])
  assert.is(rej.hosts[0].nic, 'intel-82599')
  const ms = loadScenario(path('mode-switch.yaml'))
  assert.equal(ms.operations, [
    {at: 50_000_000, vm: 'vm1', op: 'mode', mode: 'emulated'},
    {at: 120_000_000, vm: 'vm1', op: 'mode', mode: 'passthrough'},
  ])
  const vl = loadScenario(path('vlans.yaml'))
  assert.equal(vl.operations.map((o) => [o.vm, o.op, o.op === 'vlan' ? o.vlan : null]), [['vm7', 'vlan', 20], ['vm6', 'vlan', 30]])
  assert.equal(vl.policies[1], {vm: 'vm6', allowMacChange: true, allowVlanChange: false, allowPromiscuous: false, allowMulticast: true})
  if (!existsSync(CAPTURE)) return
  // the operations happen while traffic flows: before the capture's last frame
  const r = openCapture(CAPTURE)
  let sec0 = -1
  let nsec0 = 0
  let duration = 0
  for (let f = r.next(); f !== null; f = r.next()) {
    if (sec0 < 0) [sec0, nsec0] = [f.tsSec, f.tsNsec]
    duration = (f.tsSec - sec0) * 1e9 + (f.tsNsec - nsec0)
  }
  r.close()
  assert.ok(duration > 150_000_000, `capture lasts ${duration} ns`)
  for (const s of [ms, vl]) for (const o of s.operations) assert.ok(o.at < duration, `${o.vm} ${o.op} at ${o.at} ns is after the capture ends`)
})

test.run()
