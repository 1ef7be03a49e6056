/**
 * The guest driver's Shell (RFC): talks to the guest stack, owns TX backlog and RX buffer bookkeeping,
 * handles interrupts with a polling budget, and implements the Shell API the plugin drives rings with.
 * One Shell per VM; it serves whichever data path is active (vmxnet3 rings in emulated mode, the VF's
 * rings in passthrough).
 *
 * The guest has one vCPU: shell work starts at max(event time, vCPU free) and `now` advances with the
 * CPU time charged, so a busy guest delays its own TX and RX.
 */
import type {ShellApi} from '../plugins/api.js'
import {COMP, EV, REASON, RING, SIDE} from '../trace/schema.js'
import {DEV_EMULATED, type Datapath} from './datapath.js'
import {K_IRQ, K_POLL, K_PTIMER, PRIO_DATA, PRIO_IRQ, type Vm, type World} from './world.js'
import {NS_ZERO} from '../sim/time.js'

/** Descriptors one frame may need (context + data). The shell only calls xmit when this many are free. */
export const MAX_DESC_PER_FRAME = 2

export class Shell implements ShellApi {
  now = NS_ZERO
  private readonly w: World
  private readonly vm: Vm
  /** CPU charged by the plugin since the last plugin event (goes into that event's cpu_ns). */
  private pendCpu = 0
  /** Frame slot being transmitted (xmit → postTx). */
  private cur = -1
  private curPosted = false
  /** TX backlog (qdisc) while the ring is full or the VM switches mode: a ring of frame slots. */
  private readonly backlog: Int32Array
  private bHead = 0
  private bCount = 0
  private stopped = false
  /** Data path whose hooks are running (a mode switch may change vm.dp meanwhile). */
  private dp!: Datapath

  constructor(w: World, vm: Vm) {
    this.w = w
    this.vm = vm
    this.backlog = new Int32Array(Math.max(1, w.p.shell_tx_backlog))
  }

  // --- entry points from the model -----------------------------------------------------------

  /** The guest stack hands the shell a frame slot to transmit. */
  stackTx(t: number, s: number): void {
    const w = this.w
    const vm = this.vm
    const pool = w.pool
    // The capture shows the frame as it was on the wire; a VM with a port VLAN cannot see VLANs, so it
    // sent the frame untagged and the VF (or vSwitch) inserted the port VLAN [IX-SRIOV]. The tag in the
    // capture is the port VLAN of capture time (it may differ after a scenario VLAN change).
    if (vm.pvid >= 0 && pool.vlan[s] >= 0) {
      pool.vlan[s] = -1
      pool.len[s] -= 4
    }
    this.begin(t, vm.dp)
    const cost = w.guestCost(w.p.guest_tx_ns)
    this.now += cost
    const dp = vm.dp
    w.evVm(this.now, EV.stack_tx, COMP.shell, vm, dp, pool.pkt[s], pool.rep[s], -1, -1, pool.len[s], pool.vlan[s], cost, SIDE.guest,
      this.bCount)
    if (vm.linkDown) w.drop(this.now, COMP.shell, s, vm.host, vm.idx, REASON.link_down) // the bond still sends on the dead VF
    else if (this.bCount > 0 || vm.switching || vm.paused || dp.txFree < MAX_DESC_PER_FRAME) this.enqueue(s)
    else this.xmit(s)
    this.end()
  }

  /** Interrupt vector fired (moderated). `gen` identifies the request; stale ones are ignored. */
  irq(t: number, gen: number): void {
    const dp = this.vm.dp
    if (gen !== dp.irqGen || !dp.irqScheduled) return
    dp.irqScheduled = false
    if (this.vm.paused) {
      this.vm.pollOnResume = true
      return
    }
    dp.lastIrq = t
    const w = this.w
    const vm = this.vm
    const emulated = dp.kind === DEV_EMULATED
    const delay = dp.firstUnsignalled >= 0 ? t - dp.firstUnsignalled : 0
    dp.firstUnsignalled = -1
    w.evVm(t, EV.irq_raise, emulated ? COMP.vmxnet3_emu : COMP.nic, vm, dp, -1, -1, -1, -1, -1, -1, 0, -1, delay)
    let start = t
    if (emulated || !w.p.posted_interrupts) {
      // Virtual interrupt injection: exits on delivery and EOI [ELI]; none with posted interrupts [VTD-PI].
      const cost = w.p.virq_inject_exits * w.vmexitNs
      start = t + cost
      w.evVm(t, EV.virq_inject, COMP.hypervisor, vm, dp, -1, -1, -1, -1, -1, -1, cost, SIDE.hypervisor, -1)
    }
    this.poll(start)
  }

  /** A poll pass (after an interrupt, or a NAPI repoll when the budget ran out). */
  poll(t: number): void {
    const w = this.w
    const vm = this.vm
    const dp = vm.dp
    if (vm.paused) {
      vm.pollOnResume = true
      return
    }
    this.begin(t, dp)
    const start = this.now
    this.now += w.p.shell_irq_ns
    let n = 0
    try {
      n = dp.plugin.poll(0, w.p.poll_budget)
    } catch (err) {
      this.pluginThrew(err)
      this.end()
      return
    }
    w.evVm(start, EV.shell_irq, COMP.shell, vm, dp, -1, -1, -1, -1, -1, -1, w.p.shell_irq_ns + this.takeCpu(), SIDE.guest, n)
    this.drainBacklog()
    this.end()
    this.rearm(dp, n >= w.p.poll_budget)
  }

  /** Plugin timer expiry. */
  timer(t: number, gen: number): void {
    const dp = this.vm.dp
    if (gen !== dp.timerGen) return
    this.begin(t, dp)
    try {
      dp.plugin.timer(0)
    } catch (err) {
      this.pluginThrew(err)
    }
    this.end()
  }

  /**
   * A device wrote back a descriptor at time `wb`: ask for an interrupt, moderated so that two vectors
   * fire at least `itrNs` apart (ITR [IXVF-MAIN]; vmxnet3 IML [L-DRV]).
   */
  requestIrq(dp: Datapath, wb: number, itrNs: number): void {
    if (dp.firstUnsignalled < 0 || wb < dp.firstUnsignalled) dp.firstUnsignalled = wb
    const at = Math.max(wb, dp.lastIrq + itrNs)
    if (dp.irqScheduled && dp.irqAt <= at) return
    dp.irqGen++
    dp.irqScheduled = true
    dp.irqAt = at
    this.w.q.push(at, PRIO_IRQ, K_IRQ, this.vm.idx, dp.irqGen)
  }

  /**
   * Final reap before a data path is left (mode switch): deliver what the device has written back by
   * `t`; a frame still in DMA after `t` is lost (reason mode_switch); TX completions are reaped.
   * Returns the number of posted-but-unused RX buffers reclaimed.
   */
  finalReap(t: number, dp: Datapath): number {
    this.begin(t, dp)
    this.reapTx(0)
    while (dp.rxFilled > 0) {
      const d = dp.rxReapIdx
      if (dp.rxWb[d] <= this.now) this.rxReceive(0)
      else this.w.drop(this.now, COMP.shell, this.takeRx(dp), this.vm.host, this.vm.idx, REASON.mode_switch)
    }
    // TX descriptors the device has not written back yet: the hypervisor drained TX before calling us,
    // so any left are reclaimed without loss of their frames (already handed to the device).
    while (dp.txCount > 0) {
      dp.txSlot[dp.txHead] = -1
      dp.txHead = dp.txHead + 1 === dp.txSize ? 0 : dp.txHead + 1
      dp.txCount--
    }
    const reclaimed = dp.rxAvail
    dp.rxFreeCount += dp.rxAvail
    dp.rxAvail = 0
    dp.rxFillIdx = dp.rxPostIdx = dp.rxReapIdx
    dp.irqScheduled = false
    dp.irqGen++
    dp.timerGen++
    this.end()
    return reclaimed
  }

  /** A device vanished (bonding hot-unplug): every frame in its rings is lost with `reason`. */
  dropAll(t: number, dp: Datapath, reason: number): void {
    this.begin(t, dp)
    while (dp.rxFilled > 0) this.w.drop(this.now, COMP.nic, this.takeRx(dp), this.vm.host, this.vm.idx, reason)
    // TX descriptors the device never fetched (a batching plugin's pending ones) still hold their frames.
    for (let i = 0; i < dp.txCount; i++) {
      const d = (dp.txHead + i) % dp.txSize
      const s = dp.txSlot[d]
      if (s >= 0) {
        dp.txSlot[d] = -1
        this.w.drop(this.now, COMP.nic, s, this.vm.host, this.vm.idx, reason)
      }
    }
    dp.txCount = 0
    dp.txPending = 0
    dp.irqScheduled = false
    dp.irqGen++
    dp.timerGen++
    this.end()
  }

  /** The VM runs again after a pause: a deferred poll, then the TX backlog. */
  unpaused(t: number): void {
    if (this.vm.pollOnResume) {
      this.vm.pollOnResume = false
      this.poll(t)
    } else if (this.vm.dp.rxFilled > 0) this.poll(t)
    this.resume(t)
  }

  /** Post every free RX buffer of a data path (ring set-up). */
  fillRx(t: number, dp: Datapath): void {
    this.begin(t, dp)
    this.refillRx(0, dp.rxFreeCount)
    this.end()
  }

  /**
   * Quiesce the active plugin at `t` (mode switch): descriptors a batching plugin still holds are made
   * visible to the device first, then the plugin's quiesce hook runs (errors there are contained).
   */
  quiesce(t: number): void {
    const dp = this.vm.dp
    this.begin(t, dp)
    if (dp.txPending > 0) this.doorbellTx(0)
    try {
      dp.plugin.quiesce()
    } catch {
      // A plugin failing while it is being removed changes nothing: the shell reclaims its rings.
    }
    this.end()
  }

  /** Resume TX after a mode switch ended. */
  resume(t: number): void {
    this.begin(t, this.vm.dp)
    this.drainBacklog()
    this.end()
  }

  // --- Shell API (called by the plugin) ------------------------------------------------------

  cpu(ns: number): void {
    this.now += ns
    this.pendCpu += ns
  }

  postTx(_q: number, last: boolean): boolean {
    const dp = this.dp
    if (dp.txCount >= dp.txSize) return false
    const pool = this.w.pool
    const s = this.cur
    const d = dp.txTail
    dp.txSlot[d] = last ? s : -1
    dp.txPkt[d] = s >= 0 ? pool.pkt[s] : -1
    dp.txRep[d] = s >= 0 ? pool.rep[s] : -1
    dp.txWb[d] = Infinity
    dp.txTail = d + 1 === dp.txSize ? 0 : d + 1
    dp.txCount++
    dp.txPending++
    if (last) this.curPosted = true
    this.w.evVm(this.now, EV.desc_post, COMP.plugin, this.vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d,
      s >= 0 ? pool.len[s] : -1, s >= 0 ? pool.vlan[s] : -1, this.takeCpu(), SIDE.guest, dp.txCount)
    return true
  }

  txFree(_q: number): number {
    return this.dp.txFree
  }

  txPending(_q: number): number {
    return this.dp.txPending
  }

  doorbellTx(_q: number): void {
    const dp = this.dp
    const n = dp.txPending
    if (n === 0) return
    const w = this.w
    const emulated = dp.kind === DEV_EMULATED
    const cost = emulated ? 0 : w.p.mmio_write_cpu_ns
    this.now += cost
    w.evVm(this.now, EV.doorbell, COMP.plugin, this.vm, dp, -1, -1, RING.tx, dp.txTail, -1, -1, cost + this.takeCpu(), SIDE.guest, n)
    // The write is posted to the VF; in emulation it traps and the vCPU waits for the emulation.
    this.now = emulated ? w.hv.emuTxDoorbell(this.vm, dp, this.now) : w.nic.txDoorbell(this.vm, dp, this.now)
    dp.txPending = 0
  }

  reapTx(_q: number): number {
    const dp = this.dp
    const w = this.w
    let n = 0
    while (dp.txCount > 0 && dp.txWb[dp.txHead] <= this.now) {
      const d = dp.txHead
      dp.txSlot[d] = -1
      dp.txHead = d + 1 === dp.txSize ? 0 : d + 1
      dp.txCount--
      n++
      w.evVm(this.now, EV.desc_complete, COMP.plugin, this.vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d, -1, -1, this.takeCpu(),
        SIDE.guest, dp.txCount)
    }
    return n
  }

  rxPeek(_q: number): number {
    const dp = this.dp
    return dp.rxFilled > 0 && dp.rxWb[dp.rxReapIdx] <= this.now ? dp.rxReapIdx : -1
  }

  rxReceive(_q: number): void {
    const dp = this.dp
    if (dp.rxFilled === 0) return
    const w = this.w
    const vm = this.vm
    const pool = w.pool
    const d = dp.rxReapIdx
    const s = this.takeRx(dp)
    const pkt = pool.pkt[s]
    const rep = pool.rep[s]
    const len = pool.len[s]
    const vlan = pool.vlan[s]
    w.evVm(this.now, EV.desc_complete, COMP.plugin, vm, dp, pkt, rep, RING.rx, d, len, vlan, this.takeCpu(), SIDE.guest, dp.rxFilled)
    const cost = w.guestCost(w.p.guest_rx_ns)
    this.now += cost
    const lat = this.now - pool.tin[s]
    w.evVm(this.now, EV.shell_rx_deliver, COMP.shell, vm, dp, pkt, rep, -1, -1, len, vlan, cost, SIDE.guest, lat)
    w.recordDelivery(vm.mode, lat)
    pool.free(s)
  }

  rxDiscard(_q: number, _reason: 'erratum'): void {
    const dp = this.dp
    if (dp.rxFilled === 0) return
    const d = dp.rxReapIdx
    const s = this.takeRx(dp)
    const pool = this.w.pool
    this.w.evVm(this.now, EV.desc_complete, COMP.plugin, this.vm, dp, pool.pkt[s], pool.rep[s], RING.rx, d, pool.len[s], pool.vlan[s],
      this.takeCpu(), SIDE.guest, dp.rxFilled)
    this.w.drop(this.now, COMP.plugin, s, this.vm.host, this.vm.idx, REASON.erratum)
  }

  rxFree(_q: number): number {
    return this.dp.rxFreeCount
  }

  refillRx(_q: number, n: number): void {
    const dp = this.dp
    if (n > dp.rxFreeCount) n = dp.rxFreeCount
    if (n <= 0) return
    const w = this.w
    const vm = this.vm
    const first = dp.rxPostIdx
    let cpu = this.takeCpu()
    for (let i = 0; i < n; i++) {
      const d = dp.rxPostIdx
      dp.rxPostIdx = d + 1 === dp.rxSize ? 0 : d + 1
      w.evVm(this.now, EV.desc_post, COMP.plugin, vm, dp, -1, -1, RING.rx, d, -1, -1, cpu, SIDE.guest, dp.rxAvail + dp.rxFilled + i + 1)
      cpu = 0
    }
    dp.rxFreeCount -= n
    dp.rxAvail += n
    const emulated = dp.kind === DEV_EMULATED
    const cost = emulated ? 0 : w.p.mmio_write_cpu_ns
    this.now += cost
    w.evVm(this.now, EV.rx_refill, COMP.plugin, vm, dp, -1, -1, RING.rx, dp.rxPostIdx, -1, -1, cost, SIDE.guest, n)
    this.now = emulated ? w.hv.emuRxProd(vm, dp, this.now, first, n) : w.nic.rxPrefetch(vm, dp, this.now, first, n)
  }

  setTimer(_q: number, delayNs: number): void {
    const dp = this.dp
    dp.timerGen++
    this.w.q.push(this.now + Math.max(0, Math.round(delayNs)), PRIO_DATA, K_PTIMER, this.vm.idx, dp.timerGen)
  }

  // --- internals -----------------------------------------------------------------------------

  /** Take the next filled RX descriptor off the ring (the plugin reaped it): returns its frame slot. */
  private takeRx(dp: Datapath): number {
    const d = dp.rxReapIdx
    const s = dp.rxSlot[d]
    dp.rxSlot[d] = -1
    dp.rxReapIdx = d + 1 === dp.rxSize ? 0 : d + 1
    dp.rxFilled--
    dp.rxFreeCount++
    return s
  }

  private begin(t: number, dp: Datapath): void {
    this.now = t > this.vm.cpuFree ? t : this.vm.cpuFree
    this.pendCpu = 0
    this.dp = dp
  }

  private end(): void {
    if (this.now > this.vm.cpuFree) this.vm.cpuFree = this.now
  }

  private takeCpu(): number {
    const c = this.pendCpu
    this.pendCpu = 0
    return c
  }

  private xmit(s: number): void {
    const pool = this.w.pool
    this.cur = s
    this.curPosted = false
    try {
      this.dp.plugin.xmit(0, pool.len[s], pool.vlan[s])
    } catch (err) {
      this.cur = -1
      if (!this.curPosted) this.w.drop(this.now, COMP.plugin, s, this.vm.host, this.vm.idx, REASON.plugin_threw)
      this.pluginThrew(err)
      return
    }
    this.cur = -1
    // A plugin that returns without posting the frame has lost it.
    if (!this.curPosted) this.w.drop(this.now, COMP.plugin, s, this.vm.host, this.vm.idx, REASON.plugin_threw)
  }

  private enqueue(s: number): void {
    const w = this.w
    if (this.bCount >= this.backlog.length) {
      w.drop(this.now, COMP.shell, s, this.vm.host, this.vm.idx, REASON.tx_queue_full)
      return
    }
    this.backlog[(this.bHead + this.bCount) % this.backlog.length] = s
    this.bCount++
    if (!this.stopped) {
      this.stopped = true
      w.evVm(this.now, EV.shell_txq_stop, COMP.shell, this.vm, this.dp, -1, -1, RING.tx, -1, -1, -1, 0, -1, this.bCount)
    }
  }

  private drainBacklog(): void {
    const vm = this.vm
    while (this.bCount > 0 && !vm.switching && !vm.paused && vm.dp === this.dp && this.dp.txFree >= MAX_DESC_PER_FRAME) {
      if (this.stopped) {
        this.stopped = false
        this.w.evVm(this.now, EV.shell_txq_wake, COMP.shell, vm, this.dp, -1, -1, RING.tx, -1, -1, -1, 0, -1, this.dp.txFree)
      }
      const s = this.backlog[this.bHead]
      this.bHead = this.bHead + 1 === this.backlog.length ? 0 : this.bHead + 1
      this.bCount--
      this.xmit(s)
    }
  }

  /** After a poll: repoll if the budget ran out, else re-arm the vector for descriptors still in DMA. */
  private rearm(dp: Datapath, budgetExhausted: boolean): void {
    const w = this.w
    if (dp !== this.vm.dp) return
    if (budgetExhausted && dp.rxFilled > 0 && dp.rxWb[dp.rxReapIdx] <= this.now) {
      w.q.push(this.now, PRIO_IRQ, K_POLL, this.vm.idx, 0)
      return
    }
    const itr = dp.kind === DEV_EMULATED ? w.p.vmxnet3_itr_us * 1000 : w.p.vf_itr_rx_us * 1000
    if (dp.rxFilled > 0) this.requestIrq(dp, dp.rxWb[dp.rxReapIdx], itr)
    else if (dp.txCount > 0 && dp.txWb[dp.txHead] < Infinity)
      this.requestIrq(dp, dp.txWb[dp.txHead], dp.kind === DEV_EMULATED ? itr : w.p.vf_itr_tx_us * 1000)
  }

  private pluginThrew(err: unknown): void {
    this.w.hv.pluginFailed(this.vm, this.now, err)
  }
}
