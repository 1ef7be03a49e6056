/**
 * Trace writer throughput: fills N rows of the 20-column events table the way the model does (one
 * write per column per event, plausible values: ~10 events per frame, 8 VMs, many nulls) and writes
 * them with TableWriter to rolled Arrow files. Prints rows/s (fill + encode + write), bytes/row and
 * peak RSS, which must stay flat because the batch arrays are reused. Target (H3 brief): ≥ 5M rows/s.
 *
 *   node --import tsx bench/trace.bench.ts [rows=10000000] [--dir d] [--keep] [--mode arena|shared|row]
 *
 * --mode: arena (default) is the replay's path: a batch filled in a ColumnArena slot and written with
 * writeBatchFrom, the writer's buffers in the same arena, so validity and int64 run in the WebAssembly
 * SIMD kernels (src/trace/simd.ts); shared is the same slot in plain shared memory (the JavaScript
 * kernels); row is the writer's own arrays filled through row() (the frames and config writers).
 *
 * --dir /dev/shm/x separates the CPU cost from the disk: on a slow or busy disk the kernel throttles
 * writers once dirty pages pile up, and 10M rows are ~650 MB.
 */
import {mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {COMP, EVENT_COLUMNS, EV, MODE, REASON, RING, SIDE} from '../src/trace/schema.js'
import {ColumnArena} from '../src/trace/simd.js'
import {allocColumnArrays, arenaBytes, TableWriter, type ColumnArray} from '../src/trace/writer.js'

const rows = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a) && process.argv[i - 1] !== '--dir') ?? 10_000_000)
const keep = process.argv.includes('--keep')
const dirArg = process.argv.indexOf('--dir')
const dir = dirArg > 0 ? process.argv[dirArg + 1] : join('bench', 'out', 'trace-bench')
rmSync(dir, {recursive: true, force: true})
mkdirSync(dir, {recursive: true})

const modeArg = process.argv.indexOf('--mode')
const mode = modeArg > 0 ? process.argv[modeArg + 1] : 'arena'
if (!['arena', 'shared', 'row'].includes(mode)) throw new Error(`--mode ${mode}: arena, shared or row`)
const vms = ['vm0', 'vm1', 'vm2', 'vm3', 'vm4', 'vm5', 'vm6', 'vm7']
const dictionaries = {host: ['host0', 'host1'], vm: vms, plugin: ['vmxnet3@1.0.0', 'ixgbevf@1.0.0', 'ixgbevf@1.1.0'], target: [...vms, 'pf', 'uplink', 'external']}
const BATCH = 65536
const arena = mode === 'arena' ? ColumnArena.create(64 * BATCH + arenaBytes(EVENT_COLUMNS, BATCH)) : null
if (mode === 'arena' && !arena) throw new Error('no WebAssembly SIMD here: use --mode shared')
const w = new TableWriter(join(dir, 'events'), EVENT_COLUMNS, {
  dictionaries, metadata: {'npa_trace.run_id': 'bench'}, batchRows: BATCH,
  arena: arena ? ColumnArena.from(arena.reserve(arenaBytes(EVENT_COLUMNS, BATCH))) : undefined,
})

/** What fill() writes rows into: the writer itself (row mode) or a slot written with writeBatchFrom. */
interface Rows {
  row(): number
  readonly cols: Record<string, ColumnArray>
  finish(): void
}
class Slot implements Rows {
  readonly cols = allocColumnArrays(EVENT_COLUMNS, dictionaries, BATCH, arena ?? true)
  private n = 0
  row(): number {
    if (this.n === BATCH) this.finish()
    return this.n++
  }
  finish(): void {
    if (this.n > 0) w.writeBatchFrom(this.cols, this.n)
    this.n = 0
  }
}
const sink: Rows = mode === 'row' ? {row: () => w.row(), cols: w.cols, finish: () => {}} : new Slot()
// One frame's RX path to a passthrough VM, as event codes; the bench cycles through it.
const path = [EV.frame_in, EV.wire_rx, EV.eswitch_lookup, EV.eswitch_forward, EV.desc_fetch, EV.desc_process, EV.desc_writeback, EV.irq_raise, EV.shell_irq, EV.desc_complete, EV.shell_rx_deliver]
const comps = [COMP.capture, COMP.wire, COMP.eswitch, COMP.eswitch, COMP.nic, COMP.nic, COMP.nic, COMP.nic, COMP.shell, COMP.plugin, COMP.shell]

/** The producer, as the model's tracer does it (a function, so its locals live in registers, not the module context). */
function fill(w: Rows, rows: number): void {
  const c = w.cols
  const tNs = c.t_ns, event = c.event, component = c.component, packetId = c.packet_id, replica = c.replica
  const host = c.host, vm = c.vm, mode = c.mode, plugin = c.plugin, queue = c.queue, ring = c.ring, desc = c.desc_idx
  const len = c.len, vlan = c.vlan, target = c.target, reason = c.reason, detail = c.detail, cpu = c.cpu_ns, side = c.side, aux = c.aux
  let t = 0
  let pkt = 0
  let k = 0
  for (let i = 0; i < rows; i++) {
    const r = w.row()
    const e = path[k]
    t += 37 + (i & 63)
    tNs[r] = t
    event[r] = e
    component[r] = comps[k]
    packetId[r] = pkt
    replica[r] = k < 3 ? 0 : 1
    host[r] = pkt & 1
    const v = pkt & 7
    vm[r] = k < 3 ? -1 : v
    mode[r] = k < 3 ? -1 : MODE.passthrough
    plugin[r] = k < 4 ? -1 : 1 + (v & 1)
    queue[r] = k >= 4 && k <= 9 ? 0 : -1
    ring[r] = k >= 4 && k <= 9 ? RING.rx : -1
    desc[r] = k >= 4 && k <= 9 ? pkt & 511 : -1
    len[r] = 64 + ((pkt * 97) % 1455)
    vlan[r] = pkt % 3 === 0 ? 100 + (pkt & 3) : -1
    target[r] = e === EV.eswitch_forward ? v : -1
    reason[r] = pkt % 1000 === 999 && k === 10 ? REASON.rx_ring_full : -1
    detail[r] = -1
    cpu[r] = k >= 8 ? 150 + (i & 127) : 0
    side[r] = k >= 8 ? SIDE.guest : k >= 4 ? SIDE.nic : -1
    aux[r] = e === EV.shell_rx_deliver ? 20_000 + (i & 4095) : -1
    if (++k === path.length) (k = 0), pkt++
  }
}

const cpu0 = process.cpuUsage()
const t0 = performance.now()
fill(sink, rows)
sink.finish()
const res = w.close()
const secs = (performance.now() - t0) / 1000
const cpuUse = process.cpuUsage(cpu0)
const cpuSecs = (cpuUse.user + cpuUse.system) / 1e6
console.log(`TableWriter, events table (${EVENT_COLUMNS.length} columns), ${rows.toLocaleString('en')} rows, batch ${w.batchRows}, mode ${mode}, into ${dir}, node ${process.version}`)
console.log(`  ${(rows / secs / 1e6).toFixed(2)}M rows/s wall (${secs.toFixed(2)} s fill + encode + write)`)
// CPU time is the fairer figure on a shared machine: other processes stretch wall time, not CPU time.
console.log(`  ${(rows / cpuSecs / 1e6).toFixed(2)}M rows per CPU-second (${cpuSecs.toFixed(2)} s CPU: user ${(cpuUse.user / 1e6).toFixed(2)}, system ${(cpuUse.system / 1e6).toFixed(2)})`)
console.log(`  ${(res.bytes / rows).toFixed(1)} bytes/row, ${(res.bytes / 1e6).toFixed(0)} MB in ${res.files.length} file(s)`)
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
if (!keep) rmSync(dir, {recursive: true, force: true})
