import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CountingTracer, newTracer, PackedTracer, Tracer, type EventSinkLike} from '../../src/model/tracer.js'
import {EventSlots, EventSlotsDrain, newEventTally, tallyBatch} from '../../src/trace/event-slots.js'
import {COMP, DETAIL, EV, EVENT_COLUMNS, MODE, REASON, RING, SIDE} from '../../src/trace/schema.js'
import {ColumnArena} from '../../src/trace/simd.js'
import {UserError} from '../../src/errors.js'
import {allocColumnArrays, type ColumnArray} from '../../src/trace/writer.js'

const t = suite('Tracer')
const dicts = {host: ['h0'], vm: ['a', 'b'], plugin: ['p'], target: ['a', 'b', 'pf', 'uplink', 'external']}

/** A sink over one batch of event columns (never full in these tests). */
function sink(packed: boolean): EventSinkLike & {n: number} {
  const cols = allocColumnArrays(EVENT_COLUMNS, dicts, 64)
  return {
    n: 0,
    cols,
    packed,
    row() {
      return this.n++
    },
    get rowCount() {
      return this.n
    },
  }
}

// (event, reason, cpu_ns, side) of each row below, with what a summary must say about them.
const ROWS: [number, number, number, number][] = [
  [EV.desc_fetch, -1, 0, -1], // no CPU, no side
  [EV.vmexit, -1, 1200, SIDE.hypervisor],
  [EV.drop, REASON.rx_ring_full, 0, -1],
  [EV.drop, REASON.rx_ring_full, 0, -1],
  [EV.drop, REASON.vlan_filter, 0, -1],
  [EV.shell_irq, -1, 700, SIDE.guest],
  [EV.shell_irq, -1, 300, SIDE.guest],
  [EV.eswitch_lookup, -1, 90, SIDE.nic],
  [EV.emu_tx, -1, 55, -1], // CPU without a side is in no side's total
]

function emitAll(tr: Tracer): void {
  for (const [ev, reason, cpu, side] of ROWS) tr.emit(5, ev, COMP.nic, 1, 0, 0, 0, 0, 0, 0, -1, -1, 60, -1, -1, reason, -1, cpu, side, -1)
}

function expectSummary(eventCounts: Float64Array, dropCounts: Float64Array, cpuBySide: Float64Array): void {
  assert.is(eventCounts[EV.drop], 3)
  assert.is(eventCounts[EV.shell_irq], 2)
  assert.is(eventCounts.reduce((a, b) => a + b, 0), ROWS.length)
  assert.is(dropCounts[REASON.rx_ring_full], 2)
  assert.is(dropCounts[REASON.vlan_filter], 1)
  assert.is(dropCounts.reduce((a, b) => a + b, 0), 3)
  assert.equal([...cpuBySide], [1000, 1200, 90])
}

t('newTracer: a counting tracer for a sink that does not count, and for no sink', () => {
  const s = sink(false)
  const tr = newTracer(s, EV.drop)
  assert.instance(tr, CountingTracer)
  emitAll(tr)
  assert.is(tr.rows, ROWS.length)
  assert.is(s.n, ROWS.length) // and the rows were written
  expectSummary(tr.eventCounts, tr.dropCounts, tr.cpuBySide)
  const none = newTracer(null, EV.drop)
  emitAll(none)
  assert.is(none.rows, ROWS.length)
  expectSummary(none.eventCounts, none.dropCounts, none.cpuBySide)
  assert.throws(() => tr.adopt(newEventTally()), /counts itself/)
})

/** Event slots of 16-row batches on this thread, their drain (SIMD kernels or JavaScript), and what it wrote. */
function slotsAndDrain(kernels: boolean, dictionaries: typeof dicts = dicts) {
  const slots = new EventSlots('/nonexistent/events', EVENT_COLUMNS, {dictionaries, batchRows: 16}, () => {}, () => {})
  const arena = kernels && slots.shared.arena ? ColumnArena.from(slots.shared.arena) : null
  const drain = new EventSlotsDrain(slots.shared, arena)
  const written: Record<string, number[]> = {}
  const write = (cols: Record<string, ColumnArray>, n: number) => {
    for (const [name, a] of Object.entries(cols)) (written[name] ??= []).push(...Array.from(a.subarray(0, n) as ArrayLike<number>))
  }
  return {slots, drain, written, write}
}

t('newTracer: a store-only PackedTracer over the event slots; the writer thread\'s tally (tallyBatch) is adopted', () => {
  const {slots, drain, write} = slotsAndDrain(true)
  const tr = newTracer(slots, EV.drop)
  assert.instance(tr, PackedTracer)
  emitAll(tr)
  assert.is(tr.rows, ROWS.length)
  assert.is(tr.eventCounts.reduce((a, b) => a + b, 0), 0) // nothing counted on the model's side
  slots.finish()
  drain.drain(write)
  assert.ok(drain.done)
  tr.adopt(drain.tally)
  expectSummary(tr.eventCounts, tr.dropCounts, tr.cpuBySide)
})

t('tallyBatch: sums carry over from one batch to the next', () => {
  const s = sink(false)
  const tr = new CountingTracer(s, EV.drop)
  emitAll(tr)
  const tally = newEventTally()
  const cols = s.cols as ReturnType<typeof allocColumnArrays>
  tallyBatch(cols, 4, tally)
  tallyBatch(Object.fromEntries(Object.entries(cols).map(([k, a]) => [k, a.subarray(4)])), ROWS.length - 4, tally)
  expectSummary(tally.events, tally.drops, tally.cpuBySide)
})

// Every lane of the packed words at its extremes and null, over several batches and slots. `big`: codes of
// run dictionaries beyond 8 bits.
function emitVaried(tr: Tracer, big = 0): void {
  for (let i = 0; i < 45; i++) {
    const nul = i % 3 === 0
    tr.emit(1000 + i * 2 ** 33, i % 2 ? EV.drop : EV.desc_fetch, nul ? COMP.capture : COMP.plugin, nul ? -1 : 4e9 + i, nul ? -1 : 65534 - i,
      nul ? -1 : 0, big + (i % 2), nul ? -1 : MODE.emulated, nul ? -1 : 0, nul ? -1 : 32767 - i, nul ? -1 : RING.rx, nul ? -1 : 8191 - i,
      nul ? -1 : 9000 + i, nul ? -1 : 4094 - i, i % 5 === 0 ? -1 : big + (i % 4), nul ? -1 : REASON.not_ethernet, nul ? -1 : DETAIL.resume_vm,
      i * 37, nul ? -1 : SIDE.nic, nul ? -1 : i * 2 ** 40)
  }
}

// 300 VMs: the vm and target columns are 16-bit codes (dictionaries over 127 names).
const bigDicts = {...dicts, vm: Array.from({length: 300}, (_, i) => `vm${i}`), target: [...Array.from({length: 300}, (_, i) => `vm${i}`), 'pf', 'uplink', 'external']}

for (const [kernels, d, big] of [[true, dicts, 0], [false, dicts, 0], [true, bigDicts, 290], [false, bigDicts, 290]] as const) {
  t(`PackedTracer → event slots → drain (${kernels ? 'SIMD kernels' : 'JavaScript'}${big ? ', 16-bit VM codes' : ''}): the written columns are CountingTracer's, column for column`, () => {
    const ref = sink(false)
    const want = allocColumnArrays(EVENT_COLUMNS, d, 64)
    Object.assign(ref, {cols: want})
    emitVaried(new CountingTracer(ref, EV.drop), big)
    const {slots, drain, written, write} = slotsAndDrain(kernels, d)
    emitVaried(new PackedTracer(slots), big)
    slots.finish()
    for (let k = 0; k < 3 && !drain.done; k++) drain.drain(write) // 45 rows: three slots
    assert.ok(drain.done)
    for (const c of EVENT_COLUMNS) assert.equal(written[c.name], Array.from(want[c.name].subarray(0, 45) as ArrayLike<number>), c.name)
  })
}

t('event slots refuse a run dictionary too large for its 16-bit lane, with a clear error', () => {
  const vm = Array.from({length: 40000}, (_, i) => `vm${i}`)
  assert.throws(() => new EventSlots('/nonexistent/events', EVENT_COLUMNS, {dictionaries: {...dicts, vm}, batchRows: 16}, () => {}, () => {}),
    (e: Error) => e instanceof UserError && /40000 vm names: the trace holds at most 32767/.test(e.message))
})

t('each tracer refuses the other kind of sink', () => {
  assert.throws(() => new PackedTracer(sink(false)), /newTracer/)
  const {slots} = slotsAndDrain(false)
  assert.throws(() => new CountingTracer(slots, EV.drop), /newTracer/)
})

t.run()
