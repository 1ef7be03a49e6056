/**
 * Shared runs for the report tests: traces/samples/small.pcap replayed two ways, once per test
 * process (uvu imports every test file into one process, so the files share these):
 *   base — the derived scenario (8 VMs, ixgbevf@1.1.0, passthrough)
 *   mig  — migrate-npa.yaml's VMs, with vm1 migrated to host-b at 5 ms; the migration made short (1 MiB
 *          of memory) so it fits in the 20 ms capture, and a one-frame hypervisor buffer so the
 *          stop-and-copy loses frames (vm_paused)
 * and helpers to read the HTML the report writes.
 */
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parse, stringify} from 'yaml'
import {replay} from '../../src/replay/replay.js'
import {renderStandardReport, type ReportResult} from '../../src/report/report.js'
import {readdirSync} from 'node:fs'
import {tableFromIPC} from 'apache-arrow'
import {tmpDir} from '../helpers/run.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const SMALL = join(ROOT, 'traces/samples/small.pcap')

export interface Runs {
  dir: string
  base: string
  mig: string
}

let runs: Promise<Runs> | null = null

/** The migration scenario, derived from the committed sample so its VMs match small.pcap's MACs. */
function migrationScenario(dir: string): string {
  const s = parse(readFileSync(join(ROOT, 'traces/samples/migrate-npa.yaml'), 'utf8')) as Record<string, unknown>
  delete s.pacing
  s.params = {mig_memory_mib: 1, mig_bandwidth_mibps: 1024, mig_dirty_mibps: 16, mig_downtime_target_ms: 1, mig_buffer_frames: 1}
  s.operations = [{at: '5ms', vm: 'vm1', op: 'migrate', to: 'host-b', strategy: 'npa'}]
  const file = join(dir, 'migrate-small.yaml')
  writeFileSync(file, stringify(s))
  return file
}

/** Replay the runs (in parallel, once per process). */
export function sharedRuns(): Promise<Runs> {
  if (!runs) {
    runs = (async () => {
      const dir = tmpDir('npa-trace-report-')
      process.on('exit', () => rmSync(dir, {recursive: true, force: true}))
      const r: Runs = {dir, base: join(dir, 'base'), mig: join(dir, 'mig')}
      await Promise.all([
        replay({capture: SMALL, out: r.base}),
        replay({capture: SMALL, out: r.mig, scenarioPath: migrationScenario(dir)}),
      ])
      return r
    })()
  }
  return runs
}

export interface RenderedReport {
  res: ReportResult
  html: string
  file: string
}

let reports: Promise<{single: RenderedReport; compare: RenderedReport}> | null = null

async function render(dirs: string[], file: string, only?: string[]): Promise<RenderedReport> {
  const res = await renderStandardReport({runs: dirs, out: file, only})
  return {res, html: readFileSync(file, 'utf8'), file}
}

/**
 * The reports the notebook and browser tests look at, rendered once per process:
 *   single  — the standard report of the migration run (latency, switching, cpu, migration; compare skipped)
 *   compare — base and mig side by side (what a migration costs): the compare notebook
 */
export function sharedReports(): Promise<{single: RenderedReport; compare: RenderedReport}> {
  if (!reports) {
    reports = (async () => {
      const r = await sharedRuns()
      const [single, compare] = await Promise.all([
        render([r.mig], join(r.dir, 'single.html')),
        render([r.base, r.mig], join(r.dir, 'compare.html'), ['compare']),
      ])
      return {single, compare}
    })()
  }
  return reports
}

const eventCache = new Map<string, Record<string, unknown>[]>()

/**
 * Event rows of a run, read with apache-arrow straight from the column buffers (values, validity
 * bitmaps, dictionaries): test/helpers/run.ts's readEvents goes through row proxies and takes ~1 s
 * per run; this takes a tenth of that. Cached per run.
 */
export function events(run: string): Record<string, unknown>[] {
  let rows = eventCache.get(run)
  if (rows) return rows
  rows = []
  for (const f of readdirSync(run).filter((n) => /^events-\d+\.arrow$/.test(n)).sort()) {
    const table = tableFromIPC(readFileSync(join(run, f)))
    for (const batch of table.batches) {
      const cols = table.schema.fields.map((field) => {
        const d = batch.getChild(field.name)!.data[0]
        const dict = d.dictionary ? (d.dictionary.toArray() as unknown as string[]) : null
        const valid = d.nullCount > 0 ? d.nullBitmap : null
        const values = d.values as ArrayLike<number | bigint>
        return {name: field.name, dict, valid, values}
      })
      for (let i = 0; i < batch.numRows; i++) {
        const o: Record<string, unknown> = {}
        for (const c of cols) {
          if (c.valid && (c.valid[i >> 3] & (1 << (i & 7))) === 0) o[c.name] = null
          else {
            const v = c.values[i]
            o[c.name] = c.dict ? c.dict[Number(v)] : typeof v === 'bigint' ? Number(v) : v
          }
        }
        rows.push(o)
      }
    }
  }
  eventCache.set(run, rows)
  return rows
}

/** Nearest-rank percentile (the ceil(q*n)-th smallest), as quantile_disc computes it. */
export function nearestRank(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]
}

/** A number as the report prints round(x, 3): up to 3 decimals, no trailing zeros. */
export function fmt3(v: number): string {
  return String(Math.round(v * 1000) / 1000)
}

// --- HTML

const ENTITIES: Record<string, string> = {'&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'"}
export const unescape = (s: string): string => s.replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m])

/** The <section class="notebook"> of a notebook. */
export function notebookSection(html: string, name: string): string {
  const start = html.indexOf(`<section class="notebook" id="nb-${name}"`)
  if (start < 0) throw new Error(`notebook ${name} is not in the report`)
  const end = html.indexOf('<section class="notebook"', start + 10)
  return html.slice(start, end < 0 ? undefined : end)
}

/** The <section class="cell"> of a cell. */
export function cellSection(html: string, notebook: string, cell: string): string {
  const nb = notebookSection(html, notebook)
  const start = nb.indexOf(`<section class="cell" id="${notebook}-cell-${cell}"`)
  if (start < 0) throw new Error(`cell ${notebook}/${cell} is not in the report`)
  return nb.slice(start, nb.indexOf('</section>', start))
}

export interface HtmlTable {
  columns: string[]
  rows: Record<string, string>[]
  total: number
  shown: number
}

/** The result table of a cell section. */
export function resultTable(section: string): HtmlTable {
  const m = /<table class="result"[^>]*data-rows="(\d+)" data-shown="(\d+)">([\s\S]*?)<\/table>/.exec(section)
  if (!m) throw new Error('no result table in this cell')
  const head = /<thead>([\s\S]*?)<\/thead>/.exec(m[3])![1]
  const columns = [...head.matchAll(/<th>([\s\S]*?)<\/th>/g)].map((x) => unescape(x[1]))
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(m[3])![1]
  const rows = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((tr) => {
    const cells = [...tr[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((x) => unescape(x[1]))
    const o: Record<string, string> = {}
    columns.forEach((c, i) => (o[c] = cells[i]))
    return o
  })
  return {columns, rows, total: Number(m[1]), shown: Number(m[2])}
}

/** The chart figure of a cell: its data-points and the aria-labels Vega writes for marks, axes and legends. */
export function chart(section: string): {points: number; labels: string[]; svg: string} | null {
  const m = /<figure class="chart" data-cell="[^"]*" data-points="(\d+)">([\s\S]*?)<\/figure>/.exec(section)
  if (!m) return null
  const labels = [...m[2].matchAll(/aria-label="([^"]*)"/g)].map((x) => unescape(x[1]))
  return {points: Number(m[1]), labels, svg: m[2]}
}
