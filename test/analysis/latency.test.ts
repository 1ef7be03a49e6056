/**
 * Latency percentiles agree with a straightforward recomputation from the Arrow files read directly
 * with apache-arrow (no DuckDB), on a generated run.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {tableFromIPC} from 'apache-arrow'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {AnalysisSession} from '../../src/analysis/session.js'
import {generatedRun} from './_fixtures.js'

const t = suite('latency')
let s: AnalysisSession
let runDir: string

interface Delivery {
  direction: string
  mode: string
  plugin: string
  vm: string | null
  latency: number
}
let deliveries: Delivery[] = []

t.before(async () => {
  runDir = await generatedRun()
  s = await AnalysisSession.open([runDir])
  // Recompute from the files: deliver events (aux = latency), frames (who sent), frame_in (sender's mode).
  const frames = tableFromIPC(readFileSync(join(runDir, 'frames.arrow')))
  const srcVm = new Map<number, string | null>()
  for (let i = 0; i < frames.numRows; i++) srcVm.set(Number(frames.getChild('packet_id')!.get(i)), frames.getChild('src_vm')!.get(i))
  const rows: {event: string; packet: number; vm: string | null; mode: string | null; plugin: string | null; aux: number}[] = []
  for (const f of readdirSync(runDir).filter((n) => /^events.*\.arrow$/.test(n)).sort()) {
    const ev = tableFromIPC(readFileSync(join(runDir, f)))
    const c = (n: string) => ev.getChild(n)!
    for (let i = 0; i < ev.numRows; i++) {
      const e = c('event').get(i)
      if (e !== 'shell_rx_deliver' && e !== 'ext_deliver' && e !== 'frame_in') continue
      rows.push({event: e, packet: Number(c('packet_id').get(i)), vm: c('vm').get(i), mode: c('mode').get(i), plugin: c('plugin').get(i), aux: Number(c('aux').get(i))})
    }
  }
  const senderMode = new Map<number, [string, string]>()
  for (const r of rows) if (r.event === 'frame_in' && r.mode) senderMode.set(r.packet, [r.mode, r.plugin!])
  deliveries = rows
    .filter((r) => r.event !== 'frame_in')
    .map((r) => {
      const fromVm = srcVm.get(r.packet) != null
      if (r.event === 'shell_rx_deliver') return {direction: fromVm ? 'vm_to_vm' : 'ext_to_vm', mode: r.mode!, plugin: r.plugin!, vm: r.vm, latency: r.aux}
      const sm = senderMode.get(r.packet)
      return {direction: fromVm ? 'vm_to_ext' : 'ext_to_ext', mode: sm?.[0] ?? '', plugin: sm?.[1] ?? '', vm: srcVm.get(r.packet) ?? null, latency: r.aux}
    })
})
t.after(() => s?.close())

/** Nearest rank: the ceil(q * n)-th smallest. */
function pct(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]
}

function stats(ls: number[]) {
  const v = [...ls].sort((a, b) => a - b)
  return {
    deliveries: v.length,
    p50_ns: pct(v, 0.5),
    p90_ns: pct(v, 0.9),
    p99_ns: pct(v, 0.99),
    p999_ns: pct(v, 0.999),
    max_ns: v[v.length - 1],
    min_ns: v[0],
    mean_ns: v.reduce((a, b) => a + b, 0) / v.length,
  }
}

function group(key: (d: Delivery) => string): Map<string, number[]> {
  const m = new Map<string, number[]>()
  for (const d of deliveries) {
    const k = key(d)
    if (!m.has(k)) m.set(k, [])
    m.get(k)!.push(d.latency)
  }
  return m
}

const COLS = 'deliveries, p50_ns, p90_ns, p99_ns, p999_ns, max_ns, min_ns, mean_ns'

function close(actual: Record<string, unknown>, expected: Record<string, number>, what: string) {
  for (const [k, v] of Object.entries(expected)) {
    const a = Number(actual[k])
    if (k === 'mean_ns') assert.ok(Math.abs(a - v) < 1e-6 * Math.max(1, v), `${what} ${k}: ${a} vs ${v}`)
    else assert.is(a, v, `${what} ${k}`)
  }
}

t('the run has both modes and three directions (the recomputation has something to check)', () => {
  const dirs = new Set(deliveries.map((d) => d.direction))
  assert.ok(dirs.has('vm_to_vm') && dirs.has('ext_to_vm') && dirs.has('vm_to_ext'), [...dirs].join())
  assert.ok(new Set(deliveries.map((d) => d.mode)).size === 2)
  assert.ok(deliveries.length > 2000)
})

t('whole-run percentiles equal the recomputation', async () => {
  const [r] = await s.rows(`SELECT ${COLS} FROM latency WHERE grain = 'run'`)
  close(r, stats(deliveries.map((d) => d.latency)), 'run')
})

t('per-direction and per-(direction, mode, plugin) percentiles equal the recomputation', async () => {
  for (const [dir, ls] of group((d) => d.direction)) {
    const [r] = await s.rows(`SELECT ${COLS} FROM latency WHERE grain = 'direction' AND direction = '${dir}'`)
    close(r, stats(ls), dir)
  }
  const byMode = group((d) => `${d.direction}|${d.mode}|${d.plugin}`)
  const rows = await s.rows(`SELECT direction, mode, plugin, ${COLS} FROM latency WHERE grain = 'mode'`)
  assert.is(rows.length, byMode.size)
  for (const r of rows) close(r, stats(byMode.get(`${r.direction}|${r.mode}|${r.plugin}`)!), `${r.direction} ${r.mode}`)
})

t('per-VM rows equal the recomputation', async () => {
  const byVm = group((d) => `${d.direction}|${d.vm}|${d.mode}`)
  const rows = await s.rows(`SELECT direction, vm, mode, ${COLS} FROM latency WHERE grain = 'vm'`)
  assert.is(rows.length, byVm.size)
  for (const r of rows) close(r, stats(byVm.get(`${r.direction}|${r.vm === null ? 'null' : r.vm}|${r.mode}`)!), `${r.direction} ${r.vm}`)
})

t('stage shares add up to the mean latency of each group', async () => {
  const rows = await s.rows(`SELECT l.direction, l.mode, l.mean_ns, sum(st.mean_share_ns) AS total
    FROM latency l JOIN latency_stages st ON st.run_id = l.run_id AND st.direction = l.direction AND st.mode::VARCHAR = l.mode AND st.plugin::VARCHAR = l.plugin
    WHERE l.grain = 'mode' GROUP BY ALL`)
  assert.ok(rows.length >= 4)
  for (const r of rows) assert.ok(Math.abs(Number(r.total) - Number(r.mean_ns)) < 1e-6 * Number(r.mean_ns), `${r.direction} ${r.mode}: ${r.total} vs ${r.mean_ns}`)
})

t.run()
