/**
 * The hypervisor of each host: the PF driver's control API (the only way the eswitch is programmed), the
 * vSwitch for emulated vNICs, the vmxnet3 device emulation (every doorbell traps; frames are copied
 * through the vSwitch; RX is copied into the guest ring and a virtual interrupt injected), control-path
 * traps checked against policy, VF allocation, plugin injection and mode switching.
 */
import {UserError} from '../errors.js'
import {pluginId, type PluginDefinition} from '../plugins/api.js'
import {verifyPlugin} from '../plugins/loader.js'
import type {OperationSpec, PolicySpec} from '../scenario/types.js'
import {COMP, CTRL, EV, MODE, REASON, RING, SIDE} from '../trace/schema.js'
import {DEV_EMULATED, DEV_VF, Datapath} from './datapath.js'
import {vfPort} from './eswitch.js'
import {DST_BROADCAST, DST_UNICAST} from './frames.js'
import {K_CTRL_APPLY, K_MODE_STEP, K_VSWITCH, PRIO_CTRL, PRIO_DATA, type Host, type Vm, type World} from './world.js'

const STEP_PT_CUTOVER = 1
const STEP_EMU_QUIESCED = 2

/** Ring sizes a plugin may ask for. */
const MIN_RING = 8
const MAX_RING = 8192 // also the bound of the events table's desc_idx column (i16, src/trace/schema.ts)

export class Hypervisor {
  private readonly w: World
  private readonly vmxnet3: PluginDefinition
  /** Plugin chosen for a pending emulated → passthrough switch, per VM. */
  private readonly pendingDp: (Datapath | null)[] = []
  private readonly switchStart: number[] = []

  constructor(w: World) {
    this.w = w
    this.vmxnet3 = w.catalog.require('vmxnet3@1.0.0', 'built-in')
  }

  // --- boot and mode switching ---------------------------------------------------------------

  /** Boot a VM in emulated mode (RFC: "the virtual machine comes up in paravirtualized/emulated mode"). */
  bootVm(vm: Vm): void {
    const w = this.w
    const inst = this.vmxnet3.create(vm.shell)
    const cfg = inst.init()
    vm.emu = new Datapath(DEV_EMULATED, inst, w.pluginCode(pluginId(this.vmxnet3.manifest)), -1, cfg.txRing, cfg.rxRing)
    vm.dp = vm.emu
    vm.mode = MODE.emulated
    const host = w.hosts[vm.host]
    this.attachEmulated(vm, host)
    vm.shell.fillRx(0, vm.emu)
    w.onConfig(vm, 0)
    // Passthrough is set up before the capture starts: the switch happens at t = 0 with no delay.
    if (vm.spec.mode === 'passthrough') this.beginPassthrough(vm, 0, true)
  }

  /** Hypervisor-initiated mode switch (scenario operation or migration). */
  switchMode(vm: Vm, t: number, mode: 'passthrough' | 'emulated'): void {
    if (vm.switching) return
    if (mode === 'passthrough' && vm.mode === MODE.emulated) this.beginPassthrough(vm, t, false)
    else if (mode === 'emulated' && vm.mode === MODE.passthrough) this.beginEmulated(vm, t)
  }

  /**
   * Emulated → passthrough: allocate a VF, inject the plugin, let the shell verify it, cut over after the
   * injection latency. `opts.delayNs` replaces that latency (bonding hot-add, uniform switch);
   * `opts.verify: false` skips the shell's checks (a guest's own driver under bonding). Returns false
   * when the switch cannot start (no VF, no plugin for the NIC) or the plugin is rejected.
   */
  beginPassthrough(vm: Vm, t: number, boot: boolean, opts: {delayNs?: number; verify?: boolean} = {}): boolean {
    const w = this.w
    const host = w.hosts[vm.host]
    this.ctrlEvent(t, EV.mode_switch_begin, vm, MODE.passthrough, -1, -1, 0, -1)
    const vf = host.vfOwner.indexOf(-1)
    const ref = vm.pluginRef ?? host.nic.defaultPlugin
    if (vf < 0 || ref === null) {
      this.ctrlEvent(t, EV.mode_switch_end, vm, MODE.emulated, REASON.no_vf, -1, 0, 0)
      return false
    }
    const def = w.catalog.get(ref)
    if (!def) throw new UserError(`${vm.name}: unknown plugin ${ref}`, {hint: `known: ${w.catalog.ids().join(', ')}`})
    host.vfOwner[vf] = vm.idx
    vm.vf = vf
    this.ctrlEvent(t, EV.vf_alloc, vm, MODE.passthrough, -1, -1, 0, vf)
    const code = w.pluginCode(pluginId(def.manifest))
    // The hypervisor injects the plugin image into guest memory chosen by the shell (RFC).
    this.ctrlEvent(t, EV.plugin_inject, vm, MODE.passthrough, -1, code, 0, -1)
    const loadAt = boot ? t : t + (opts.delayNs ?? w.p.plugin_inject_us * 1000)
    // The shell verifies the plugin before calling its entry point.
    const bad = opts.verify === false ? null : verifyPlugin(def.manifest, host.nicName)
    if (bad) {
      this.reject(vm, loadAt, code, REASON[bad.reason])
      return false
    }
    let dp: Datapath
    try {
      const inst = def.create(vm.shell)
      const cfg = inst.init()
      const tx = clampRing(cfg?.txRing)
      const rx = clampRing(cfg?.rxRing)
      dp = new Datapath(DEV_VF, inst, code, vf, tx, rx)
    } catch {
      this.reject(vm, loadAt, code, REASON.plugin_threw)
      return false
    }
    this.pendingDp[vm.idx] = dp
    this.switchStart[vm.idx] = t
    if (boot) this.cutOverToPassthrough(vm, t)
    else {
      vm.switching = false // the emulated path keeps running until the cut-over
      w.q.push(loadAt, PRIO_CTRL, K_MODE_STEP, vm.idx, STEP_PT_CUTOVER)
    }
    return true
  }

  private reject(vm: Vm, t: number, pluginCode: number, reason: number): void {
    const host = this.w.hosts[vm.host]
    this.ctrlEvent(t, EV.plugin_reject, vm, MODE.emulated, reason, pluginCode, 0, -1)
    this.ctrlEvent(t, EV.vf_free, vm, MODE.emulated, -1, -1, 0, vm.vf)
    host.vfOwner[vm.vf] = -1
    vm.vf = -1
    this.ctrlEvent(t, EV.mode_switch_end, vm, MODE.emulated, reason, -1, 0, 0)
  }

  private cutOverToPassthrough(vm: Vm, t: number): void {
    const w = this.w
    const dp = this.pendingDp[vm.idx]!
    const host = w.hosts[vm.host]
    this.pendingDp[vm.idx] = null
    this.ctrlEvent(t, EV.plugin_load, vm, MODE.passthrough, -1, dp.pluginCode, 0, -1)
    // Frames already in the vmxnet3 ring are delivered before the shell moves to the plugin.
    vm.shell.finalReap(t, vm.emu)
    this.detachEmulated(vm, host)
    // PF control API: the VF port gets the VM's MAC, VLAN and filters.
    const port = vfPort(vm.vf)
    const esw = host.eswitch
    esw.setPortMac(port, vm.mac)
    esw.setPortVlan(port, vm.pvid >= 0 ? vm.pvid : null)
    for (const v of vm.vlans) esw.addVlan(port, v)
    this.programMulticast(host, port, vm)
    esw.setPromiscuous(port, vm.promiscuous)
    esw.setRxEnable(port, true)
    vm.vfDp = dp
    vm.dp = dp
    vm.mode = MODE.passthrough
    vm.shell.fillRx(t, dp)
    w.onConfig(vm, t)
    this.ctrlEvent(t, EV.mode_switch_end, vm, MODE.passthrough, -1, dp.pluginCode, 0, t - (this.switchStart[vm.idx] ?? t))
    vm.shell.resume(t)
    w.mig.onModeChanged(vm, t)
  }

  /**
   * Passthrough → emulated (RFC). NPA: the VF stops receiving, the plugin is quiesced, TX drained, then
   * the eswitch sends the VM's MAC to the PF. `opts.uniform`: a uniform data path switches by saving the
   * ring indices — the VF keeps receiving during the (short) window and nothing is reclaimed.
   */
  beginEmulated(vm: Vm, t: number, opts: {uniform?: boolean} = {}): void {
    const w = this.w
    const host = w.hosts[vm.host]
    const dp = vm.dp
    this.switchStart[vm.idx] = t
    this.ctrlEvent(t, EV.mode_switch_begin, vm, MODE.emulated, -1, -1, 0, -1)
    vm.switching = true
    // PF control API: the VF stops receiving (frames for the VM are dropped, reason rx_disabled, until the
    // vSwitch takes over); its MAC stays programmed so the TX drain still passes anti-spoofing.
    if (!opts.uniform) host.eswitch.setRxEnable(vfPort(vm.vf), false)
    // Quiesce: a batching plugin's pending descriptors are pushed out, then the plugin stops.
    vm.shell.quiesce(t)
    let drainedAt = t + (opts.uniform ? w.p.uniform_switch_us : w.p.quiesce_us) * 1000
    for (let i = 0; i < dp.txCount; i++) {
      const wb = dp.txWb[(dp.txHead + i) % dp.txSize]
      if (wb < Infinity && wb > drainedAt) drainedAt = wb
    }
    w.q.push(drainedAt, PRIO_CTRL, K_MODE_STEP, vm.idx, STEP_EMU_QUIESCED)
  }

  private finishEmulated(vm: Vm, t: number): void {
    const w = this.w
    const dp = vm.dp
    const reclaimed = vm.shell.finalReap(t, dp)
    this.ctrlEvent(t, EV.mode_quiesce, vm, MODE.passthrough, -1, dp.pluginCode, 0, reclaimed)
    this.releaseVf(vm, t)
    vm.switching = false
    vm.shell.fillRx(t, vm.emu)
    this.ctrlEvent(t, EV.mode_switch_end, vm, MODE.emulated, -1, vm.emu.pluginCode, 0, t - (this.switchStart[vm.idx] ?? t))
    vm.shell.resume(t)
    w.mig.onModeChanged(vm, t)
  }

  /**
   * Bonding: the VF disappears under the guest (hot-unplug done). Frames in its rings are lost
   * (link_down); the VM's MAC now reaches the vSwitch, where the standby vNIC sits.
   */
  removeVfAbrupt(vm: Vm, t: number): void {
    if (vm.mode !== MODE.passthrough) return
    vm.shell.dropAll(t, vm.dp, REASON.link_down)
    this.releaseVf(vm, t)
  }

  /**
   * Through the PF control API: the VF port stops receiving and forgets the VM's MAC, VLANs and
   * filters; the MAC goes to the vSwitch; the VF is freed and the VM runs on its vmxnet3 rings.
   */
  private releaseVf(vm: Vm, t: number): void {
    const host = this.w.hosts[vm.host]
    const port = vfPort(vm.vf)
    const esw = host.eswitch
    esw.setRxEnable(port, false) // a freed VF receives nothing
    esw.setPortMac(port, null)
    this.attachEmulated(vm, host)
    esw.setPortVlan(port, null)
    for (const v of vm.vlans) esw.removeVlan(port, v)
    esw.setMulticast(port, [])
    esw.setAllMulticast(port, false)
    esw.setPromiscuous(port, false)
    this.ctrlEvent(t, EV.vf_free, vm, MODE.emulated, -1, -1, 0, vm.vf)
    host.vfOwner[vm.vf] = -1
    vm.vf = -1
    vm.vfDp = null
    vm.dp = vm.emu
    vm.mode = MODE.emulated
    this.w.onConfig(vm, t)
  }

  /** Move an emulated VM's vSwitch port from its host to `to` (live migration resume). */
  moveVm(vm: Vm, to: number, t: number): void {
    const w = this.w
    const from = w.hosts[vm.host]
    this.detachEmulated(vm, from)
    from.gone.add(vm.mac)
    vm.host = to
    const dest = w.hosts[to]
    dest.gone.delete(vm.mac)
    this.attachEmulated(vm, dest)
    w.onConfig(vm, t)
  }

  modeStep(t: number, vmIdx: number, step: number): void {
    const vm = this.w.vms[vmIdx]
    if (step === STEP_PT_CUTOVER) this.cutOverToPassthrough(vm, t)
    else if (step === STEP_EMU_QUIESCED) this.finishEmulated(vm, t)
  }

  /** A plugin threw: the shell contains it and the VM falls back to emulated mode at once. */
  pluginFailed(vm: Vm, t: number, _err: unknown): void {
    if (vm.mode !== MODE.passthrough || vm.switching) return
    const code = vm.dp.pluginCode
    this.ctrlEvent(t, EV.plugin_reject, vm, MODE.passthrough, REASON.plugin_threw, code, 0, -1)
    this.beginEmulated(vm, t)
  }

  /** The VM's MAC is served by the vSwitch: vSwitch port + PF pool entry in the eswitch. */
  attachEmulated(vm: Vm, host: Host): void {
    host.emuByMac.set(vm.mac, vm.idx)
    host.eswitch.addPfMac(vm.mac)
  }

  detachEmulated(vm: Vm, host: Host): void {
    if (host.emuByMac.get(vm.mac) === vm.idx) host.emuByMac.delete(vm.mac)
    host.eswitch.removePfMac(vm.mac)
  }

  private programMulticast(host: Host, port: number, vm: Vm): void {
    if (vm.multicast === 'all') {
      host.eswitch.setMulticast(port, [])
      host.eswitch.setAllMulticast(port, true)
    } else {
      host.eswitch.setAllMulticast(port, false)
      host.eswitch.setMulticast(port, [...vm.multicast])
    }
  }

  // --- vSwitch and vmxnet3 emulation ---------------------------------------------------------

  /** vmxnet3 TXPROD write: trap, emulate every pending descriptor, forward through the vSwitch. Returns when the vCPU resumes. */
  emuTxDoorbell(vm: Vm, dp: Datapath, t: number): number {
    const w = this.w
    const p = w.p
    const pool = w.pool
    const exit = w.vmexitNs + p.trap_kernel_handler_ns
    w.evVm(t, EV.vmexit, COMP.hypervisor, vm, dp, -1, -1, RING.tx, -1, -1, -1, exit, SIDE.hypervisor, -1)
    let cur = t + exit
    const n = dp.txPending
    const b = vm.host * 65536 + vm.idx + 1
    for (let i = 0; i < n; i++) {
      const d = (dp.txTail - n + i + dp.txSize) % dp.txSize
      w.evVm(cur, EV.desc_fetch, COMP.vmxnet3_emu, vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d, -1, -1, 0, -1, -1)
      const s = dp.txSlot[d]
      if (s >= 0) {
        const copy = Math.round(pool.len[s] * p.emu_copy_per_byte_ns)
        cur += copy
        w.evVm(cur, EV.emu_tx, COMP.vmxnet3_emu, vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d, pool.len[s], pool.vlan[s], copy,
          SIDE.hypervisor, -1)
        w.evVm(cur, EV.desc_process, COMP.vmxnet3_emu, vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d, pool.len[s], pool.vlan[s], 0, -1, copy)
        w.q.push(cur, PRIO_DATA, K_VSWITCH, s, b)
        dp.txSlot[d] = -1
      } else {
        w.evVm(cur, EV.desc_process, COMP.vmxnet3_emu, vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d, -1, -1, 0, -1, 0)
      }
      dp.txWb[d] = cur
      w.evVm(cur, EV.desc_writeback, COMP.vmxnet3_emu, vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d, -1, -1, 0, -1, -1)
    }
    if (n > 0) vm.shell.requestIrq(dp, cur, p.vmxnet3_itr_us * 1000)
    return cur
  }

  /** vmxnet3 RXPROD write after a refill: traps too. The emulation reads descriptors when frames arrive. */
  emuRxProd(vm: Vm, dp: Datapath, t: number, _first: number, _n: number): number {
    const w = this.w
    const exit = w.vmexitNs + w.p.trap_kernel_handler_ns
    w.evVm(t, EV.vmexit, COMP.hypervisor, vm, dp, -1, -1, RING.rx, -1, -1, -1, exit, SIDE.hypervisor, -1)
    return t + exit
  }

  /** vmxnet3 RX: copy a frame replica into an emulated VM's RX ring and raise its (virtual) interrupt. */
  emuRx(vm: Vm, s: number, t: number): void {
    const w = this.w
    const p = w.p
    const pool = w.pool
    if (vm.linkDown) return w.drop(t, COMP.vswitch, s, vm.host, vm.idx, REASON.link_down)
    if (vm.paused) return w.mig.buffer(vm, s, t)
    if (vm.switching || vm.dp.kind !== DEV_EMULATED) {
      w.drop(t, COMP.vmxnet3_emu, s, vm.host, vm.idx, REASON.mode_switch)
      return
    }
    const dp = vm.emu
    if (dp.rxAvail === 0) {
      w.drop(t, COMP.vmxnet3_emu, s, vm.host, vm.idx, REASON.rx_ring_full)
      return
    }
    const host = w.hosts[vm.host]
    const d = dp.rxFillIdx
    dp.rxFillIdx = d + 1 === dp.rxSize ? 0 : d + 1
    dp.rxAvail--
    dp.rxFilled++
    dp.rxSlot[d] = s
    const start = t > host.hvFree ? t : host.hvFree
    const copy = Math.round(pool.len[s] * p.emu_copy_per_byte_ns)
    const done = start + copy
    host.hvFree = done
    dp.rxWb[d] = done
    const pkt = pool.pkt[s]
    const rep = pool.rep[s]
    w.evVm(start, EV.desc_fetch, COMP.vmxnet3_emu, vm, dp, pkt, rep, RING.rx, d, -1, -1, 0, -1, -1)
    w.evVm(done, EV.emu_rx, COMP.vmxnet3_emu, vm, dp, pkt, rep, RING.rx, d, pool.len[s], pool.vlan[s], copy, SIDE.hypervisor, -1)
    w.evVm(done, EV.desc_process, COMP.vmxnet3_emu, vm, dp, pkt, rep, RING.rx, d, pool.len[s], pool.vlan[s], 0, -1, copy)
    w.evVm(done, EV.desc_writeback, COMP.vmxnet3_emu, vm, dp, pkt, rep, RING.rx, d, pool.len[s], pool.vlan[s], 0, -1, -1)
    vm.shell.requestIrq(dp, done, p.vmxnet3_itr_us * 1000)
  }

  /**
   * The vSwitch of `hostIdx` gets a frame at `t`, from the PF (srcVm = -1) or from an emulated VM.
   * It enforces the VM's MAC and VLAN (like "forged transmits" and port VLANs), inserts/strips the port
   * VLAN, and switches between emulated VMs locally; everything else goes out through the PF.
   */
  vswitchIn(t: number, s: number, hostIdx: number, srcVm: number): void {
    const w = this.w
    const pool = w.pool
    const host = w.hosts[hostIdx]
    let vlan = pool.vlan[s]
    if (srcVm >= 0) {
      const vm = w.vms[srcVm]
      if (pool.src[s] !== vm.mac) return w.drop(t, COMP.vswitch, s, hostIdx, srcVm, REASON.anti_spoof_mac)
      if (vlan >= 0 && (vm.pvid >= 0 || !vm.vlans.has(vlan))) return w.drop(t, COMP.vswitch, s, hostIdx, srcVm, REASON.anti_spoof_vlan)
      if (vm.pvid >= 0) vlan = vm.pvid
    }
    const out = w.outPorts // VM indices, or -1 for the PF
    let n = 0
    const kind = pool.kind[s]
    if (kind === DST_UNICAST) {
      const dst = host.emuByMac.get(pool.dst[s])
      if (dst !== undefined && dst !== srcVm && this.member(w.vms[dst], vlan)) out[n++] = dst
      else if (srcVm < 0 && host.gone.has(pool.dst[s])) return w.mig.stale(s, hostIdx, t)
      else {
        // Unknown unicast: promiscuous ports of the VLAN get a copy (as on the eswitch), the rest goes out the PF.
        for (const vmIdx of host.emuByMac.values())
          if (vmIdx !== srcVm && w.vms[vmIdx].promiscuous && this.member(w.vms[vmIdx], vlan)) out[n++] = vmIdx
        if (srcVm >= 0) out[n++] = -1
      }
    } else {
      for (const vmIdx of host.emuByMac.values()) {
        if (vmIdx === srcVm) continue
        const vm = w.vms[vmIdx]
        if (!this.member(vm, vlan)) continue
        if (kind !== DST_BROADCAST && !vm.promiscuous && vm.multicast !== 'all' && !vm.multicast.has(pool.dst[s])) continue
        out[n++] = vmIdx
      }
      if (srcVm >= 0) out[n++] = -1
    }
    if (n === 0) return w.drop(t, COMP.vswitch, s, hostIdx, -1, REASON.no_destination)
    const parent = pool.rep[s]
    const cost = w.p.vswitch_per_packet_ns
    for (let i = 0; i < n; i++) {
      const c = i === n - 1 ? s : pool.replicate(s)
      if (n > 1 && i === n - 1) pool.renumber(c)
      const dst = out[i]
      // Toward the PF the frame carries its VLAN; toward a VM the port VLAN is stripped.
      const ov = dst >= 0 && w.vms[dst].pvid === vlan ? -1 : vlan
      const inV = pool.vlan[c]
      if (inV < 0 && ov >= 0) pool.len[c] += 4
      else if (inV >= 0 && ov < 0) pool.len[c] -= 4
      pool.vlan[c] = ov
      const start = t > host.hvFree ? t : host.hvFree
      const end = start + cost
      host.hvFree = end
      const vmCol = dst >= 0 ? dst : srcVm
      w.tr.emit(end, EV.vswitch_forward, COMP.vswitch, pool.pkt[c], pool.rep[c], hostIdx, vmCol, MODE.emulated, -1, -1, -1, -1,
        pool.len[c], ov, dst >= 0 ? dst : w.T_PF, -1, -1, cost, SIDE.hypervisor, parent)
      if (dst >= 0) this.emuRx(w.vms[dst], c, end)
      else w.nic.pfTx(end, c, hostIdx)
    }
  }

  private member(vm: Vm, vlan: number): boolean {
    if (vlan < 0) return vm.pvid < 0
    return vm.pvid === vlan || vm.vlans.has(vlan)
  }

  // --- control path --------------------------------------------------------------------------

  /** A scheduled operation: guest control ops trap; mode switches are the hypervisor's own. */
  ctrlTrap(t: number, i: number): void {
    const w = this.w
    const op = w.scenario.operations[i]
    const vm = w.vms.find((v) => v.name === op.vm)!
    if (op.op === 'mode') {
      this.switchMode(vm, t, op.mode)
      return
    }
    if (op.op === 'migrate') return w.mig.start(vm, t, op.to, op.strategy)
    if (op.op === 'suspend') return w.mig.pause(vm, t, -1)
    if (op.op === 'resume') return w.mig.unpause(vm, t, -1)
    const detail = CTRL[op.op as keyof typeof CTRL]
    const exit = w.vmexitNs + w.p.trap_kernel_handler_ns
    this.ctrlEvent(t, EV.ctrl_trap, vm, vm.mode, -1, -1, exit, -1, detail)
    if (!this.allowed(vm, op)) {
      this.ctrlEvent(t + exit, EV.ctrl_reject, vm, vm.mode, REASON.policy_denied, -1, 0, -1, detail)
      return
    }
    // Passthrough: the PF driver programs the eswitch over the VF mailbox [IXVF-MBX]; emulated: the vSwitch at once.
    const delay = vm.mode === MODE.passthrough ? w.p.mailbox_roundtrip_us * 1000 : exit
    w.q.push(t + delay, PRIO_CTRL, K_CTRL_APPLY, i, 0)
  }

  ctrlApply(t: number, i: number): void {
    const w = this.w
    const op = w.scenario.operations[i] as Extract<OperationSpec, {op: 'mac' | 'vlan' | 'multicast' | 'promiscuous'}>
    const vm = w.vms.find((v) => v.name === op.vm)!
    const host = w.hosts[vm.host]
    const esw = host.eswitch
    const pt = vm.mode === MODE.passthrough && !vm.switching
    const port = pt ? vfPort(vm.vf) : -1
    switch (op.op) {
      case 'mac': {
        const old = vm.mac
        if (host.emuByMac.get(old) === vm.idx) {
          host.emuByMac.delete(old)
          esw.removePfMac(old)
          vm.mac = op.mac
          this.attachEmulated(vm, host)
        } else vm.mac = op.mac
        if (pt) esw.setPortMac(port, op.mac)
        w.pswitch.learn(op.mac, vm.host)
        break
      }
      case 'vlan':
        if (pt) esw.setPortVlan(port, op.vlan)
        vm.pvid = op.vlan ?? -1
        break
      case 'multicast':
        vm.multicast = op.groups === 'all' ? 'all' : new Set(op.groups)
        if (pt) this.programMulticast(host, port, vm)
        break
      case 'promiscuous':
        vm.promiscuous = op.on
        if (pt) esw.setPromiscuous(port, op.on)
        break
    }
    w.onConfig(vm, t)
    this.ctrlEvent(t, EV.ctrl_apply, vm, vm.mode, -1, -1, 0, -1, CTRL[op.op])
  }

  private allowed(vm: Vm, op: OperationSpec): boolean {
    const pols = this.w.scenario.policies
    const pol: PolicySpec | undefined = pols.find((p) => p.vm === vm.name) ?? pols.find((p) => p.vm === '*')
    if (!pol) return op.op !== 'promiscuous'
    switch (op.op) {
      case 'mac':
        return pol.allowMacChange
      case 'vlan':
        return pol.allowVlanChange
      case 'multicast':
        return pol.allowMulticast
      case 'promiscuous':
        return pol.allowPromiscuous
      default:
        return true
    }
  }

  /** A control-path event about a VM (no frame). */
  private ctrlEvent(t: number, ev: number, vm: Vm, mode: number, reason: number, plugin: number, cpu: number, aux: number, detail = -1): void {
    const comp = ev === EV.plugin_load || ev === EV.plugin_reject || ev === EV.mode_quiesce ? COMP.shell : COMP.hypervisor
    this.w.tr.emit(t, ev, comp, -1, -1, vm.host, vm.idx, mode, plugin, -1, -1, -1, -1, -1, -1, reason, detail, cpu,
      cpu > 0 ? SIDE.hypervisor : -1, aux)
  }
}

function clampRing(n: unknown): number {
  const v = typeof n === 'number' && Number.isFinite(n) ? Math.round(n) : 512
  return Math.min(MAX_RING, Math.max(MIN_RING, v))
}
