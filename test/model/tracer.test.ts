import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CountingTracer, newTracer, Tracer, type EventSinkLike} from '../../src/model/tracer.js'
import {newEventTally, tallyBatch} from '../../src/trace/event-slots.js'
import {COMP, EV, EVENT_COLUMNS, REASON, SIDE} from '../../src/trace/schema.js'
import {allocColumnArrays} from '../../src/trace/writer.js'

const t = suite('Tracer')
const dicts = {host: ['h0'], vm: ['a', 'b'], plugin: ['p'], target: ['a', 'b', 'pf', 'uplink', 'external']}

/** A sink over one batch of event columns (never full in these tests). */
function sink(tallied: boolean): EventSinkLike & {n: number} {
  const cols = allocColumnArrays(EVENT_COLUMNS, dicts, 64)
  return {
    n: 0,
    cols,
    tallied,
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

t('newTracer: a store-only tracer for a tallied sink; the writer\'s tally (tallyBatch) is adopted', () => {
  const s = sink(true)
  const tr = newTracer(s, EV.drop)
  assert.not.instance(tr, CountingTracer)
  emitAll(tr)
  assert.is(tr.rows, ROWS.length)
  assert.is(tr.eventCounts.reduce((a, b) => a + b, 0), 0) // nothing counted on the model's side
  const tally = newEventTally()
  // Two batches, as the I/O thread sees them: sums carry over.
  const cols = s.cols as ReturnType<typeof allocColumnArrays>
  tallyBatch(cols, 4, tally)
  tallyBatch(Object.fromEntries(Object.entries(cols).map(([k, a]) => [k, a.subarray(4)])), ROWS.length - 4, tally)
  tr.adopt(tally)
  expectSummary(tr.eventCounts, tr.dropCounts, tr.cpuBySide)
})

t('Tracer refuses a sink that does not count (its summary would be empty)', () => {
  assert.throws(() => new Tracer(sink(false)), /newTracer/)
  assert.throws(() => new Tracer(null), /newTracer/)
})

t.run()
