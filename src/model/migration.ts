/**
 * Live migration of a VM between hosts, in the three designs the RFC weighs, as phases that are trace
 * events (mig_phase_begin / mig_phase_end with `detail` = phase):
 *
 * npa (the RFC): switch_to_emulated (quiesce the plugin, reclaim descriptors, MAC → PF) → precopy rounds
 *   → stop_and_copy (VM paused; frames for it buffered up to a bound, then dropped) → resume on the
 *   destination (buffered frames delivered in order) → announce (until the physical switch relearned the
 *   MAC; frames still sent to the source are lost as stale_location, or forwarded) → switch_to_passthrough
 *   on the destination if its NIC has a free VF, injecting *that NIC's* plugin (a plugin swap when the
 *   NIC differs; licence/API/NIC checks apply; a rejection leaves the VM emulated).
 * bonding (net_failover): unplug (the guest releases the VF after a guest-dependent delay; the VF still
 *   works meanwhile) → failover_detect (the VF is gone, the bond has not noticed: frames to and from the
 *   VM are lost, link_down) → precopy → stop_and_copy → resume → announce → hotadd + failback on the
 *   destination only if the guest has a driver for that NIC (no shell verification: the guest's driver).
 * uniform (vDPA / UPT): uniform_switch (ring indices saved; the VF keeps receiving; nothing reclaimed) →
 *   precopy → stop_and_copy → resume → announce → switch_to_passthrough only if the destination NIC
 *   implements the same ring format (no plugin swap ever; no vendor freedom).
 *
 * Pre-copy: round 0 sends the whole memory; each next round sends what was dirtied during the previous
 * one (dirty rate × duration) at the migration bandwidth; stop-and-copy starts when the rest fits the
 * downtime target or after max rounds [QM]. Parameters: src/model/params.ts (mig_*, bond_*, uniform_*).
 */
import type {MigrationStrategy} from '../scenario/types.js'
import {COMP, DETAIL, EV, MODE, REASON} from '../trace/schema.js'
import {K_MIG_STEP, K_VSWITCH, PRIO_CTRL, PRIO_DATA, type Vm, type World} from './world.js'

const S_UNPLUGGED = 1
const S_FAILED_OVER = 2
const S_ROUND_END = 3
const S_RESUME = 4
const S_ANNOUNCED = 5
const S_HOTADDED = 6

const MIB = 1024 * 1024

interface Migration {
  vm: Vm
  from: number
  to: number
  strategy: MigrationStrategy
  t0: number
  round: number
  /** Bytes of each pre-copy round, then the stop-and-copy remainder (last element). */
  rounds: number[]
  phaseStart: number
  /** Waiting for a mode switch to finish: 'emulated' or 'passthrough'. */
  waitFor: 'emulated' | 'passthrough' | null
  done: boolean
}

export class Migrations {
  private readonly w: World
  private readonly list: Migration[] = []
  /** Per VM: hypervisor buffer of frame slots while paused. */
  private readonly buf = new Map<number, number[]>()

  constructor(w: World) {
    this.w = w
  }

  /** The `migrate` operation: begin migrating `vm` to host `to` (by name). */
  start(vm: Vm, t: number, toName: string, strategy: MigrationStrategy): void {
    const w = this.w
    const to = w.hostByName.get(toName)!
    if (vm.migration >= 0 || vm.switching || to === vm.host) {
      // Already migrating, switching, or already there: refused, visibly.
      this.event(t, EV.ctrl_reject, vm, DETAIL[strategy], REASON.policy_denied, -1)
      return
    }
    const m: Migration = {vm, from: vm.host, to, strategy, t0: t, round: 0, rounds: this.precopyPlan(), phaseStart: t, waitFor: null, done: false}
    const idx = this.list.length
    this.list.push(m)
    vm.migration = idx
    this.event(t, EV.mig_begin, vm, DETAIL[strategy], -1, to)
    if (vm.mode !== MODE.passthrough) return this.startPrecopy(m, t)
    switch (strategy) {
      case 'npa':
        this.phaseBegin(m, t, 'switch_to_emulated')
        m.waitFor = 'emulated'
        w.hv.beginEmulated(vm, t)
        break
      case 'uniform':
        this.phaseBegin(m, t, 'uniform_switch')
        m.waitFor = 'emulated'
        w.hv.beginEmulated(vm, t, {uniform: true})
        break
      case 'bonding':
        this.phaseBegin(m, t, 'unplug')
        w.q.push(t + w.p.bond_unplug_ms * 1e6, PRIO_CTRL, K_MIG_STEP, idx, S_UNPLUGGED)
        break
    }
  }

  /** Called by the hypervisor when a VM's mode switch completed (or was refused). */
  onModeChanged(vm: Vm, t: number): void {
    if (vm.migration < 0) return
    const m = this.list[vm.migration]
    if (m.waitFor === 'emulated' && vm.mode === MODE.emulated) {
      m.waitFor = null
      this.phaseEnd(m, t, m.strategy === 'uniform' ? 'uniform_switch' : 'switch_to_emulated')
      this.startPrecopy(m, t)
    } else if (m.waitFor === 'passthrough') {
      m.waitFor = null
      this.phaseEnd(m, t, m.strategy === 'bonding' ? 'hotadd' : 'switch_to_passthrough')
      this.finish(m, t)
    }
  }

  step(t: number, idx: number, step: number): void {
    const w = this.w
    const m = this.list[idx]
    const vm = m.vm
    switch (step) {
      case S_UNPLUGGED:
        // The guest released the VF: it is gone, but the bond has not detected it yet.
        this.phaseEnd(m, t, 'unplug')
        w.hv.removeVfAbrupt(vm, t)
        vm.linkDown = true
        this.phaseBegin(m, t, 'failover_detect')
        w.q.push(t + w.p.bond_detect_ms * 1e6, PRIO_CTRL, K_MIG_STEP, idx, S_FAILED_OVER)
        break
      case S_FAILED_OVER:
        vm.linkDown = false
        this.phaseEnd(m, t, 'failover_detect')
        vm.shell.resume(t)
        this.startPrecopy(m, t)
        break
      case S_ROUND_END: {
        this.phaseEnd(m, t, 'precopy', m.rounds[m.round])
        m.round++
        if (m.round < m.rounds.length - 1) this.startRound(m, t)
        else {
          // Stop-and-copy: the rest of the dirty memory plus device state, VM paused.
          this.phaseBegin(m, t, 'stop_and_copy')
          this.pause(vm, t, idx)
          const bytes = m.rounds[m.rounds.length - 1] + w.p.mig_device_state_kib * 1024
          w.q.push(t + this.sendNs(bytes), PRIO_CTRL, K_MIG_STEP, idx, S_RESUME)
        }
        break
      }
      case S_RESUME:
        this.phaseEnd(m, t, 'stop_and_copy')
        this.phaseBegin(m, t, 'resume')
        w.hv.moveVm(vm, m.to, t)
        this.unpause(vm, t, idx)
        this.phaseEnd(m, t, 'resume')
        this.phaseBegin(m, t, 'announce')
        w.q.push(t + w.p.mig_announce_ms * 1e6, PRIO_CTRL, K_MIG_STEP, idx, S_ANNOUNCED)
        break
      case S_ANNOUNCED:
        w.pswitch.learn(vm.mac, m.to)
        this.phaseEnd(m, t, 'announce')
        this.backToPassthrough(m, t)
        break
      case S_HOTADDED:
        // Hot-added VF is up in the guest: the bond fails back to it (the guest's own driver, no shell checks).
        if (!w.hv.beginPassthrough(vm, t, true, {verify: false})) {
          this.phaseEnd(m, t, 'hotadd')
          this.finish(m, t)
        }
        break
    }
  }

  /** Frames for a paused VM: held by the hypervisor up to a bound, then dropped. */
  buffer(vm: Vm, s: number, t: number): void {
    const w = this.w
    const q = this.buf.get(vm.idx) ?? []
    this.buf.set(vm.idx, q)
    if (q.length >= w.p.mig_buffer_frames) {
      w.drop(t, COMP.hypervisor, s, vm.host, vm.idx, REASON.vm_paused)
      return
    }
    q.push(s)
    const pool = w.pool
    w.tr.emit(t, EV.mig_buffer, COMP.hypervisor, pool.pkt[s], pool.rep[s], vm.host, vm.idx, vm.mode, vm.dp.pluginCode, -1, -1, -1, pool.len[s],
      pool.vlan[s], -1, -1, -1, 0, -1, q.length)
  }

  /** A frame reached a host its destination VM has left. */
  stale(s: number, hostIdx: number, t: number): void {
    const w = this.w
    const vmIdx = w.vmByMac.get(w.pool.dst[s])
    if (w.p.mig_forward_stale && vmIdx >= 0) {
      // The source hypervisor forwards it to the destination's vSwitch.
      w.q.push(t + w.p.mig_forward_us * 1000, PRIO_DATA, K_VSWITCH, s, w.vms[vmIdx].host * 65536)
      return
    }
    w.drop(t, COMP.vswitch, s, hostIdx, vmIdx, REASON.stale_location)
  }

  /** Pause a VM (stop-and-copy, or the `suspend` operation). */
  pause(vm: Vm, t: number, _mig: number): void {
    if (vm.paused) return
    vm.paused = true
    this.event(t, EV.vm_pause, vm, -1, -1, -1)
  }

  /** Let a paused VM run again: buffered frames go into its rings in arrival order. */
  unpause(vm: Vm, t: number, _mig: number): void {
    if (!vm.paused) return
    vm.paused = false
    const q = this.buf.get(vm.idx) ?? []
    this.buf.delete(vm.idx)
    this.event(t, EV.vm_resume, vm, -1, -1, q.length)
    for (const s of q) this.w.hv.emuRx(vm, s, t)
    vm.shell.unpaused(t)
  }

  // --- internals -----------------------------------------------------------------------------

  /** Bytes per pre-copy round and, last, the stop-and-copy remainder. */
  private precopyPlan(): number[] {
    const p = this.w.p
    const bw = p.mig_bandwidth_mibps * MIB
    const dirty = p.mig_dirty_mibps * MIB
    const target = (p.mig_downtime_target_ms / 1000) * bw
    const rounds: number[] = []
    let bytes = p.mig_memory_mib * MIB
    for (let i = 0; i < p.mig_max_rounds; i++) {
      rounds.push(bytes)
      const next = Math.min(p.mig_memory_mib * MIB, dirty * (bytes / bw))
      bytes = next
      if (bytes <= target) break
    }
    rounds.push(bytes)
    return rounds
  }

  private sendNs(bytes: number): number {
    return Math.round((bytes / (this.w.p.mig_bandwidth_mibps * MIB)) * 1e9)
  }

  private startPrecopy(m: Migration, t: number): void {
    m.round = 0
    this.startRound(m, t)
  }

  private startRound(m: Migration, t: number): void {
    this.phaseBegin(m, t, 'precopy')
    this.w.q.push(t + this.sendNs(m.rounds[m.round]), PRIO_CTRL, K_MIG_STEP, m.vm.migration, S_ROUND_END)
  }

  /** On the destination: back to passthrough if the strategy and the NIC allow it. */
  private backToPassthrough(m: Migration, t: number): void {
    const w = this.w
    const vm = m.vm
    const src = w.hosts[m.from].nic
    const dst = w.hosts[m.to].nic
    const wantsPt = vm.spec.mode === 'passthrough'
    if (!wantsPt || dst.name === 'none') return this.finish(m, t)
    if (m.strategy === 'npa') {
      // The destination NIC's plugin: the VM's own choice if the NIC is the same, else that NIC's default.
      if (dst.name !== src.name) vm.pluginRef = null
      this.phaseBegin(m, t, 'switch_to_passthrough')
      m.waitFor = 'passthrough'
      if (!w.hv.beginPassthrough(vm, t, false)) {
        m.waitFor = null
        this.phaseEnd(m, t, 'switch_to_passthrough')
        this.finish(m, t)
      }
    } else if (m.strategy === 'uniform') {
      // Same ring format needed on the destination; the plugin never changes.
      if (!dst.uniformRings) return this.finish(m, t)
      this.phaseBegin(m, t, 'switch_to_passthrough')
      m.waitFor = 'passthrough'
      if (!w.hv.beginPassthrough(vm, t, false, {delayNs: w.p.uniform_switch_us * 1000, verify: false})) {
        m.waitFor = null
        this.phaseEnd(m, t, 'switch_to_passthrough')
        this.finish(m, t)
      }
    } else {
      // Bonding: only if the guest carries a driver for the destination NIC (the RFC's third objection).
      const drivers = vm.spec.guestDrivers ?? [src.name]
      if (!drivers.includes(dst.name)) return this.finish(m, t)
      if (dst.name !== src.name) vm.pluginRef = null
      this.phaseBegin(m, t, 'hotadd')
      m.waitFor = 'passthrough'
      w.q.push(t + (w.p.bond_hotadd_ms + w.p.failover_takeover_ms) * 1e6, PRIO_CTRL, K_MIG_STEP, vm.migration, S_HOTADDED)
    }
  }

  private finish(m: Migration, t: number): void {
    if (m.done) return
    m.done = true
    this.event(t, EV.mig_end, m.vm, DETAIL[m.strategy], -1, t - m.t0)
    m.vm.migration = -1
  }

  private phaseBegin(m: Migration, t: number, phase: keyof typeof DETAIL): void {
    m.phaseStart = t
    this.event(t, EV.mig_phase_begin, m.vm, DETAIL[phase], -1, -1)
  }

  private phaseEnd(m: Migration, t: number, phase: keyof typeof DETAIL, aux?: number): void {
    this.event(t, EV.mig_phase_end, m.vm, DETAIL[phase], -1, aux ?? t - m.phaseStart)
  }

  private event(t: number, ev: number, vm: Vm, detail: number, reason: number, aux: number): void {
    this.w.tr.emit(t, ev, COMP.hypervisor, -1, -1, vm.host, vm.idx, vm.mode, vm.dp.pluginCode, -1, -1, -1, -1, -1, -1, reason, detail, 0, -1, aux)
  }
}
