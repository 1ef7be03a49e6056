/**
 * Trace path throughput: emits N rows of the 20-column events table through the model's tracer (one
 * emit per event, plausible values: ~10 events per frame, 8 VMs, many nulls) and writes them with
 * TableWriter to rolled Arrow files. Prints rows/s (emit + encode + write), bytes/row and peak RSS, which
 * must stay flat because the batch arrays are reused. Target (H3 brief): ≥ 5M rows/s.
 *
 *   node --import tsx bench/trace.bench.ts [rows=10000000] [--dir d] [--keep] [--mode slots|row]
 *
 * --mode slots (default) is the replay's path on one thread: PackedTracer into the event slots (13 stores
 * per event), EventSlotsDrain unpacking and counting each batch and the writer encoding it, with the
 * WebAssembly SIMD kernels (src/trace/simd.ts) where they run. In the replay the drain and the writer are
 * on the I/O thread. --mode row is CountingTracer into a TableWriter's own arrays (20 stores per event,
 * the JavaScript kernels), as a writer on the model's thread would be.
 *
 * --dir /dev/shm/x separates the CPU cost from the disk: on a slow or busy disk the kernel throttles
 * writers once dirty pages pile up, and 10M rows are ~500 MB.
 */
import {mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {CountingTracer, PackedTracer, type Tracer} from '../src/model/tracer.js'
import {EventSlots, EventSlotsDrain} from '../src/trace/event-slots.js'
import {COMP, EVENT_COLUMNS, EV, MODE, REASON, RING, SIDE} from '../src/trace/schema.js'
import {ColumnArena} from '../src/trace/simd.js'
import {TableWriter} from '../src/trace/writer.js'

const rows = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a) && process.argv[i - 1] !== '--dir') ?? 10_000_000)
const keep = process.argv.includes('--keep')
const dirArg = process.argv.indexOf('--dir')
const dir = dirArg > 0 ? process.argv[dirArg + 1] : join('bench', 'out', 'trace-bench')
rmSync(dir, {recursive: true, force: true})
mkdirSync(dir, {recursive: true})

const modeArg = process.argv.indexOf('--mode')
const mode = modeArg > 0 ? process.argv[modeArg + 1] : 'slots'
if (mode !== 'slots' && mode !== 'row') throw new Error(`--mode ${mode}: slots or row`)
const vms = ['vm0', 'vm1', 'vm2', 'vm3', 'vm4', 'vm5', 'vm6', 'vm7']
const dictionaries = {host: ['host0', 'host1'], vm: vms, plugin: ['vmxnet3@1.0.0', 'ixgbevf@1.0.0', 'ixgbevf@1.1.0'], target: [...vms, 'pf', 'uplink', 'external']}
const options = {dictionaries, metadata: {'npa_trace.run_id': 'bench'}, table: 'events'}
const target = join(dir, 'events')

let w: TableWriter
let tr: Tracer
let finish = () => {}
let kernels = 'JavaScript'
if (mode === 'slots') {
  // The drain runs when the tracer hands a slot over (wake), so one thread plays both sides.
  let drain: EventSlotsDrain | null = null
  const slots = new EventSlots(target, EVENT_COLUMNS, options, () => drain?.drain((cols, n) => w.writeBatchFrom(cols, n)), () => {})
  const arena = slots.shared.arena ? ColumnArena.from(slots.shared.arena) : null
  if (arena) kernels = 'WebAssembly SIMD'
  drain = new EventSlotsDrain(slots.shared, arena)
  w = new TableWriter(target, EVENT_COLUMNS, {...slots.shared.options, arena: arena ?? undefined})
  tr = new PackedTracer(slots)
  finish = () => slots.finish()
} else {
  w = new TableWriter(target, EVENT_COLUMNS, options)
  const writer = w
  tr = new CountingTracer({row: () => writer.row(), cols: writer.cols, get rowCount() {
    return writer.rows
  }}, EV.drop)
}

// One frame's RX path to a passthrough VM, as event codes; the bench cycles through it.
const path = [EV.frame_in, EV.wire_rx, EV.eswitch_lookup, EV.eswitch_forward, EV.desc_fetch, EV.desc_process, EV.desc_writeback, EV.irq_raise, EV.shell_irq, EV.desc_complete, EV.shell_rx_deliver]
const comps = [COMP.capture, COMP.wire, COMP.eswitch, COMP.eswitch, COMP.nic, COMP.nic, COMP.nic, COMP.nic, COMP.shell, COMP.plugin, COMP.shell]

/** The producer: one emit per event, as the model calls it. */
function fill(tr: Tracer, rows: number): void {
  let t = 0
  let pkt = 0
  let k = 0
  for (let i = 0; i < rows; i++) {
    const e = path[k]
    t += 37 + (i & 63)
    const v = pkt & 7
    const onRing = k >= 4 && k <= 9
    tr.emit(t, e, comps[k], pkt, k < 3 ? 0 : 1, pkt & 1, k < 3 ? -1 : v, k < 3 ? -1 : MODE.passthrough, k < 4 ? -1 : 1 + (v & 1),
      onRing ? 0 : -1, onRing ? RING.rx : -1, onRing ? pkt & 511 : -1, 64 + ((pkt * 97) % 1455), pkt % 3 === 0 ? 100 + (pkt & 3) : -1,
      e === EV.eswitch_forward ? v : -1, pkt % 1000 === 999 && k === 10 ? REASON.rx_ring_full : -1, -1,
      k >= 8 ? 150 + (i & 127) : 0, k >= 8 ? SIDE.guest : k >= 4 ? SIDE.nic : -1, e === EV.shell_rx_deliver ? 20_000 + (i & 4095) : -1)
    if (++k === path.length) (k = 0), pkt++
  }
}

const cpu0 = process.cpuUsage()
const t0 = performance.now()
fill(tr, rows)
finish()
const res = w.close()
const secs = (performance.now() - t0) / 1000
const cpuUse = process.cpuUsage(cpu0)
const cpuSecs = (cpuUse.user + cpuUse.system) / 1e6
console.log(`Trace path, events table (${EVENT_COLUMNS.length} columns), ${rows.toLocaleString('en')} rows, batch ${w.batchRows}, mode ${mode} (${kernels} kernels), into ${dir}, node ${process.version}`)
console.log(`  ${(rows / secs / 1e6).toFixed(2)}M rows/s wall (${secs.toFixed(2)} s emit + encode + write)`)
// CPU time is the fairer figure on a shared machine: other processes stretch wall time, not CPU time.
console.log(`  ${(rows / cpuSecs / 1e6).toFixed(2)}M rows per CPU-second (${cpuSecs.toFixed(2)} s CPU: user ${(cpuUse.user / 1e6).toFixed(2)}, system ${(cpuUse.system / 1e6).toFixed(2)})`)
console.log(`  ${(res.bytes / rows).toFixed(1)} bytes/row, ${(res.bytes / 1e6).toFixed(0)} MB in ${res.files.length} file(s)`)
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
if (!keep) rmSync(dir, {recursive: true, force: true})
