import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PluginDefinition} from '../../src/plugins/api.js'
import {BCAST, EXT, TestWorld, countBy, mac, terminals, type Ev} from '../helpers/model.js'

// Frame events (packet_id not null) by name.
const frameCounts = (evs: Ev[]) => countBy(evs, (e) => e.pkt !== null)

/** Every replica of every frame ends exactly once, delivered or dropped with a reason. */
function assertAccounted(evs: Ev[], frames: number): void {
  const ends = terminals(evs)
  const seen = new Set<string>()
  for (const e of ends) {
    const k = `${e.pkt}/${e.rep}`
    assert.not.ok(seen.has(k), `replica ${k} ended twice`)
    seen.add(k)
    if (e.event === 'drop') assert.ok(e.reason, `drop of ${k} has a reason`)
  }
  const pkts = new Set(ends.map((e) => e.pkt))
  assert.is(pkts.size, frames, 'every frame has at least one end')
}

const golden = suite('model: golden run derived by hand')

golden('two passthrough VMs, four frames: every event counted', () => {
  // ixgbevf 1.0.0: one descriptor per untagged frame, a doorbell per frame, refill only in batches of
  // 16 (never reached here), so the counts follow from the paths alone. Frames are 100 µs apart so
  // every path has its own interrupt.
  const tw = new TestWorld({vms: [{name: 'vm1', plugin: 'ixgbevf@1.0.0'}, {name: 'vm2', plugin: 'ixgbevf@1.0.0'}]})
  tw.frame(1_000, mac(1), mac(2)) // A: VF→VF loopback inside the NIC
  tw.frame(100_000, EXT(1), mac(1)) // B: wire → vm1
  tw.frame(200_000, mac(2), BCAST) // C: vm2 broadcast → vm1, PF (no emulated VM: filtered), uplink → outside
  tw.frame(300_000, mac(1), EXT(5)) // D: unknown unicast from a VF → uplink only → flooded outside
  const evs = tw.run()
  assert.equal(frameCounts(evs), {
    frame_in: 4,
    stack_tx: 3, // A, C, D
    desc_post: 3,
    desc_fetch: 3, // TX fetches; RX descriptors were fetched at boot (no packet)
    desc_process: 6, // 3 TX + 3 RX (A→vm2, B→vm1, C→vm1)
    desc_writeback: 6,
    desc_complete: 6,
    eswitch_lookup: 4,
    eswitch_forward: 6, // A 1 + B 1 + C 3 + D 1
    wire_rx: 1, // B
    wire_tx: 2, // C, D
    phys_forward: 3, // B, C, D
    ext_deliver: 2, // C, D
    drop: 1, // C's PF replica: no emulated VM listens
    shell_rx_deliver: 3,
  })
  // Interrupts: 3 RX paths + 3 TX completions, each its own vector firing and poll pass.
  const all = countBy(evs)
  assert.is(all.doorbell, 3) // a TX tail write per frame (RX tail writes are rx_refill events)
  assert.is(all.irq_raise, 6)
  assert.is(all.shell_irq, 6)
  // Boot: each VM comes up emulated (vmxnet3: 1024 RX buffers posted, one trapped RXPROD write), then
  // switches to passthrough at t=0 (VF RX ring 512 posted and prefetched).
  assert.is(all.desc_post, 2 * (1024 + 512) + 3)
  assert.is(all.desc_fetch, 2 * 512 + 3)
  assert.is(all.vmexit, 2)
  assert.is(all.plugin_load, 2)
  assert.is(all.vf_alloc, 2)
  const delivered = (vm: string) => evs.filter((e) => e.event === 'shell_rx_deliver' && e.vm === vm).length
  assert.is(delivered('vm1'), 2)
  assert.is(delivered('vm2'), 1)
  assert.equal(evs.find((e) => e.event === 'drop')?.reason, 'no_destination')
  assertAccounted(evs, 4)
})

golden('descriptor lifecycle: each TX descriptor goes posted → fetched → processed → written back → completed in time order', () => {
  const tw = new TestWorld({vms: [{name: 'vm1', plugin: 'ixgbevf@1.0.0'}, {name: 'vm2', plugin: 'ixgbevf@1.0.0'}], params: {dma_jitter_ns: 0}})
  for (let i = 0; i < 20; i++) tw.frame(1_000 + i * 5_000, mac(1), mac(2), 64 + i * 50)
  const evs = tw.run()
  const order = ['desc_post', 'desc_fetch', 'desc_process', 'desc_writeback', 'desc_complete']
  for (let p = 0; p < 20; p++) {
    const tx = evs.filter((e) => e.pkt === p && e.ring === 'tx' && order.includes(e.event))
    assert.equal(tx.map((e) => e.event), order, `packet ${p} TX states`)
    for (let i = 1; i < tx.length; i++) assert.ok(tx[i].t >= tx[i - 1].t, `packet ${p}: ${tx[i].event} not before ${tx[i - 1].event}`)
    const rx = evs.filter((e) => e.pkt === p && e.ring === 'rx' && order.includes(e.event))
    assert.equal(rx.map((e) => e.event), ['desc_process', 'desc_writeback', 'desc_complete'], `packet ${p} RX states (posted/fetched at refill)`)
  }
  // DMA time grows with length: 0.30 ns/B [PD]
  const dma = evs.filter((e) => e.event === 'desc_process' && e.ring === 'tx')
  assert.is(dma[1].aux! - dma[0].aux!, Math.round(520 + 0.3 * 114) - Math.round(520 + 0.3 * 64))
})

const rings = suite('model: rings and interrupts')

/** A plugin with an 8-descriptor RX ring that never refills: the 9th frame finds the ring full. */
const tinyRing: PluginDefinition = {
  manifest: {name: 'tiny', version: '1.0.0', vendor: 'test', licence: 'GPL', nics: ['intel-82599'], shellApi: '1.0'},
  create(api) {
    return {
      init: () => ({txRing: 64, rxRing: 8}),
      xmit(q) {
        api.postTx(q, true)
        api.doorbellTx(q)
      },
      poll(q, budget) {
        api.reapTx(q)
        let n = 0
        while (n < budget && api.rxPeek(q) >= 0) {
          api.rxReceive(q)
          n++
        }
        return n // never refills
      },
      timer() {},
      quiesce() {},
    }
  },
}

rings('a full RX ring drops that VF\'s frame with reason rx_ring_full', () => {
  const tw = new TestWorld({vms: [{name: 'vm1', plugin: 'tiny@1.0.0'}], plugins: [tinyRing]})
  for (let i = 0; i < 12; i++) tw.frame(1_000 + i * 10_000, EXT(1), mac(1))
  const evs = tw.run()
  assert.is(evs.filter((e) => e.event === 'shell_rx_deliver').length, 8)
  const drops = evs.filter((e) => e.event === 'drop')
  assert.is(drops.length, 4)
  assert.ok(drops.every((d) => d.reason === 'rx_ring_full' && d.vm === 'vm1' && d.component === 'nic'))
  assert.equal(drops.map((d) => d.pkt), [8, 9, 10, 11])
})

rings('interrupt moderation: RX vectors of a busy VF fire at least ITR apart, and coalesce frames', () => {
  const tw = new TestWorld({vms: [{name: 'vm1', plugin: 'ixgbevf@1.1.0'}], params: {vf_itr_rx_us: 50}})
  // 200 frames 2 µs apart = 400 µs of traffic
  for (let i = 0; i < 200; i++) tw.frame(1_000 + i * 2_000, EXT(1), mac(1))
  const evs = tw.run()
  const irqs = evs.filter((e) => e.event === 'irq_raise' && e.vm === 'vm1').map((e) => e.t)
  for (let i = 1; i < irqs.length; i++) assert.ok(irqs[i] - irqs[i - 1] >= 50_000, `irq ${i} only ${irqs[i] - irqs[i - 1]} ns after the previous`)
  // 400 µs / 50 µs → 9 interrupts at most (the first fires at once)
  assert.ok(irqs.length <= 10 && irqs.length >= 8, `${irqs.length} interrupts`)
  assert.is(evs.filter((e) => e.event === 'shell_rx_deliver').length, 200)
  // The moderation delay is recorded on irq_raise.aux and never exceeds the ITR interval.
  const delays = evs.filter((e) => e.event === 'irq_raise').map((e) => e.aux!)
  assert.ok(Math.max(...delays) <= 50_000 && Math.max(...delays) > 40_000)
})

rings('ITR 0 means one interrupt per frame when frames are spaced apart', () => {
  const tw = new TestWorld({vms: [{name: 'vm1', plugin: 'ixgbevf@1.1.0'}], params: {vf_itr_rx_us: 0}})
  for (let i = 0; i < 10; i++) tw.frame(1_000 + i * 20_000, EXT(1), mac(1))
  const evs = tw.run()
  assert.is(evs.filter((e) => e.event === 'irq_raise').length, 10)
})

rings('a full TX ring stops the shell queue and wakes it after completions; nothing is lost', () => {
  // tiny TX ring through a plugin with 8 TX descriptors and doorbell per frame
  const tinyTx: PluginDefinition = {
    manifest: {...tinyRing.manifest, name: 'tinytx'},
    create(api) {
      const base = tinyRing.create(api)
      return {...base, init: () => ({txRing: 8, rxRing: 64})}
    },
  }
  const tw = new TestWorld({vms: [{name: 'vm1', plugin: 'tinytx@1.0.0'}], plugins: [tinyTx]})
  for (let i = 0; i < 30; i++) tw.frame(1_000 + i * 100, mac(1), EXT(2))
  const evs = tw.run()
  assert.ok(evs.some((e) => e.event === 'shell_txq_stop'))
  assert.ok(evs.some((e) => e.event === 'shell_txq_wake'))
  assert.is(evs.filter((e) => e.event === 'ext_deliver').length, 30)
  assertAccounted(evs, 30)
})

const plugins = suite('model: plugin verification')

function badPlugin(name: string, over: Partial<PluginDefinition['manifest']>, create?: PluginDefinition['create']): PluginDefinition {
  return {
    manifest: {name, version: '1.0.0', vendor: 'test', licence: 'GPL v2', nics: ['intel-82599'], shellApi: '1.0', ...over},
    create: create ?? tinyRing.create,
  }
}

for (const [name, over, reason] of [
  ['blob', {licence: 'Proprietary'}, 'licence'],
  ['future', {shellApi: '2.0'}, 'shell_api'],
  ['othernic', {nics: ['acme-x700'] as string[]}, 'nic_unsupported'],
] as const) {
  plugins(`a plugin rejected for ${reason} leaves the VM emulated, and traffic still flows`, () => {
    const tw = new TestWorld({vms: [{name: 'vm1', plugin: `${name}@1.0.0`}, {name: 'vm2'}], plugins: [badPlugin(name, over)]})
    tw.frame(1_000, EXT(1), mac(1))
    tw.frame(2_000, mac(1), mac(2))
    const evs = tw.run()
    const rej = evs.filter((e) => e.event === 'plugin_reject')
    assert.is(rej.length, 1)
    assert.is(rej[0].reason, reason)
    assert.is(rej[0].plugin, `${name}@1.0.0`)
    assert.is(rej[0].component, 'shell')
    assert.ok(evs.some((e) => e.event === 'vf_free' && e.vm === 'vm1'), 'VF given back')
    const d = evs.filter((e) => e.event === 'shell_rx_deliver')
    assert.equal(d.map((e) => [e.vm, e.mode]), [['vm1', 'emulated'], ['vm2', 'passthrough']])
    // emulated TX traps: a VM exit per doorbell
    assert.ok(evs.some((e) => e.event === 'vmexit' && e.vm === 'vm1' && e.ring === 'tx'))
  })
}

plugins('a plugin that throws in init is contained: plugin_threw, VM stays emulated', () => {
  const boom = badPlugin('boom', {}, () => {
    throw new Error('boom')
  })
  const tw = new TestWorld({vms: [{name: 'vm1', plugin: 'boom@1.0.0'}], plugins: [boom]})
  tw.frame(1_000, EXT(1), mac(1))
  const evs = tw.run()
  assert.is(evs.find((e) => e.event === 'plugin_reject')?.reason, 'plugin_threw')
  assert.is(evs.find((e) => e.event === 'shell_rx_deliver')?.mode, 'emulated')
})

plugins('a plugin that throws on the data path falls back to emulated mode; the frame is accounted', () => {
  let n = 0
  const flaky = badPlugin('flaky', {}, (api) => {
    const base = tinyRing.create(api)
    return {
      ...base,
      init: () => ({txRing: 64, rxRing: 64}),
      xmit(q, len, vlan) {
        if (++n === 3) throw new Error('descriptor format error')
        base.xmit(q, len, vlan)
      },
    }
  })
  const tw = new TestWorld({vms: [{name: 'vm1', plugin: 'flaky@1.0.0'}], plugins: [flaky]})
  for (let i = 0; i < 6; i++) tw.frame(1_000 + i * 200_000, mac(1), EXT(1))
  const evs = tw.run()
  assert.is(evs.find((e) => e.event === 'plugin_reject')?.reason, 'plugin_threw')
  const drop = evs.filter((e) => e.event === 'drop')
  assert.equal(drop.map((d) => [d.pkt, d.reason]), [[2, 'plugin_threw']])
  assert.is(evs.filter((e) => e.event === 'ext_deliver').length, 5)
  assert.ok(evs.some((e) => e.event === 'mode_switch_end' && e.mode === 'emulated'))
  const later = evs.filter((e) => e.event === 'stack_tx' && e.pkt! > 2)
  assert.ok(later.every((e) => e.mode === 'emulated'))
})

const modes = suite('model: mode switch')

modes('passthrough → emulated → passthrough with traffic in flight: nothing twice, every loss has a reason', () => {
  const tw = new TestWorld({
    vms: [{name: 'vm1', plugin: 'ixgbevf@1.1.0'}, {name: 'vm2'}],
    operations: [
      {at: 500_000, vm: 'vm1', op: 'mode', mode: 'emulated'},
      {at: 1_500_000, vm: 'vm1', op: 'mode', mode: 'passthrough'},
    ],
  })
  let f = 0
  for (let t = 1_000; t < 2_000_000; t += 3_000) {
    tw.frame(t, EXT(1), mac(1))
    tw.frame(t + 1_000, mac(1), mac(2))
    tw.frame(t + 2_000, mac(2), mac(1))
    f += 3
  }
  const evs = tw.run()
  assertAccounted(evs, f)
  const ends = terminals(evs)
  const drops = ends.filter((e) => e.event === 'drop')
  for (const d of drops) assert.ok(['mode_switch', 'rx_disabled', 'no_destination'].includes(d.reason!), `unexpected drop ${d.reason}`)
  // losses only while switching to emulated (quiesce window of 50 µs) or in flight at a cut-over
  const lost = drops.filter((d) => d.reason === 'mode_switch' || d.reason === 'rx_disabled')
  assert.ok(lost.length > 0 && lost.length < 40, `${lost.length} lost`)
  for (const d of lost) assert.ok((d.t >= 500_000 && d.t <= 560_000) || (d.t >= 1_500_000 && d.t <= 1_720_000), `loss at ${d.t}`)
  // vm1 is emulated in between, passthrough before and after
  const modeAt = (lo: number, hi: number) =>
    new Set(evs.filter((e) => e.event === 'shell_rx_deliver' && e.vm === 'vm1' && e.t > lo && e.t < hi).map((e) => e.mode))
  assert.equal([...modeAt(0, 490_000)], ['passthrough'])
  assert.equal([...modeAt(600_000, 1_490_000)], ['emulated'])
  assert.equal([...modeAt(1_800_000, 3_000_000)], ['passthrough'])
  const q = evs.find((e) => e.event === 'mode_quiesce')!
  assert.ok(q.aux! > 0, 'posted RX buffers were reclaimed')
  assert.is(evs.filter((e) => e.event === 'mode_switch_end').length, 2 + 2) // boot ×2, then 2 switches
})

modes('control path: a trapped MAC change is applied after the mailbox latency; policy can refuse it', () => {
  const tw = new TestWorld({
    vms: [{name: 'vm1'}, {name: 'vm2'}],
    operations: [
      {at: 10_000, vm: 'vm1', op: 'mac', mac: mac(0x99)},
      {at: 20_000, vm: 'vm2', op: 'promiscuous', on: true},
    ],
  })
  tw.frame(5_000, EXT(1), mac(1)) // old MAC before the change: delivered
  tw.frame(100_000, EXT(1), mac(0x99)) // new MAC after it: delivered to vm1
  tw.frame(200_000, mac(1), EXT(1)) // vm1 still sending with its old MAC: anti-spoofing drops it
  const evs = tw.run()
  const trap = evs.find((e) => e.event === 'ctrl_trap' && e.vm === 'vm1')!
  const apply = evs.find((e) => e.event === 'ctrl_apply' && e.vm === 'vm1')!
  assert.is(apply.t - trap.t, 50_000) // mailbox_roundtrip_us [IXVF-MBX]
  assert.is(apply.detail, 'mac')
  assert.equal(evs.find((e) => e.event === 'ctrl_reject')?.reason, 'policy_denied')
  const d = evs.filter((e) => e.event === 'shell_rx_deliver').map((e) => [e.pkt, e.vm])
  assert.equal(d, [[0, 'vm1'], [1, 'vm1']])
  assert.is(evs.find((e) => e.event === 'drop')?.reason, 'anti_spoof_mac')
})

golden('seeds: same seed, same timing; another seed, other DMA/CPU jitter; jitter 0 removes the seed\'s effect', () => {
  const lat = (seed: number, params = {}) => {
    const tw = new TestWorld({vms: [{name: 'vm1'}, {name: 'vm2'}], params, seed})
    for (let i = 0; i < 50; i++) tw.frame(1_000 + i * 3_000, mac(1), mac(2))
    return tw.run().filter((e) => e.event === 'shell_rx_deliver').map((e) => e.aux)
  }
  assert.equal(lat(1), lat(1))
  assert.not.equal(lat(1), lat(2))
  const off = {dma_jitter_ns: 0, guest_cpu_jitter: 0}
  assert.equal(lat(1, off), lat(2, off))
})

golden('test-only fault injection: every Nth VF-bound unicast is misdelivered, every Nth broadcast leaks a VLAN', () => {
  const tw = new TestWorld({
    vms: [{name: 'vm1', vlan: 10}, {name: 'vm2', vlan: 10}, {name: 'vm3', vlan: 20}],
    params: {fault_misdeliver_every: 4, fault_vlan_leak_every: 2},
  })
  for (let i = 0; i < 8; i++) tw.frame(1_000 + i * 100_000, EXT(1), mac(1), 100, 10)
  for (let i = 0; i < 4; i++) tw.frame(2_000 + i * 100_000, EXT(2), BCAST, 100, 10)
  const evs = tw.run()
  const to = (vm: string, dst: number) =>
    evs.filter((e) => e.event === 'shell_rx_deliver' && e.vm === vm && e.pkt !== null && e.pkt < 8 === (dst === 1)).length
  assert.is(to('vm1', 1), 6) // 8 unicasts to vm1, the 4th and 8th went elsewhere
  assert.is(to('vm2', 1) + to('vm3', 1), 2)
  assert.is(to('vm3', 0), 2) // 4 broadcasts on VLAN 10: the 2nd and 4th leaked to vm3 on VLAN 20
})

golden.run()
rings.run()
plugins.run()
modes.run()
