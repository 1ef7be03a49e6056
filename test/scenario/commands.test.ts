import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {parseScenario} from '../../src/scenario/load.js'
import {frameBytes, pcapBytes, writeTmp} from './_pcap.js'

process.env.NODE_ENV ??= 'test' // otherwise oclif runs in prod mode and loads dist/ instead of the TS sources
const config = await Config.load({root: fileURLToPath(new URL('../..', import.meta.url))})

// vm1 = 02:..:01 (3 frames, VLAN 10), vm2 = 02:..:02 (2 frames); 02:ee:..:01 sends 1 → external at --vms 2
const cap = writeTmp(
  'cmd.pcap',
  pcapBytes(
    [
      ...Array.from({length: 3}, () => ({dst: '02:ee:00:00:00:01', src: '02:00:00:00:00:01', vid: 10})),
      ...Array.from({length: 2}, () => ({dst: '01:00:5e:00:00:fb', src: '02:00:00:00:00:02'})),
      {dst: '02:00:00:00:00:01', src: '02:ee:00:00:00:01'},
    ].map(frameBytes),
  ),
)

const cmd = suite('scenario/commands')

cmd('scenario init prints a header and YAML that validates', async () => {
  const {error, stdout} = await runCommand(['scenario', 'init', cap, '--vms', '2', '--plugin', 'ixgbevf@1.0.0'], config)
  assert.is(error, undefined)
  assert.ok(stdout.startsWith(`# Scenario derived from ${cap} by \`npa-trace scenario init\`.\n`))
  assert.match(stdout, /The 2 busiest of 3 unicast source MACs \(5 of 6 Ethernet frames, 83\.3%\)/)
  assert.match(stdout, /# vm1: 3 frames sent\n/)
  const s = parseScenario(stdout, 'out.yaml')
  assert.equal(s.vms.map((v) => [v.name, v.mac, v.vlan, v.plugin]), [
    ['vm1', 0x020000000001, 10, 'ixgbevf@1.0.0'],
    ['vm2', 0x020000000002, null, 'ixgbevf@1.0.0'],
  ])
  assert.equal(s.vms[0].multicast, [0x01005e0000fb])
})

cmd('scenario init -o writes the file, refuses to overwrite without --force', async () => {
  const out = writeTmp('init-out.yaml', '')
  let r = await runCommand(['scenario', 'init', cap, '--mode', 'emulated', '-o', out], config)
  assert.is(r.error?.oclif?.exit, 1)
  assert.match(r.stderr, /init-out\.yaml: exists; pass --force to overwrite/)
  r = await runCommand(['scenario', 'init', cap, '--mode', 'emulated', '-o', out, '--force'], config)
  assert.is(r.error, undefined)
  assert.match(r.stdout, /^wrote .*init-out\.yaml: 3 VMs from 6 Ethernet frames/)
  const s = parseScenario(readFileSync(out, 'utf8'), out)
  assert.ok(s.vms.every((v) => v.mode === 'emulated'))
})

cmd('scenario init: non-Ethernet capture and bad flags exit 1 with one line', async () => {
  const raw = writeTmp('cmd-raw.pcap', pcapBytes([Uint8Array.from({length: 20}, () => 0x45)], 101))
  let r = await runCommand(['scenario', 'init', raw], config)
  assert.is(r.error?.oclif?.exit, 1)
  assert.is(r.stderr.trim(), `npa-trace: ${raw}: not an Ethernet capture (linktype 101): replay models Ethernet only; inspect still works`)
  r = await runCommand(['scenario', 'init', cap, '--plugin', 'nope'], config)
  assert.is(r.error?.oclif?.exit, 1)
  assert.match(r.stderr, /plugin "nope": expected name@x\.y\.z/)
  r = await runCommand(['scenario', 'init', cap, '--vms', '64'], config)
  assert.ok(r.error, 'vms > 63 rejected')
})

cmd('scenario validate: ok line, --json, one-line error with exit 1', async () => {
  const good = writeTmp('v-good.yaml', 'version: 1\nvms: [{name: a, mac: "02:00:00:00:00:01"}]\noperations: [{at: 1ms, vm: a, op: promiscuous, on: true}]\n')
  let r = await runCommand(['scenario', 'validate', good], config)
  assert.is(r.error, undefined)
  assert.is(r.stdout, 'ok: 1 hosts, 1 VMs, 1 operations\n')
  const j = await runCommand<{hosts: number; vms: number; operations: number}>(['scenario', 'validate', good, '--json'], config)
  assert.equal(j.result, {hosts: 1, vms: 1, operations: 1})
  const bad = writeTmp('v-bad.yaml', 'version: 1\nvms:\n  - {name: a, mac: "02:00:00:00:00:01", vlan: 9999}\n')
  r = await runCommand(['scenario', 'validate', bad], config)
  assert.is(r.error?.oclif?.exit, 1)
  assert.is(r.stderr, `npa-trace: ${bad}:3:47: vms[0].vlan: expected a VLAN id, an integer 1..4094\n`)
  r = await runCommand(['scenario', 'validate', '/nonexistent.yaml'], config)
  assert.is(r.error?.oclif?.exit, 1)
  assert.is(r.stderr, 'npa-trace: /nonexistent.yaml: no such scenario file\n')
})

cmd.run()
