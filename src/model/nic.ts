/**
 * The SR-IOV NIC's data path: VF TX/RX engines with DMA timing, the PF's queues toward the vSwitch, and
 * the embedded switch stage. Timing per packet follows the 82599 PCIe model [PM]: TX = tail write,
 * descriptor read (prefetched in bursts), data read, write-back (batched); RX = descriptors prefetched when
 * posted, data write, write-back per packet, then an MSI-X vector under ITR moderation.
 */
import {COMP, EV, REASON, RING, SIDE} from '../trace/schema.js'
import type {Datapath} from './datapath.js'
import {ESW_REASON, PF, UPLINK} from './eswitch.js'
import {DST_BROADCAST, DST_UNICAST} from './frames.js'
import {K_ESWITCH, K_VSWITCH, PRIO_DATA, type Vm, type World} from './world.js'

/** eswitch drop reasons → trace reasons */
const ESW_TO_REASON: number[] = []
ESW_TO_REASON[ESW_REASON.anti_spoof_mac] = REASON.anti_spoof_mac
ESW_TO_REASON[ESW_REASON.anti_spoof_vlan] = REASON.anti_spoof_vlan
ESW_TO_REASON[ESW_REASON.vlan_filter] = REASON.vlan_filter
ESW_TO_REASON[ESW_REASON.no_destination] = REASON.no_destination
ESW_TO_REASON[ESW_REASON.rx_disabled] = REASON.rx_disabled

export class Nic {
  private readonly w: World
  private faultUnicast = 0
  private faultBroadcast = 0

  constructor(w: World) {
    this.w = w
  }

  /**
   * The VF's TX tail register was written at `t`: fetch the newly visible descriptors (bursts of
   * txPrefetch), DMA each frame, write back in batches of txWbBatch, and send each frame to the eswitch.
   * Returns when the guest may continue (posted write: immediately).
   */
  txDoorbell(vm: Vm, dp: Datapath, t: number): number {
    const w = this.w
    const p = w.p
    const host = w.hosts[vm.host]
    const nic = host.nic
    const pool = w.pool
    const n = dp.txPending
    let d0 = (dp.txTail - n + dp.txSize) % dp.txSize
    let eng = t > dp.devTxFree ? t : dp.devTxFree
    const srcPortCode = vm.host * 256 + dp.vf + 2
    let lastWb = 0
    for (let done = 0; done < n; ) {
      // one descriptor fetch burst
      const burst = Math.min(nic.txPrefetch, n - done)
      eng += w.dmaReadNs(nic.descBytes * burst)
      // process the burst in write-back groups
      for (let g = 0; g < burst; ) {
        const gn = Math.min(nic.txWbBatch, burst - g)
        const size = dp.txSize
        const groupStart = d0 + g < size ? d0 + g : d0 + g - size
        for (let i = 0, d = groupStart; i < gn; i++, d = d + 1 === size ? 0 : d + 1) {
          w.evVm(eng, EV.desc_fetch, COMP.nic, vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d, -1, -1, 0, -1, -1)
          const s = dp.txSlot[d]
          if (s >= 0) {
            const dma = w.dmaReadNs(pool.len[s])
            eng += dma
            w.evVm(eng, EV.desc_process, COMP.nic, vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d, pool.len[s], pool.vlan[s], 0, -1, dma)
            w.q.push(eng + p.eswitch_ns, PRIO_DATA, K_ESWITCH, s, srcPortCode)
            dp.txSlot[d] = -1
          } else {
            w.evVm(eng, EV.desc_process, COMP.nic, vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d, -1, -1, 0, -1, 0)
          }
        }
        const wb = eng + p.dma_write_ns
        for (let i = 0, d = groupStart; i < gn; i++, d = d + 1 === size ? 0 : d + 1) {
          dp.txWb[d] = wb
          w.evVm(wb, EV.desc_writeback, COMP.nic, vm, dp, dp.txPkt[d], dp.txRep[d], RING.tx, d, -1, -1, 0, -1, -1)
        }
        lastWb = wb
        g += gn
      }
      d0 = (d0 + burst) % dp.txSize
      done += burst
    }
    dp.devTxFree = eng
    if (n > 0) vm.shell.requestIrq(dp, lastWb, p.vf_itr_tx_us * 1000)
    return t
  }

  /** The VF's RX tail register was written: the NIC prefetches the new descriptors in one burst. */
  rxPrefetch(vm: Vm, dp: Datapath, t: number, first: number, n: number): number {
    const w = this.w
    const at = t + w.dmaReadNs(w.hosts[vm.host].nic.descBytes * n)
    for (let i = 0; i < n; i++) {
      const d = (first + i) % dp.rxSize
      w.evVm(at, EV.desc_fetch, COMP.nic, vm, dp, -1, -1, RING.rx, d, -1, -1, 0, -1, -1)
    }
    return t
  }

  /** A frame replica for a VF's RX queue at `t`: a free descriptor or a drop (drop enable [IX-SRIOV]). */
  rxFill(vm: Vm, dp: Datapath, s: number, t: number): void {
    const w = this.w
    const p = w.p
    const pool = w.pool
    if (dp.rxAvail === 0) {
      w.drop(t, COMP.nic, s, vm.host, vm.idx, REASON.rx_ring_full)
      return
    }
    const d = dp.rxFillIdx
    dp.rxFillIdx = d + 1 === dp.rxSize ? 0 : d + 1
    dp.rxAvail--
    dp.rxFilled++
    dp.rxSlot[d] = s
    const start = t > dp.devRxFree ? t : dp.devRxFree
    // Posted writes: latency plus the bytes at the PCIe write rate (assumed equal to the read slope [PD]).
    const dma = Math.round(p.dma_write_ns + p.dma_read_per_byte_ns * pool.len[s])
    const done = start + dma
    dp.devRxFree = done
    const wb = done + p.dma_write_ns
    dp.rxWb[d] = wb
    const pkt = pool.pkt[s]
    const rep = pool.rep[s]
    w.evVm(done, EV.desc_process, COMP.nic, vm, dp, pkt, rep, RING.rx, d, pool.len[s], pool.vlan[s], 0, -1, dma)
    w.evVm(wb, EV.desc_writeback, COMP.nic, vm, dp, pkt, rep, RING.rx, d, pool.len[s], pool.vlan[s], 0, -1, -1)
    vm.shell.requestIrq(dp, wb, p.vf_itr_rx_us * 1000)
  }

  /**
   * Test-only fault injection (params fault_*): rewrite the destination set the eswitch computed, so the
   * analysis library's oracle has something to catch. Returns the new destination count.
   */
  private injectFault(vfOwner: Int32Array, srcPort: number, kind: number, n: number, vlan: number): number {
    const w = this.w
    const out = w.outPorts
    const p = w.p
    // another allocated VF than `port` and the source
    const other = (port: number): number => {
      for (let k = 1; k <= vfOwner.length; k++) {
        const vf = (port - 2 + k) % vfOwner.length
        if (vfOwner[vf] >= 0 && vf + 2 !== port && vf + 2 !== srcPort) return vf + 2
      }
      return -1
    }
    if (p.fault_misdeliver_every > 0 && kind === DST_UNICAST && n === 1 && out[0] >= 2) {
      if (++this.faultUnicast % p.fault_misdeliver_every === 0) {
        const alt = other(out[0])
        if (alt >= 0) out[0] = alt
      }
    }
    if (p.fault_vlan_leak_every > 0 && kind === DST_BROADCAST && vlan >= 0) {
      if (++this.faultBroadcast % p.fault_vlan_leak_every === 0) {
        for (let vf = 0; vf < vfOwner.length; vf++) {
          const vm = vfOwner[vf] >= 0 ? w.vms[vfOwner[vf]] : null
          if (!vm || vf + 2 === srcPort || vm.pvid === vlan || vm.vlans.has(vlan)) continue
          out[n] = vf + 2
          w.outVlan[n] = vm.pvid >= 0 ? -1 : vlan
          n++
          break
        }
      }
    }
    return n
  }

  /** The vSwitch hands a frame to the PF's TX queue: DMA read, then the eswitch. */
  pfTx(t: number, s: number, host: number): void {
    const w = this.w
    w.q.push(t + w.dmaReadNs(w.pool.len[s]) + w.p.eswitch_ns, PRIO_DATA, K_ESWITCH, s, host * 256 + PF)
  }

  /** A frame reaches the embedded switch of `host` from `srcPort` at `t`. */
  eswitchIn(t: number, s: number, hostIdx: number, srcPort: number): void {
    const w = this.w
    const pool = w.pool
    const host = w.hosts[hostIdx]
    const out = w.outPorts
    const outVlan = w.outVlan
    const inVlan = pool.vlan[s]
    let n = host.eswitch.forward(srcPort, pool.dst[s], pool.src[s], inVlan, out, outVlan)
    const srcVm = srcPort >= 2 ? host.vfOwner[srcPort - 2] : -1
    w.tr.emit(t, EV.eswitch_lookup, COMP.eswitch, pool.pkt[s], pool.rep[s], hostIdx, srcVm, -1, -1, -1, -1, -1, pool.len[s], inVlan,
      -1, -1, -1, w.p.eswitch_ns, SIDE.nic, n)
    if (n === 0) {
      w.drop(t, COMP.eswitch, s, hostIdx, srcVm, ESW_TO_REASON[host.eswitch.dropReason] ?? REASON.no_destination)
      return
    }
    const p = w.p
    if (p.fault_misdeliver_every > 0 || p.fault_vlan_leak_every > 0) n = this.injectFault(host.vfOwner, srcPort, pool.kind[s], n, inVlan)
    const parentRep = pool.rep[s]
    for (let i = 0; i < n; i++) {
      const c = i === n - 1 ? s : pool.replicate(s)
      if (n > 1 && i === n - 1) pool.renumber(c)
      const ov = outVlan[i]
      if (inVlan < 0 && ov >= 0) pool.len[c] += 4
      else if (inVlan >= 0 && ov < 0) pool.len[c] -= 4
      pool.vlan[c] = ov
      const port = out[i]
      let target: number
      let ownerVm = -1
      if (port === UPLINK) target = w.T_UPLINK
      else if (port === PF) target = w.T_PF
      else {
        ownerVm = host.vfOwner[port - 2]
        target = ownerVm >= 0 ? ownerVm : w.T_PF
      }
      w.tr.emit(t, EV.eswitch_forward, COMP.eswitch, pool.pkt[c], pool.rep[c], hostIdx, ownerVm, -1, -1, -1, -1, -1, pool.len[c], ov,
        target, -1, -1, 0, -1, parentRep)
      if (port === UPLINK) w.pswitch.hostTx(t, c, hostIdx)
      else if (port === PF) w.q.push(t + w.p.dma_write_ns + w.p.pf_rx_latency_ns, PRIO_DATA, K_VSWITCH, c, hostIdx * 65536)
      else if (ownerVm < 0) w.drop(t, COMP.eswitch, c, hostIdx, -1, REASON.rx_disabled)
      else {
        const vm = w.vms[ownerVm]
        const dp = vm.dp
        if (vm.switching || dp.vf !== port - 2) w.drop(t, COMP.nic, c, hostIdx, ownerVm, REASON.mode_switch)
        else this.rxFill(vm, dp, c, t)
      }
    }
  }
}
