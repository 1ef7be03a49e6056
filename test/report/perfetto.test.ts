/** The Perfetto (Chrome trace event format) export: structure, and stage spans against the events. */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {exportPerfetto, usText, type PerfettoResult} from '../../src/report/perfetto.js'
import {events, sharedRuns, type Runs} from './fixtures.js'

interface TraceEvent {
  name: string
  ph: string
  ts: number
  dur?: number
  pid: number
  tid: number
  cat?: string
  s?: string
  args?: Record<string, unknown>
}
interface Trace {
  traceEvents: TraceEvent[]
  displayTimeUnit: string
  otherData: Record<string, unknown>
}

let runs: Runs
let full: {res: PerfettoResult; text: string; trace: Trace}

async function exp(run: string, name: string, opts: {fromNs?: number; toNs?: number; limit?: number; allEvents?: boolean} = {}) {
  const out = join(runs.dir, name)
  const res = await exportPerfetto({run, out, ...opts})
  const text = readFileSync(out, 'utf8')
  return {res, text, trace: JSON.parse(text) as Trace}
}

const num = (v: unknown): number => Number(v)
const us = (ns: number): number => Number(usText(ns))

const perfetto = suite('export: perfetto')

perfetto.before(async () => {
  runs = await sharedRuns()
  full = await exp(runs.mig, 'mig.json')
})

perfetto('valid JSON in the trace event format: every event has ph/ts/pid/tid; X events have dur >= 0; metadata names every track', () => {
  const {trace, res} = full
  assert.ok(Array.isArray(trace.traceEvents))
  assert.is(trace.displayTimeUnit, 'ns')
  assert.is(trace.otherData.run_id, 'mig')
  for (const e of trace.traceEvents) {
    assert.type(e.name, 'string')
    assert.ok(['X', 'i', 'C', 'M'].includes(e.ph), e.ph)
    for (const k of ['ts', 'pid', 'tid'] as const) assert.type(e[k], 'number', `${k} of ${e.name}`)
    if (e.ph === 'X') assert.ok(typeof e.dur === 'number' && e.dur >= 0, `dur of ${e.name}`)
    if (e.ph === 'i') assert.is(e.s, 't')
  }
  const processNames = new Map(trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args!.name]))
  const threadNames = new Map(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}/${e.tid}`, e.args!.name]))
  for (const e of trace.traceEvents) {
    if (e.ph === 'M') continue
    assert.ok(processNames.has(e.pid), `process ${e.pid} is named`)
    if (e.ph !== 'C') assert.ok(threadNames.has(`${e.pid}/${e.tid}`), `thread ${e.pid}/${e.tid} of ${e.name} is named`)
  }
  assert.equal([...processNames.values()].sort(), ['host host-a', 'host host-b'])
  for (const t of ['vm1 tx q0', 'vm1 rx q0', 'vm1 irq q0', 'vm1 migration', 'vm1 migration phases', 'vm1 control', 'vm2 rx q0']) {
    assert.ok([...threadNames.values()].includes(t), `track ${t}`)
  }
  assert.is(res.metadata, trace.traceEvents.filter((e) => e.ph === 'M').length)
  assert.is(res.complete, trace.traceEvents.filter((e) => e.ph === 'X').length)
  assert.is(res.eventsRead, events(runs.mig).length)
})

perfetto('complete events on one track never overlap (the format needs nesting; overlapping frames spill into lanes)', () => {
  const byTrack = new Map<string, TraceEvent[]>()
  for (const e of full.trace.traceEvents.filter((x) => x.ph === 'X')) {
    const k = `${e.pid}/${e.tid}`
    if (!byTrack.has(k)) byTrack.set(k, [])
    byTrack.get(k)!.push(e)
  }
  let lanes = 0
  for (const [, es] of byTrack) {
    es.sort((a, b) => a.ts - b.ts)
    for (let i = 1; i < es.length; i++) assert.ok(es[i].ts >= es[i - 1].ts + es[i - 1].dur! - 1e-9, `${es[i].name} at ${es[i].ts} overlaps ${es[i - 1].name}`)
  }
  for (const e of full.trace.traceEvents) if (e.name === 'thread_name' && / #\d+$/.test(String(e.args!.name))) lanes++
  assert.ok(lanes > 0, 'some track needed a second lane')
})

perfetto('TX spans: one per frame from stack_tx to its TX write-back, times exact to the ns', () => {
  const evs = events(runs.mig)
  const stack = new Map(evs.filter((e) => e.event === 'stack_tx').map((e) => [num(e.packet_id), num(e.t_ns)]))
  const wb = new Map(evs.filter((e) => e.event === 'desc_writeback' && e.ring === 'tx').map((e) => [num(e.packet_id), e]))
  const tx = full.trace.traceEvents.filter((e) => e.ph === 'X' && e.name === 'tx')
  const expected = [...stack.keys()].filter((p) => wb.has(p))
  assert.is(tx.length, expected.length)
  assert.ok(tx.length > 1000)
  for (const e of tx) {
    const p = num(e.args!.packet_id)
    assert.is(e.ts, us(stack.get(p)!))
    assert.is(e.dur, us(num(wb.get(p)!.t_ns) - stack.get(p)!))
    assert.is(e.args!.mode, wb.get(p)!.mode)
  }
  // the text keeps ns: a ts that is not a whole µs is written with its three decimals
  const odd = [...stack.values()].find((t) => t % 1000 !== 0)!
  assert.match(full.text, new RegExp(`"ts":${usText(odd).replace('.', '\\.')},`))
})

perfetto('RX spans: one per delivered replica from its RX DMA to shell_rx_deliver, on the receiver\'s track', () => {
  const evs = events(runs.mig)
  const dma = new Map(evs.filter((e) => e.event === 'desc_process' && e.ring === 'rx').map((e) => [`${e.packet_id}/${e.replica}`, num(e.t_ns)]))
  const deliver = evs.filter((e) => e.event === 'shell_rx_deliver' && dma.has(`${e.packet_id}/${e.replica}`))
  const rx = full.trace.traceEvents.filter((e) => e.ph === 'X' && e.name === 'rx')
  assert.is(rx.length, deliver.length)
  const names = new Map(full.trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}/${e.tid}`, String(e.args!.name)]))
  const byKey = new Map(rx.map((e) => [`${e.args!.packet_id}/${e.args!.replica}`, e]))
  for (const d of deliver) {
    const e = byKey.get(`${d.packet_id}/${d.replica}`)!
    const start = dma.get(`${d.packet_id}/${d.replica}`)!
    assert.is(e.ts, us(start))
    assert.is(e.dur, us(num(d.t_ns) - start))
    assert.ok(names.get(`${e.pid}/${e.tid}`)!.startsWith(`${d.vm} rx q${d.queue}`))
  }
})

perfetto('migration: the migration and each phase as spans with their durations; drops as instants named by reason', () => {
  const evs = events(runs.mig)
  const mig = full.trace.traceEvents.filter((e) => e.cat === 'migration')
  const begin = evs.find((e) => e.event === 'mig_begin')!
  const end = evs.find((e) => e.event === 'mig_end')!
  const whole = mig.find((e) => e.name === 'migration (npa)')!
  assert.equal([whole.ts, whole.dur], [us(num(begin.t_ns)), us(num(end.t_ns) - num(begin.t_ns))])
  const phaseEnds = evs.filter((e) => e.event === 'mig_phase_end')
  assert.is(mig.length, 1 + phaseEnds.length)
  for (const pe of phaseEnds) {
    const pb = evs.find((e) => e.event === 'mig_phase_begin' && e.detail === pe.detail)!
    const span = mig.find((e) => e.name === pe.detail)!
    assert.equal([span.ts, span.dur], [us(num(pb.t_ns)), us(num(pe.t_ns) - num(pb.t_ns))], String(pe.detail))
  }
  const drops = evs.filter((e) => e.event === 'drop')
  const inst = full.trace.traceEvents.filter((e) => e.ph === 'i' && e.cat === 'drop')
  assert.is(inst.length, drops.length)
  assert.is(inst.filter((e) => e.name === 'drop: vm_paused').length, drops.filter((d) => d.reason === 'vm_paused').length)
  assert.ok(full.trace.traceEvents.some((e) => e.ph === 'X' && e.name === 'paused'))
  assert.ok(full.trace.traceEvents.some((e) => e.ph === 'X' && e.name === 'mode switch → emulated'))
})

perfetto('a time window keeps the spans that overlap it and the instants and counters inside it', async () => {
  const from = 5_000_000
  const to = 7_000_000
  const w = await exp(runs.mig, 'window.json', {fromNs: from, toNs: to})
  const body = w.trace.traceEvents.filter((e) => e.ph !== 'M')
  assert.ok(body.length > 0 && body.length < full.res.complete + full.res.instant + full.res.counter)
  for (const e of body) {
    if (e.ph === 'X') assert.ok(e.ts < to / 1000 && e.ts + e.dur! >= from / 1000, `${e.name} overlaps the window`)
    else assert.ok(e.ts >= from / 1000 && e.ts < to / 1000, `${e.name} inside the window`)
  }
  const inFull = full.trace.traceEvents.filter((e) => e.ph === 'X' && e.ts < to / 1000 && e.ts + e.dur! >= from / 1000).length
  assert.is(w.res.complete, inFull)
})

perfetto('--limit stops after that many events and says so; --all-events adds every other event as an instant', async () => {
  const l = await exp(runs.base, 'limit.json', {limit: 100})
  assert.is(l.trace.traceEvents.filter((e) => e.ph !== 'M').length, 100)
  assert.ok(l.res.truncated)
  assert.is(l.trace.otherData.truncated, true)
  const a = await exp(runs.base, 'all.json', {allEvents: true, fromNs: 0, toNs: 1_000_000})
  const names = new Set(a.trace.traceEvents.filter((e) => e.cat === 'event').map((e) => e.name))
  for (const n of ['frame_in', 'desc_fetch', 'eswitch_lookup', 'doorbell']) assert.ok(names.has(n), n)
})

perfetto.run()
