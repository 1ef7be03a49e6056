/**
 * Small runs whose answers are known by construction, made with the real replay: a capture built in
 * memory (src/capture/writer.ts), a scenario written as JSON (a YAML subset), replay() into a temp dir.
 * Runs are built once per test process and shared by the test files.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {buildCapture} from '../../src/capture/writer.js'
import {replay} from '../../src/replay/replay.js'
import {ethFrame} from '../helpers/capture-bytes.js'

process.env.NODE_ENV ??= 'test'

export const dir = mkdtempSync(join(tmpdir(), 'npa-analysis-test-'))

export const vmMac = (i: number): string => `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`
export const extMac = (i: number): string => `02:ee:00:00:00:${i.toString(16).padStart(2, '0')}`
export const BCAST = 'ff:ff:ff:ff:ff:ff'

export interface Frame {
  /** Time in µs from the first frame. */
  us: number
  src: string
  dst: string
  /** Outer 802.1Q VLAN in the capture. */
  vlan?: number
  length?: number
}

export interface VmDef {
  name: string
  mac: string
  host?: string
  vlan?: number | null
  vlans?: number[]
  multicast?: string[] | 'all'
  promiscuous?: boolean
  mode?: 'passthrough' | 'emulated'
  plugin?: string | null
}

export interface RunDef {
  vms: VmDef[]
  frames: Frame[]
  hosts?: {name: string; nic?: string; vfs?: number}[]
  params?: Record<string, number | boolean>
  operations?: Record<string, unknown>[]
  policies?: Record<string, unknown>[]
  /** User plugin modules: file name → source text (written next to the scenario). */
  plugins?: Record<string, string>
  seed?: number
}

const built = new Map<string, Promise<string>>()

/** Build (once) the run `name`; returns its directory. */
export function run(name: string, def: RunDef): Promise<string> {
  let p = built.get(name)
  if (!p) {
    p = make(name, def)
    built.set(name, p)
  }
  return p
}

async function make(name: string, def: RunDef): Promise<string> {
  const capture = join(dir, `${name}.pcap`)
  const records = def.frames.map((f) => ({
    tsSec: 1_700_000_000 + Math.floor(f.us / 1e6),
    tsNsec: Math.round((f.us % 1e6) * 1000),
    data: ethFrame({dst: f.dst, src: f.src, tags: f.vlan === undefined ? [] : [{vid: f.vlan}], length: f.length ?? 100}),
  }))
  writeFileSync(capture, buildCapture({format: 'pcap', nanosecond: true}, records))
  const pluginPaths = Object.entries(def.plugins ?? {}).map(([file, src]) => {
    const p = join(dir, file)
    writeFileSync(p, src)
    return p
  })
  const scenario = {
    version: 1,
    seed: def.seed ?? 1,
    pacing: 'original',
    params: def.params ?? {},
    hosts: def.hosts ?? [{name: 'host-a', nic: 'intel-82599', vfs: 8}],
    vms: def.vms.map((v) => ({plugin: 'ixgbevf@1.1.0', mode: 'passthrough', ...v})),
    policies: def.policies ?? [{vm: '*', allow_promiscuous: true}],
    operations: def.operations ?? [],
  }
  const scenarioPath = join(dir, `${name}.yaml`)
  writeFileSync(scenarioPath, JSON.stringify(scenario, null, 2))
  const out = join(dir, 'runs', name)
  await replay({capture, scenarioPath, out, pluginPaths})
  return out
}

// ---------------------------------------------------------------------------------------------
// The shared runs
// ---------------------------------------------------------------------------------------------

/**
 * VLANs on one host: vm1, vm2 untagged; vm3, vm4, vm5 port VLAN 10; vm6 port VLAN 20; vm7 untagged
 * and allowed to tag VLAN 30. Known answers:
 *  p0  broadcast from vm3 (capture tag 10)          -> vm4, vm5, external
 *  p1  broadcast from outside, VLAN 10               -> vm3, vm4, vm5
 *  p2  broadcast from outside, untagged              -> vm1, vm2, vm7
 *  p3  unicast vm1 -> vm2                            -> vm2
 *  p4  unicast vm1 -> vm3 (not a member of untagged) -> nothing (vm3's MAC is known to the network)
 *  p5  vm7 tags VLAN 40 (not allowed)                -> dropped, anti_spoof_vlan
 *  p6  vm7 tags VLAN 30 broadcast                    -> external only (no VM in VLAN 30)
 *  p7  multicast 01:00:5e:00:00:01 from vm1          -> vm2 (listens), external; not vm7 (does not)
 *  p8  unicast vm1 -> unknown outside MAC            -> external
 *  p9  unicast from outside, VLAN 20, to vm6         -> vm6
 */
export const VLAN_RUN: RunDef = {
  vms: [
    {name: 'vm1', mac: vmMac(1), multicast: ['01:00:5e:00:00:01']},
    {name: 'vm2', mac: vmMac(2), multicast: ['01:00:5e:00:00:01']},
    {name: 'vm3', mac: vmMac(3), vlan: 10},
    {name: 'vm4', mac: vmMac(4), vlan: 10},
    {name: 'vm5', mac: vmMac(5), vlan: 10, mode: 'emulated', plugin: null},
    {name: 'vm6', mac: vmMac(6), vlan: 20},
    {name: 'vm7', mac: vmMac(7), vlans: [30]},
  ],
  frames: [
    {us: 0, src: vmMac(3), dst: BCAST, vlan: 10},
    {us: 100, src: extMac(1), dst: BCAST, vlan: 10},
    {us: 200, src: extMac(1), dst: BCAST},
    {us: 300, src: vmMac(1), dst: vmMac(2)},
    {us: 400, src: vmMac(1), dst: vmMac(3)},
    {us: 500, src: vmMac(7), dst: BCAST, vlan: 40},
    {us: 600, src: vmMac(7), dst: BCAST, vlan: 30},
    {us: 700, src: vmMac(1), dst: '01:00:5e:00:00:01'},
    {us: 800, src: vmMac(1), dst: extMac(9)},
    {us: 900, src: extMac(2), dst: vmMac(6), vlan: 20},
  ],
}

/** A user plugin with the smallest ring (8) that refills only in batches of 8: a burst overruns it. */
export const TINY_RING_PLUGIN = `
export default {
  manifest: {name: 'tiny-vf', version: '1.0.0', vendor: 'Test', licence: 'GPL-2.0-only', nics: ['intel-82599'], shellApi: '1.0'},
  create(api) {
    return {
      init: () => ({txRing: 64, rxRing: 8}),
      xmit(q) { api.postTx(q, true); api.doorbellTx(q) },
      poll(q, budget) {
        api.reapTx(q)
        let n = 0
        while (n < budget && api.rxPeek(q) >= 0) { api.rxReceive(q); n++ }
        const free = api.rxFree(q)
        if (free >= 8) api.refillRx(q, free - (free % 8))
        return n
      },
      timer() {},
      quiesce() {},
    }
  },
}
`

/** 40 frames from outside to vm2 (tiny ring) 100 ns apart: more than its ring holds before the first interrupt. */
export const RING_RUN: RunDef = {
  vms: [
    {name: 'vm1', mac: vmMac(1)},
    {name: 'vm2', mac: vmMac(2), plugin: 'tiny-vf@1.0.0'},
  ],
  frames: Array.from({length: 40}, (_, i) => ({us: i * 0.1, src: extMac(1), dst: vmMac(2), length: 64})),
  plugins: {'tiny-vf.mjs': TINY_RING_PLUGIN},
}

/** Unicast VM to VM on one host with the eswitch fault `fault_misdeliver_every: 5` (50 frames -> 10 misdelivered). */
export const MISDELIVER_RUN: RunDef = {
  vms: [1, 2, 3, 4].map((i) => ({name: `vm${i}`, mac: vmMac(i)})),
  frames: Array.from({length: 50}, (_, i) => ({us: i * 20, src: vmMac(1 + (i % 2)), dst: vmMac(3 + ((i >> 1) % 2))})),
  params: {fault_misdeliver_every: 5},
}

/** Six broadcasts from outside on VLAN 10 with `fault_vlan_leak_every: 2` (3 leak into VLAN 20). */
export const LEAK_RUN: RunDef = {
  vms: [
    {name: 'vm1', mac: vmMac(1), vlan: 10},
    {name: 'vm2', mac: vmMac(2), vlan: 10},
    {name: 'vm3', mac: vmMac(3), vlan: 20},
  ],
  frames: Array.from({length: 6}, (_, i) => ({us: i * 50, src: extMac(1), dst: BCAST, vlan: 10})),
  params: {fault_vlan_leak_every: 2},
}

/**
 * A generated run: `capture synth` traffic (8 VMs, vm5..vm8 on VLANs 10/20, 4 outside hosts, 50%
 * VM-to-VM) replayed with the bundled emulated-vs-passthrough scenario (half the VMs emulated).
 */
export function generatedRun(frames = 3000): Promise<string> {
  const name = `gen-${frames}`
  let p = built.get(name)
  if (!p) {
    p = (async () => {
      const {synthesize} = await import('../../src/capture/synth.js')
      const capture = join(dir, `${name}.pcap`)
      synthesize({frames, seed: 7, pps: 200_000}, capture)
      const out = join(dir, 'runs', name)
      const scenarioPath = new URL('../../traces/samples/emulated-vs-passthrough.yaml', import.meta.url).pathname
      await replay({capture, scenarioPath, out})
      return out
    })()
    built.set(name, p)
  }
  return p
}

/**
 * Promiscuous ports on one host: vm2 a promiscuous VF, vm3 a promiscuous emulated vNIC, vm4 emulated.
 *  p0  outside -> unknown MAC        -> vm2 (eswitch floods to promiscuous VFs), vm3 (PF = default pool -> vSwitch)
 *  p1  vm1 (VF) -> unknown MAC       -> vm2, external (a VF's unknown unicast goes to the uplink, not the PF)
 *  p2  vm1 -> vm3                    -> vm3 only
 *  p3  vm4 (emulated) -> unknown MAC -> vm3 (its vSwitch), vm2 (PF -> eswitch floods), external
 *  p4  outside -> vm4                -> vm4 only
 */
export const PROMISC_RUN: RunDef = {
  vms: [
    {name: 'vm1', mac: vmMac(1)},
    {name: 'vm2', mac: vmMac(2), promiscuous: true},
    {name: 'vm3', mac: vmMac(3), promiscuous: true, mode: 'emulated', plugin: null},
    {name: 'vm4', mac: vmMac(4), mode: 'emulated', plugin: null},
  ],
  frames: [
    {us: 0, src: extMac(1), dst: extMac(9)},
    {us: 100, src: vmMac(1), dst: extMac(8)},
    {us: 200, src: vmMac(1), dst: vmMac(3)},
    {us: 300, src: vmMac(4), dst: extMac(7)},
    {us: 400, src: extMac(2), dst: vmMac(4)},
  ],
}
