/**
 * Model test helpers: an in-memory event sink (rows kept as typed arrays, decoded on demand), a small
 * scenario builder and a driver that injects frames at given times without a capture file.
 */
import {BUILTIN_PLUGINS, PluginCatalog} from '../../src/plugins/loader.js'
import type {PluginDefinition} from '../../src/plugins/api.js'
import type {HostSpec, OperationSpec, Scenario, VmSpec} from '../../src/scenario/types.js'
import {COMPONENTS, DETAILS, EVENT_NAMES, MODES, REASONS, RINGS, SIDES} from '../../src/trace/schema.js'
import {World} from '../../src/model/world.js'
import {DST_BROADCAST, DST_MULTICAST, DST_UNICAST} from '../../src/model/frames.js'

const COLS = ['t_ns', 'event', 'component', 'packet_id', 'replica', 'host', 'vm', 'mode', 'plugin', 'queue', 'ring', 'desc_idx', 'len', 'vlan',
  'target', 'reason', 'detail', 'cpu_ns', 'side', 'aux'] as const

/** Fixed-capacity in-memory sink: the Tracer caches the column arrays, so they must never be replaced. */
export class MemSink {
  cols: Record<string, Float64Array> = {}
  n = 0
  private readonly cap: number

  constructor(cap = 1 << 18) {
    this.cap = cap
    for (const c of COLS) this.cols[c] = new Float64Array(cap)
  }

  row(): number {
    if (this.n === this.cap) throw new Error(`MemSink: more than ${this.cap} events; pass a larger capacity`)
    return this.n++
  }

  get rowCount(): number {
    return this.n
  }
}

export interface Ev {
  t: number
  event: string
  component: string
  pkt: number | null
  rep: number | null
  host: string | null
  vm: string | null
  mode: string | null
  plugin: string | null
  ring: string | null
  desc: number | null
  len: number | null
  vlan: number | null
  target: string | null
  reason: string | null
  detail: string | null
  cpu: number
  side: string | null
  aux: number | null
}

export function mac(i: number): number {
  return 0x020000000000 + i
}
export const EXT = (i: number): number => 0x02ee00000000 + i
export const BCAST = 0xffffffffffff

export interface TestWorldOptions {
  hosts?: Partial<HostSpec>[]
  vms: (Partial<VmSpec> & {name: string})[]
  operations?: OperationSpec[]
  params?: Record<string, number | boolean>
  plugins?: PluginDefinition[]
  policies?: Scenario['policies']
  seed?: number
}

export class TestWorld {
  readonly sink = new MemSink()
  readonly world: World
  readonly pluginNames: string[]
  private readonly arrivals: [number, number, number, number, number, number][] = []
  private nextId = 0

  constructor(o: TestWorldOptions) {
    const hosts: HostSpec[] = (o.hosts ?? [{}]).map((h, i) => ({name: h.name ?? `host-${'abc'[i]}`, nic: h.nic ?? 'intel-82599', vfs: h.vfs ?? 8,
      linkGbps: h.linkGbps ?? 10}))
    const vms: VmSpec[] = o.vms.map((v, i) => ({name: v.name, mac: v.mac ?? mac(i + 1), host: v.host ?? hosts[0].name, vlan: v.vlan ?? null,
      vlans: v.vlans ?? [], multicast: v.multicast ?? [], promiscuous: v.promiscuous ?? false, mode: v.mode ?? 'passthrough',
      plugin: v.plugin ?? null}))
    const scenario: Scenario = {version: 1, seed: o.seed ?? 1, pacing: {kind: 'original'}, params: o.params ?? {}, hosts, vms,
      policies: o.policies ?? [{vm: '*', allowMacChange: true, allowVlanChange: true, allowPromiscuous: false, allowMulticast: true}],
      operations: o.operations ?? [], source: 'test'}
    const catalog = new PluginCatalog([...BUILTIN_PLUGINS, ...(o.plugins ?? [])])
    this.pluginNames = catalog.ids()
    this.world = new World({scenario, catalog, sink: this.sink, pluginDictionary: this.pluginNames})
    this.world.boot()
  }

  /** Queue a frame: at t ns, src → dst, len bytes (wire length without FCS), outer VLAN (-1 none). */
  frame(t: number, src: number, dst: number, len = 100, vlan = -1): number {
    const id = this.nextId++
    const kind = dst === BCAST ? DST_BROADCAST : Math.floor(dst / 0x10000000000) & 1 ? DST_MULTICAST : DST_UNICAST
    this.arrivals.push([t, id, len, dst, src, kind * 10000 + (vlan + 1)])
    return id
  }

  run(): Ev[] {
    const w = this.world
    let i = 0
    const arr = this.arrivals.sort((a, b) => a[0] - b[0] || a[1] - b[1])
    if (arr.length) w.scheduleArrival(arr[0][0])
    w.run(Infinity, (t) => {
      const [, id, len, dst, src, kv] = arr[i++]
      w.inject(t, id, len, dst, src, Math.floor(kv / 10000), (kv % 10000) - 1)
      if (i < arr.length) w.scheduleArrival(arr[i][0])
    })
    return this.events()
  }

  events(): Ev[] {
    const c = this.sink.cols
    const out: Ev[] = []
    const vmNames = w2names(this.world)
    const nul = (v: number) => (v < 0 ? null : v)
    const name = (list: readonly string[], v: number) => (v < 0 ? null : list[v])
    for (let r = 0; r < this.sink.n; r++) {
      out.push({
        t: c.t_ns[r], event: EVENT_NAMES[c.event[r]], component: COMPONENTS[c.component[r]], pkt: nul(c.packet_id[r]), rep: nul(c.replica[r]),
        host: name(this.world.hosts.map((h) => h.name), c.host[r]), vm: name(vmNames, c.vm[r]), mode: name(MODES, c.mode[r]),
        plugin: name(this.pluginNames, c.plugin[r]), ring: name(RINGS, c.ring[r]), desc: nul(c.desc_idx[r]), len: nul(c.len[r]),
        vlan: nul(c.vlan[r]), target: name(this.world.targetNames, c.target[r]), reason: name(REASONS, c.reason[r]),
        detail: name(DETAILS, c.detail[r]), cpu: c.cpu_ns[r], side: name(SIDES, c.side[r]), aux: c.aux[r] === -1 ? null : c.aux[r],
      })
    }
    return out
  }
}

function w2names(w: World): string[] {
  return w.vms.map((v) => v.name)
}

/** Count events by name (optionally filtered). */
export function countBy(evs: Ev[], pred: (e: Ev) => boolean = () => true): Record<string, number> {
  const out: Record<string, number> = {}
  for (const e of evs) if (pred(e)) out[e.event] = (out[e.event] ?? 0) + 1
  return out
}

/** Terminal events of every replica: delivered (shell_rx_deliver / ext_deliver) or dropped. */
export function terminals(evs: Ev[]): Ev[] {
  return evs.filter((e) => e.pkt !== null && (e.event === 'shell_rx_deliver' || e.event === 'ext_deliver' || e.event === 'drop'))
}
