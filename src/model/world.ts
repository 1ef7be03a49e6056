/**
 * The NPA system model: hosts (uplink, SR-IOV NIC with embedded switch, hypervisor with vSwitch and
 * vmxnet3 emulation), VMs (guest shell + plugin) and the physical switch, on one integer-ns clock.
 *
 * The runner owns time: `run()` pops kernel events in (time, priority, sequence) order and dispatches
 * on an integer kind; components only schedule. Following DESIGN.md §2 "Speed", only interactions are
 * scheduled (a frame reaching a switch, a ring, an interrupt timer, a control operation); when a stage's
 * end is known at its start (DMA, serialization, emulation copies) its events are emitted with their
 * computed times. Trace rows are therefore in emission order; `t_ns` is the truth.
 *
 * Known approximation: FIFO resources (links, DMA engines) are reserved when a frame's arrival time at
 * them is computed, not when it arrives; two frames computed out of arrival order queue in computation
 * order. Latencies stay ≥ the physical minimum.
 */
import {EventQueue} from '../sim/queue.js'
import {Rng} from '../sim/rng.js'
import {COMP, EV, MODE, REASON, SIDE} from '../trace/schema.js'
import type {PluginCatalog} from '../plugins/loader.js'
import type {Scenario, VmSpec} from '../scenario/types.js'
import {Datapath} from './datapath.js'
import {EmbeddedSwitch, PF, UPLINK, vfPort} from './eswitch.js'
import {FramePool} from './frames.js'
import {LatencyHistogram} from './histogram.js'
import {NIC_MODELS, type NicModelSpec} from './nics.js'
import {resolveParams, type Params} from './params.js'
import {Shell} from './shell.js'
import {newTracer, type Tracer, type EventSinkLike} from './tracer.js'
import {Hypervisor} from './hypervisor.js'
import {Nic} from './nic.js'
import {PhysicalSwitch} from './wire.js'
import {Migrations} from './migration.js'
import {MacTable} from './mac-table.js'
import {NS_ZERO} from '../sim/time.js'

// Kernel event kinds
// 0 was K_ARRIVAL: the next capture frame now waits outside the heap (World.scheduleArrival).
export const K_ESWITCH = 1 // a = slot, b = host * 256 + eswitch source port
export const K_VSWITCH = 2 // a = slot, b = host * 65536 + (source VM + 1) (0 = from the PF)
export const K_PSWITCH = 3 // a = slot, b = ingress port
export const K_IRQ = 4 // a = vm, b = irq generation
export const K_POLL = 5 // a = vm
export const K_PTIMER = 6 // a = vm, b = timer generation
export const K_CTRL = 7 // a = operation index
export const K_CTRL_APPLY = 8 // a = operation index
export const K_MODE_STEP = 9 // a = vm, b = step
export const K_MIG_STEP = 10 // a = migration index, b = step

/** Priorities for ties at the same ns: control before data, data before interrupts. */
export const PRIO_CTRL = 0
export const PRIO_DATA = 1
export const PRIO_IRQ = 2

export class Host {
  readonly idx: number
  readonly name: string
  readonly nic: NicModelSpec
  readonly nicName: string
  readonly eswitch: EmbeddedSwitch
  readonly linkGbps: number
  /** VM index using each VF, -1 when free. */
  readonly vfOwner: Int32Array
  /** Uplink toward the physical switch: busy until. */
  upFree = NS_ZERO
  /** Hypervisor I/O thread (vSwitch + vmxnet3 emulation RX): busy until. */
  hvFree = NS_ZERO
  /** Emulated VMs on this host by MAC (the vSwitch's port table). */
  readonly emuByMac = new Map<number, number>()
  /** MACs of VMs that migrated away: frames still arriving for them are stale (live migration). */
  readonly gone = new Set<number>()

  constructor(idx: number, name: string, nicName: string, vfs: number, linkGbps: number) {
    this.idx = idx
    this.name = name
    this.nicName = nicName
    this.nic = NIC_MODELS[nicName]
    this.eswitch = new EmbeddedSwitch(vfs)
    this.linkGbps = linkGbps
    this.vfOwner = new Int32Array(vfs).fill(-1)
    // A VF receives nothing until it is allocated and programmed (VFRE off [Q-IGB]).
    for (let vf = 0; vf < vfs; vf++) this.eswitch.setRxEnable(vfPort(vf), false)
  }
}

export class Vm {
  readonly idx: number
  readonly name: string
  readonly spec: VmSpec
  host: number
  mac: number
  /** Port VLAN, -1 none. */
  pvid: number
  vlans: Set<number>
  multicast: Set<number> | 'all'
  promiscuous: boolean
  /** MODE code of the active data path. */
  mode: number
  /** Plugin name@version wanted for passthrough. */
  pluginRef: string | null
  /** True while a mode switch is in progress (TX queue stopped, arriving frames dropped). */
  switching = false
  /** Paused (stop-and-copy, suspend): the vCPU does not run; frames for it are buffered by the hypervisor. */
  paused = false
  /** Bonding: the active slave's link is gone and the bond has not noticed yet. */
  linkDown = false
  /** An interrupt arrived while paused: poll when the VM runs again. */
  pollOnResume = false
  /** Migration in progress (index into World.mig), -1 none. */
  migration = -1
  vf = -1
  /** The guest's single vCPU: busy until. */
  cpuFree = NS_ZERO
  readonly shell: Shell
  emu!: Datapath
  vfDp: Datapath | null = null
  /** The active data path (emu or vfDp). */
  dp!: Datapath

  constructor(idx: number, spec: VmSpec, host: number, shell: (vm: Vm) => Shell) {
    this.idx = idx
    this.name = spec.name
    this.spec = spec
    this.host = host
    this.mac = spec.mac
    this.pvid = spec.vlan ?? -1
    this.vlans = new Set(spec.vlans)
    this.multicast = spec.multicast === 'all' ? 'all' : new Set(spec.multicast)
    this.promiscuous = spec.promiscuous
    this.mode = MODE.emulated
    this.pluginRef = spec.plugin
    this.shell = shell(this)
  }
}

/**
 * Which VM sent a capture frame, by its source MAC: each VM's MAC, and the MACs it takes on later (a
 * `mac` operation) still identify it. The one home of that rule (the world and the frame reader use it).
 */
export function senderMacs(scenario: Scenario): MacTable {
  const t = new MacTable()
  scenario.vms.forEach((v, i) => t.set(v.mac, i))
  for (const op of scenario.operations) if (op.op === 'mac') t.set(op.mac, scenario.vms.findIndex((v) => v.name === op.vm))
  return t
}

export interface WorldOptions {
  scenario: Scenario
  catalog: PluginCatalog
  sink: EventSinkLike | null
  /** The `plugin` column's dictionary (every plugin the run may use, in dictionary order). */
  pluginDictionary: readonly string[]
  /** Called when the VM port configuration changes (for config.arrow). */
  onConfig?: (vm: Vm, t: number) => void
}

export class World {
  readonly q = new EventQueue()
  readonly p: Params
  readonly rng: Rng
  /** Independent streams per purpose, so adding one use of randomness does not shift another. */
  private readonly rngDma: Rng
  private readonly rngCpu: Rng
  readonly tr: Tracer
  readonly pool = new FramePool()
  readonly hosts: Host[] = []
  readonly vms: Vm[] = []
  /** VM index by MAC (-1: none); typed arrays, no boxing of 48-bit keys on the per-frame lookup. */
  readonly vmByMac: MacTable
  readonly hostByName = new Map<string, number>()
  readonly scenario: Scenario
  readonly catalog: PluginCatalog
  readonly nic: Nic
  readonly hv: Hypervisor
  readonly pswitch: PhysicalSwitch
  readonly mig: Migrations
  /** Dictionary of the `plugin` column; `pluginCode()` adds entries as plugins are used. */
  readonly pluginNames: string[] = []
  /** Dictionary of the `target` column: VM names, then 'pf', 'uplink', 'external'. */
  readonly targetNames: string[]
  readonly T_PF: number
  readonly T_UPLINK: number
  readonly T_EXTERNAL: number
  readonly latency = [new LatencyHistogram(), new LatencyHistogram()] // by MODE code
  readonly extLatency = new LatencyHistogram()
  readonly onConfig: (vm: Vm, t: number) => void
  now = NS_ZERO
  delivered = 0
  /** The next capture frame's arrival, kept outside the heap (one per frame: a push and a pop saved). */
  private arrivalT = Infinity
  private arrivalKey = 0

  // reusable scratch for switching decisions
  readonly outPorts: Int32Array
  readonly outVlan: Int16Array

  constructor(opts: WorldOptions) {
    this.scenario = opts.scenario
    this.catalog = opts.catalog
    this.p = resolveParams(opts.scenario.params)
    this.rng = new Rng(opts.scenario.seed)
    this.rngDma = this.rng.fork('dma')
    this.rngCpu = this.rng.fork('guest-cpu')
    this.tr = newTracer(opts.sink, EV.drop)
    this.onConfig = opts.onConfig ?? (() => {})
    let maxPorts = 2
    for (const h of opts.scenario.hosts) {
      const host = new Host(this.hosts.length, h.name, h.nic, h.nic === 'none' ? 0 : h.vfs, h.linkGbps)
      this.hostByName.set(h.name, host.idx)
      this.hosts.push(host)
      maxPorts = Math.max(maxPorts, (h.nic === 'none' ? 0 : h.vfs) + 2)
    }
    this.outPorts = new Int32Array(Math.max(maxPorts, opts.scenario.vms.length + 2))
    this.outVlan = new Int16Array(this.outPorts.length)
    this.targetNames = [...opts.scenario.vms.map((v) => v.name), 'pf', 'uplink', 'external']
    const nv = opts.scenario.vms.length
    this.T_PF = nv
    this.T_UPLINK = nv + 1
    this.T_EXTERNAL = nv + 2
    this.nic = new Nic(this)
    this.hv = new Hypervisor(this)
    this.pswitch = new PhysicalSwitch(this)
    this.mig = new Migrations(this)
    for (const spec of opts.scenario.vms) {
      const host = this.hostByName.get(spec.host)!
      const vm = new Vm(this.vms.length, spec, host, (v) => new Shell(this, v))
      this.vms.push(vm)
    }
    this.vmByMac = senderMacs(opts.scenario)
    this.pluginNames.push(...opts.pluginDictionary)
  }

  /** Dictionary code of a plugin id (every plugin of the catalog is in the dictionary). */
  pluginCode(id: string): number {
    const i = this.pluginNames.indexOf(id)
    if (i < 0) throw new Error(`plugin ${id} missing from the trace dictionary`)
    return i
  }

  /** Boot: every VM comes up emulated (RFC), then those that want passthrough switch at t = 0. */
  boot(): void {
    for (const vm of this.vms) this.hv.bootVm(vm)
    this.pswitch.announceAll()
    this.scenario.operations.forEach((op, i) => this.q.push(op.at, PRIO_CTRL, K_CTRL, i, 0))
  }

  // --- trace helpers -------------------------------------------------------------------------

  /** Emit an event about a VM's data path (host/vm/mode/plugin filled from the VM). */
  evVm(t: number, ev: number, comp: number, vm: Vm, dp: Datapath, pkt: number, rep: number, ring: number, desc: number,
    len: number, vlan: number, cpu: number, side: number, aux: number): void {
    this.tr.emit(t, ev, comp, pkt, rep, vm.host, vm.idx, dp.kind === 0 ? MODE.emulated : MODE.passthrough, dp.pluginCode,
      0, ring, desc, len, vlan, -1, -1, -1, cpu, side, aux)
  }

  /** Emit a drop of a frame slot and free it. */
  drop(t: number, comp: number, s: number, host: number, vm: number, reason: number): void {
    const pool = this.pool
    const mode = vm >= 0 ? this.vms[vm].mode : -1
    const plugin = vm >= 0 ? this.vms[vm].dp.pluginCode : -1
    this.tr.emit(t, EV.drop, comp, pool.pkt[s], pool.rep[s], host, vm, mode, plugin, -1, -1, -1, pool.len[s], pool.vlan[s],
      -1, reason, -1, 0, -1, -1)
    pool.free(s)
  }

  /** Serialization time of a frame of `len` bytes (no FCS) on a link, including FCS and preamble+IFG [PM-ETH]. */
  serNs(len: number, gbps: number): number {
    return Math.round(((len + this.p.fcs_bytes + this.p.eth_overhead_bytes) * 8) / gbps)
  }

  /** DMA read latency [PD] plus a seeded exponential tail (dma_jitter_ns). */
  dmaReadNs(bytes: number): number {
    const j = this.p.dma_jitter_ns
    return Math.round(this.p.dma_read_base_ns + this.p.dma_read_per_byte_ns * bytes + (j > 0 ? this.rngDma.exp(j) : 0))
  }

  /** A guest CPU cost with its seeded spread (guest_cpu_jitter). */
  guestCost(ns: number): number {
    const j = this.p.guest_cpu_jitter
    return j > 0 ? Math.round(ns * (1 + j * (2 * this.rngCpu.next() - 1))) : ns
  }

  get vmexitNs(): number {
    return Math.round(this.p.vmexit_roundtrip_cycles / this.p.cpu_ghz)
  }

  // --- frame entry ---------------------------------------------------------------------------

  /**
   * A capture frame enters at time t. A frame whose source MAC belongs to a VM is that VM's TX (its
   * stack hands it to the shell); every other frame arrives at the physical switch from outside.
   * `vlan` is the outer VLAN seen in the capture (-1 none); `vmIdx` the sending VM if the caller
   * already looked it up (-1: from outside).
   */
  inject(t: number, packetId: number, len: number, dst: number, src: number, kind: number, vlan: number,
    vmIdx: number = this.vmByMac.get(src)): void {
    const s = this.pool.allocFrame(packetId, len, vlan, dst, src, kind, t, vmIdx)
    if (vmIdx >= 0) {
      const vm = this.vms[vmIdx]
      this.tr.emit(t, EV.frame_in, COMP.capture, packetId, 0, vm.host, vmIdx, vm.mode, vm.dp.pluginCode, -1, -1, -1, len, vlan,
        -1, -1, -1, 0, -1, -1)
      vm.shell.stackTx(t, s)
    } else {
      this.tr.emit(t, EV.frame_in, COMP.capture, packetId, 0, -1, -1, -1, -1, -1, -1, -1, len, vlan, -1, -1, -1, 0, -1, -1)
      this.pswitch.receive(t, s, this.pswitch.extPort)
    }
  }

  /** A frame that is not Ethernet (other link type, or shorter than an Ethernet header). */
  notEthernet(t: number, packetId: number, len: number): void {
    this.tr.emit(t, EV.frame_in, COMP.capture, packetId, 0, -1, -1, -1, -1, -1, -1, -1, len, -1, -1, -1, -1, 0, -1, -1)
    this.tr.emit(t, EV.drop, COMP.capture, packetId, 0, -1, -1, -1, -1, -1, -1, -1, len, -1, -1, REASON.not_ethernet, -1, 0, -1, -1)
  }

  // --- the kernel loop -----------------------------------------------------------------------

  /**
   * Run kernel events up to and including time `until` (Infinity: until the queue is empty).
   * `onArrival` is called at each scheduled arrival (the replay driver injects the next capture frame).
   */
  run(until: number, onArrival: (t: number) => void): void {
    const q = this.q
    for (;;) {
      const qt = q.peekTime()
      const at = this.arrivalT
      if (at <= until && at !== Infinity && (at < qt || (at === qt && this.arrivalKey < q.peekTie()))) {
        this.arrivalT = Infinity
        q.advance(at)
        this.now = at
        onArrival(at)
        continue
      }
      if (qt > until || q.size === 0) break
      q.pop()
      const t = q.time
      this.now = t
      const a = q.a
      const b = q.b
      switch (q.kind) {
        case K_ESWITCH:
          this.nic.eswitchIn(t, a, Math.floor(b / 256), b % 256)
          break
        case K_VSWITCH:
          this.hv.vswitchIn(t, a, Math.floor(b / 65536), (b % 65536) - 1)
          break
        case K_PSWITCH:
          this.pswitch.receive(t, a, b)
          break
        case K_IRQ:
          this.vms[a].shell.irq(t, b)
          break
        case K_POLL:
          this.vms[a].shell.poll(t)
          break
        case K_PTIMER:
          this.vms[a].shell.timer(t, b)
          break
        case K_CTRL:
          this.hv.ctrlTrap(t, a)
          break
        case K_CTRL_APPLY:
          this.hv.ctrlApply(t, a)
          break
        case K_MODE_STEP:
          this.hv.modeStep(t, a, b)
          break
        case K_MIG_STEP:
          this.mig.step(t, a, b)
          break
      }
    }
  }

  /**
   * The next capture frame arrives at `t` (run() calls onArrival then). Ordered exactly as a kernel event
   * pushed now would be; at most one is pending.
   */
  scheduleArrival(t: number): void {
    if (!(t >= this.q.time)) throw new RangeError(`scheduleArrival: time ${t} is before the clock ${this.q.time}`)
    this.arrivalT = t
    this.arrivalKey = this.q.reserve(PRIO_DATA)
  }

  /** Time of the next kernel event or arrival; Infinity when nothing is pending. */
  nextTime(): number {
    const qt = this.q.peekTime()
    return this.arrivalT < qt ? this.arrivalT : qt
  }

  /** Latency of a delivered replica, for the closing summary. */
  recordDelivery(modeCode: number, latency: number): void {
    this.delivered++
    if (modeCode >= 0) this.latency[modeCode].add(latency)
    else this.extLatency.add(latency)
  }
}

export {PF, UPLINK, vfPort, REASON, SIDE, COMP, EV, MODE}
