/**
 * Host uplinks and the physical switch. Each host's uplink serializes frames at its line rate with
 * FCS and the 20-byte preamble+SFD+IFG overhead [PM-ETH]; the physical switch learns source MACs per
 * port, forwards known unicast, floods broadcast, multicast and unknown unicast, and has one more port
 * toward everything outside the modelled hosts ("external"). VM MACs are announced at boot (as a
 * hypervisor does with RARP/GARP at power-on and after a migration), so the switch knows them before
 * the first frame. The switch is a trunk: learning is per MAC, not per (MAC, VLAN) — a simplification.
 */
import {COMP, EV, REASON} from '../trace/schema.js'
import {DST_UNICAST} from './frames.js'
import {K_ESWITCH, K_PSWITCH, PRIO_DATA, type World} from './world.js'
import {UPLINK} from './eswitch.js'
import {MacTable} from './mac-table.js'

export class PhysicalSwitch {
  private readonly w: World
  /** Port of the outside world; host i is port i. */
  readonly extPort: number
  /** Learned port by MAC (-1: unknown). */
  private readonly table = new MacTable()
  /** Egress busy-until per port (toward host i, or toward the outside). */
  private readonly egressFree: Float64Array

  constructor(w: World) {
    this.w = w
    this.extPort = w.scenario.hosts.length
    this.egressFree = new Float64Array(this.extPort + 1)
  }

  announceAll(): void {
    for (const vm of this.w.vms) this.table.set(vm.mac, vm.host)
  }

  /** A (gratuitous) announcement: the switch now sends `mac` to host `port`. */
  learn(mac: number, port: number): void {
    this.table.set(mac, port)
  }

  /** A host's eswitch sends a frame up its uplink at `t`. */
  hostTx(t: number, s: number, hostIdx: number): void {
    const w = this.w
    const host = w.hosts[hostIdx]
    const ser = w.serNs(w.pool.len[s], host.linkGbps)
    const start = t > host.upFree ? t : host.upFree
    const end = start + ser
    host.upFree = end
    w.tr.emit(end, EV.wire_tx, COMP.wire, w.pool.pkt[s], w.pool.rep[s], hostIdx, -1, -1, -1, -1, -1, -1, w.pool.len[s], w.pool.vlan[s],
      w.T_UPLINK, -1, -1, 0, -1, ser)
    w.q.push(end, PRIO_DATA, K_PSWITCH, s, hostIdx)
  }

  /** A frame reaches the physical switch on `ingress` at `t`. */
  receive(t: number, s: number, ingress: number): void {
    const w = this.w
    const pool = w.pool
    const src = pool.src[s]
    // Learn the source (unicast sources only; VM MACs stay where they were announced unless a host sends them).
    if (Math.floor(src / 0x10000000000) % 2 === 0) this.table.set(src, ingress)
    const known = pool.kind[s] === DST_UNICAST ? this.table.get(pool.dst[s]) : -1
    if (known >= 0) {
      w.tr.emit(t, EV.phys_forward, COMP.pswitch, pool.pkt[s], pool.rep[s], known < this.extPort ? known : -1, -1, -1, -1, -1, -1, -1,
        pool.len[s], pool.vlan[s], known < this.extPort ? w.T_UPLINK : w.T_EXTERNAL, -1, -1, 0, -1, 0)
      if (known === ingress) {
        // The destination sits on the ingress segment: the switch filters it; for the outside world
        // that means it was delivered out there without crossing the switch.
        if (ingress === this.extPort) this.deliverExternal(t, s)
        else if (w.hosts[ingress].gone.has(pool.dst[s])) w.drop(t, COMP.pswitch, s, ingress, -1, REASON.stale_location)
        else w.drop(t, COMP.pswitch, s, ingress, -1, REASON.no_destination)
        return
      }
      this.egress(t, s, known)
      return
    }
    // Flood to every port but the ingress.
    const ports = this.extPort + 1
    const parent = pool.rep[s]
    let n = ports - 1
    for (let port = 0; port < ports; port++) {
      if (port === ingress) continue
      n--
      const c = n === 0 ? s : pool.replicate(s)
      if (n === 0 && ports > 2) pool.renumber(c)
      w.tr.emit(t, EV.phys_forward, COMP.pswitch, pool.pkt[c], pool.rep[c], port < this.extPort ? port : -1, -1, -1, -1, -1, -1, -1,
        pool.len[c], pool.vlan[c], port < this.extPort ? w.T_UPLINK : w.T_EXTERNAL, -1, -1, 0, -1, parent)
      this.egress(t, c, port)
    }
  }

  /** Out of the switch on `port` after its latency and the egress link's serialization. */
  private egress(t: number, s: number, port: number): void {
    const w = this.w
    const gbps = port < this.extPort ? w.hosts[port].linkGbps : w.p.link_gbps
    const ser = w.serNs(w.pool.len[s], gbps)
    const ready = t + w.p.pswitch_latency_ns
    const start = ready > this.egressFree[port] ? ready : this.egressFree[port]
    const end = start + ser
    this.egressFree[port] = end
    if (port === this.extPort) {
      this.deliverExternal(end, s)
      return
    }
    w.tr.emit(end, EV.wire_rx, COMP.wire, w.pool.pkt[s], w.pool.rep[s], port, -1, -1, -1, -1, -1, -1, w.pool.len[s], w.pool.vlan[s],
      -1, -1, -1, 0, -1, ser)
    w.q.push(end + w.p.eswitch_ns, PRIO_DATA, K_ESWITCH, s, port * 256 + UPLINK)
  }

  private deliverExternal(t: number, s: number): void {
    const w = this.w
    const pool = w.pool
    const lat = t - pool.tin[s]
    w.tr.emit(t, EV.ext_deliver, COMP.external, pool.pkt[s], pool.rep[s], -1, -1, -1, -1, -1, -1, -1, pool.len[s], pool.vlan[s],
      w.T_EXTERNAL, -1, -1, 0, -1, lat)
    w.recordDelivery(-1, lat)
    pool.free(s)
  }
}
