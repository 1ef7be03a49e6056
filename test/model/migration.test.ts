import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {replay} from '../../src/replay/replay.js'
import type {MigrationStrategy} from '../../src/scenario/types.js'
import {EXT, TestWorld, mac, terminals, type Ev} from '../helpers/model.js'
import {readEvents, tmpDir} from '../helpers/run.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

// Small VM, fast link: round 0 sends 1 MiB at 1000 MiB/s (≈1.05 ms), round 1 the 0.1 MiB dirtied meanwhile,
// then stop-and-copy of the rest + 256 KiB device state.
const FAST = {mig_memory_mib: 1, mig_bandwidth_mibps: 1000, mig_dirty_mibps: 100, mig_downtime_target_ms: 0.05}

function migWorld(strategy: MigrationStrategy, destNic: 'intel-82599' | 'acme-x700' | 'none' = 'intel-82599', params = {}) {
  const tw = new TestWorld({
    hosts: [{name: 'host-a'}, {name: 'host-b', nic: destNic, vfs: destNic === 'none' ? 0 : 8}],
    vms: [{name: 'vm1', plugin: 'ixgbevf@1.1.0'}, {name: 'vm2'}],
    operations: [{at: 100_000, vm: 'vm1', op: 'migrate', to: 'host-b', strategy}],
    params: {...FAST, bond_unplug_ms: 0.2, bond_detect_ms: 0.1, bond_hotadd_ms: 0.5, failover_takeover_ms: 0.1, ...params},
  })
  // Steady traffic to and from vm1 across the whole migration: from outside, from vm2 (same host at first).
  let n = 0
  for (let t = 1_000; t < 6_000_000; t += 7_000) {
    tw.frame(t, EXT(1), mac(1))
    tw.frame(t + 2_000, mac(2), mac(1))
    tw.frame(t + 4_000, mac(1), EXT(1))
    n += 3
  }
  return {tw, n}
}

const phases = (evs: Ev[]) => evs.filter((e) => e.event === 'mig_phase_begin').map((e) => e.detail)

function assertAccounted(evs: Ev[], frames: number): void {
  const seen = new Set<string>()
  for (const e of terminals(evs)) {
    const k = `${e.pkt}/${e.rep}`
    assert.not.ok(seen.has(k), `replica ${k} ended twice`)
    seen.add(k)
    if (e.event === 'drop') assert.ok(e.reason, `drop of ${k} has a reason`)
  }
  assert.is(new Set(terminals(evs).map((e) => e.pkt)).size, frames, 'every frame ends (none vanish)')
}

const mig = suite('model: live migration')

mig('NPA: phases in order, back in passthrough on the destination with the same plugin', () => {
  const {tw, n} = migWorld('npa')
  const evs = tw.run()
  assert.equal(phases(evs), ['switch_to_emulated', 'precopy', 'precopy', 'stop_and_copy', 'resume', 'announce', 'switch_to_passthrough'])
  const begins = evs.filter((e) => e.event === 'mig_phase_begin').map((e) => e.t)
  for (let i = 1; i < begins.length; i++) assert.ok(begins[i] >= begins[i - 1])
  const end = evs.find((e) => e.event === 'mig_end')!
  assert.is(end.host, 'host-b')
  assert.is(end.mode, 'passthrough')
  assert.is(evs.filter((e) => e.event === 'plugin_load' && e.host === 'host-b')[0].plugin, 'ixgbevf@1.1.0')
  assertAccounted(evs, n)
  // After the migration vm1's frames are received on host-b in passthrough.
  const late = evs.filter((e) => e.event === 'shell_rx_deliver' && e.vm === 'vm1' && e.t > end.t + 100_000)
  assert.ok(late.length > 10 && late.every((e) => e.host === 'host-b' && e.mode === 'passthrough'))
})

mig('frames for the paused VM are buffered and delivered after resume, in order', () => {
  const {tw} = migWorld('npa')
  const evs = tw.run()
  const pause = evs.find((e) => e.event === 'vm_pause')!
  const resume = evs.find((e) => e.event === 'vm_resume')!
  const buffered = evs.filter((e) => e.event === 'mig_buffer').map((e) => e.pkt)
  assert.ok(buffered.length > 0, 'some frames arrived during stop-and-copy')
  assert.is(resume.aux, buffered.length)
  const delivered = evs.filter((e) => e.event === 'shell_rx_deliver' && buffered.includes(e.pkt)).map((e) => e.pkt)
  assert.equal(delivered, buffered, 'delivered in arrival order')
  for (const e of evs.filter((e) => e.event === 'shell_rx_deliver' && buffered.includes(e.pkt))) assert.ok(e.t >= resume.t)
  assert.ok(resume.t > pause.t)
  assert.not.ok(evs.some((e) => e.event === 'shell_rx_deliver' && e.vm === 'vm1' && e.t > pause.t && e.t < resume.t), 'nothing delivered while paused')
})

mig('a bounded buffer: beyond it frames for the paused VM are dropped with reason vm_paused', () => {
  const {tw, n} = migWorld('npa', 'intel-82599', {mig_buffer_frames: 2})
  const evs = tw.run()
  assert.is(evs.filter((e) => e.event === 'mig_buffer').length, 2)
  assert.ok(evs.some((e) => e.event === 'drop' && e.reason === 'vm_paused'))
  assertAccounted(evs, n)
})

mig('plugin swap happens exactly when the destination NIC differs', () => {
  const same = migWorld('npa').tw.run()
  const other = migWorld('npa', 'acme-x700').tw.run()
  const loadB = (evs: Ev[]) => evs.filter((e) => e.event === 'plugin_load' && e.host === 'host-b').map((e) => e.plugin)
  assert.equal(loadB(same), ['ixgbevf@1.1.0'])
  assert.equal(loadB(other), ['acme-vf@1.0.0'])
  const none = migWorld('npa', 'none').tw.run()
  assert.equal(loadB(none), [])
  assert.is(none.find((e) => e.event === 'mig_end')!.mode, 'emulated')
})

mig('bonding: unplug, failover detection (link_down losses), hot-add and failback only with a guest driver', () => {
  const {tw, n} = migWorld('bonding')
  const evs = tw.run()
  assert.equal(phases(evs), ['unplug', 'failover_detect', 'precopy', 'precopy', 'stop_and_copy', 'resume', 'announce', 'hotadd'])
  const detect = evs.find((e) => e.event === 'mig_phase_begin' && e.detail === 'failover_detect')!
  const detected = evs.find((e) => e.event === 'mig_phase_end' && e.detail === 'failover_detect')!
  const lost = evs.filter((e) => e.event === 'drop' && e.reason === 'link_down')
  assert.ok(lost.length > 0)
  for (const d of lost) assert.ok(d.t >= detect.t && d.t <= detected.t, `link_down loss at ${d.t} outside the detection window`)
  assertAccounted(evs, n)
  // a guest without a driver for the destination NIC stays on the emulated NIC
  const acme = migWorld('bonding', 'acme-x700').tw.run()
  assert.is(acme.find((e) => e.event === 'mig_end')!.mode, 'emulated')
})

mig('uniform: no plugin swap, no reclaim; a destination without the ring format cannot take passthrough', () => {
  const {tw, n} = migWorld('uniform')
  const evs = tw.run()
  assert.equal(phases(evs), ['uniform_switch', 'precopy', 'precopy', 'stop_and_copy', 'resume', 'announce', 'switch_to_passthrough'])
  assert.not.ok(evs.some((e) => e.event === 'drop' && ['rx_disabled', 'mode_switch'].includes(e.reason!)))
  assertAccounted(evs, n)
  const acme = migWorld('uniform', 'acme-x700').tw.run()
  assert.is(acme.find((e) => e.event === 'mig_end')!.mode, 'emulated')
})

mig('suspend/resume: frames are held while suspended and delivered after', () => {
  const tw = new TestWorld({
    vms: [{name: 'vm1', mode: 'emulated'}],
    operations: [{at: 10_000, vm: 'vm1', op: 'suspend'}, {at: 50_000, vm: 'vm1', op: 'resume'}],
  })
  for (let i = 0; i < 10; i++) tw.frame(1_000 + i * 10_000, EXT(1), mac(1))
  const evs = tw.run()
  assert.is(evs.filter((e) => e.event === 'shell_rx_deliver').length, 10)
  const resume = evs.find((e) => e.event === 'vm_resume')!
  assert.is(resume.aux, 4) // frames at 11, 21, 31, 41 µs
})

const strategies = suite('migration strategies on the bundled capture')

strategies('default mechanisms: bonding loses the most; npa and uniform lose none; every blackout ≈ stop-and-copy', async () => {
  const out: Record<string, {lost: number; gap: number; total: number}> = {}
  const dir = tmpDir()
  for (const s of ['npa', 'bonding', 'uniform']) {
    const run = join(dir, s)
    await replay({capture: join(root, 'traces/samples/sample.pcapng'), scenarioPath: join(root, `traces/samples/migrate-${s}.yaml`), out: run})
    const evs = readEvents(run)
    const lost = evs.filter((e) => e.event === 'drop' && e.reason !== 'no_destination').length
    const t = evs.filter((e) => e.event === 'shell_rx_deliver' && e.vm === 'vm1').map((e) => e.t_ns as number).sort((a, b) => a - b)
    let gap = 0
    for (let i = 1; i < t.length; i++) gap = Math.max(gap, t[i] - t[i - 1])
    const end = evs.find((e) => e.event === 'mig_end')!
    out[s] = {lost, gap, total: end.aux as number}
  }
  assert.ok(out.bonding.lost > out.npa.lost, JSON.stringify(out))
  assert.ok(out.npa.lost >= out.uniform.lost, JSON.stringify(out))
  for (const s of ['npa', 'bonding', 'uniform']) assert.ok(out[s].gap >= 250e6 && out[s].gap < 300e6, `${s} gap ${out[s].gap}`)
  assert.ok(out.bonding.total > out.npa.total && out.npa.total > out.uniform.total, JSON.stringify(out))
})

mig.run()
strategies.run()
