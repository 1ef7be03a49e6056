/**
 * Text rendering of an AnalyzeResult: a heading per section, aligned tables with human units, and a
 * sentence instead of an empty table when the run has nothing for a section.
 */
import type {AnalyzeResult, AnalyzeSection} from './analyze.js'
import {cellText, formatTable} from './format.js'
import type {Row} from './session.js'

/** ns → "850 ns", "12.3 µs", "45.6 ms", "1.23 s". */
export function fmtNs(v: unknown): string {
  if (v === null || v === undefined) return '-'
  const n = Number(v)
  if (!Number.isFinite(n)) return String(v)
  const a = Math.abs(n)
  if (a < 1e3) return `${Math.round(n)} ns`
  if (a < 1e6) return `${(n / 1e3).toFixed(a < 1e4 ? 2 : 1)} µs`
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e7 ? 2 : 1)} ms`
  return `${(n / 1e9).toFixed(2)} s`
}

const NS_COLUMN = /(_ns$|^t_begin$|^t_end$|^blackout_from$|^blackout_to$)/

function fmtCell(column: string, v: unknown): string {
  if (v === null || v === undefined) return '-'
  if (NS_COLUMN.test(column) && typeof v === 'number') return fmtNs(v)
  if (column === 'latency_inflation' && typeof v === 'number') return `${v.toFixed(2)}x`
  if (column === 'cpu_ns_per_frame' && typeof v === 'number') return fmtNs(v)
  if (Array.isArray(v)) {
    return v
      .map((x) => {
        if (x === null || typeof x !== 'object') return cellText(x)
        return Object.entries(x as Record<string, unknown>)
          .filter(([k]) => k !== 't_begin')
          .map(([k, y]) => (/_ns$/.test(k) ? fmtNs(y) : cellText(y)))
          .join(' ')
      })
      .join(', ')
  }
  return cellText(v)
}

function table(rows: Row[], columns: string[], opts: {drop?: string[]; maxRows?: number} = {}): string {
  const cols = columns.filter((c) => !(opts.drop ?? []).includes(c))
  return formatTable(cols, rows, {format: fmtCell, maxRows: opts.maxRows ?? 50, maxCell: 90})
}

function cols(rows: Row[]): string[] {
  return rows.length > 0 ? Object.keys(rows[0]) : []
}

/** Drop run_id from tables of single-run reports. */
function runCols(res: AnalyzeResult, rows: Row[], extraDrop: string[] = []): string[] {
  return cols(rows).filter((c) => !(res.runs.length === 1 && c === 'run_id') && !extraDrop.includes(c))
}

function heading(s: string): string {
  return `\n== ${s} ${'='.repeat(Math.max(3, 72 - s.length))}`
}

export function formatAnalyze(res: AnalyzeResult, order: readonly AnalyzeSection[]): string {
  const out: string[] = []
  for (const r of res.runs) {
    out.push(`run ${r.run_id}  (${r.dir})`)
    out.push(`  capture ${r.capture}  sha256 ${String(r.sha256).slice(0, 12)}…  seed ${r.seed}`)
    out.push(`  ${r.frames} frames, ${r.events} events, ${fmtNs(r.sim_ns)} simulated; scenario ${r.scenario_source}`)
  }
  const byRun = new Map<string, string[]>()
  for (const o of res.overview) {
    const k = String(o.run_id)
    if (!byRun.has(k)) byRun.set(k, [])
    byRun.get(k)!.push(`${o.replicas} ${o.outcome}`)
  }
  for (const [k, v] of byRun) out.push(`  ${res.runs.length > 1 ? k + ': ' : ''}replicas: ${v.join(', ')}`)

  for (const sec of order) {
    const s = res.sections[sec]
    if (!s) continue
    out.push(heading(sec))
    if (s.empty) {
      out.push(s.empty + '.')
      continue
    }
    const t = s.tables
    switch (sec) {
      case 'latency':
        out.push('Delivery latency (frame_in to delivery; percentiles are nearest-rank):')
        out.push(table(t.latency, runCols(res, t.latency, ['grain', 'vm', 'min_ns'])))
        out.push('\nWhere the time goes (mean per delivered path; stages add up to the mean latency):')
        out.push(table(t.stages, runCols(res, t.stages), {maxRows: 80}))
        break
      case 'switching': {
        out.push('Expected destinations by rule (from frames and config only):')
        out.push(table(t.rules, runCols(res, t.rules)))
        out.push('\nExpected vs observed, per (frame, endpoint):')
        out.push(table(t.verdicts, runCols(res, t.verdicts)))
        if (t.violations.length === 0) out.push('\nNo switching violation: every frame went where the L2 rules say.')
        else {
          out.push('\nSWITCHING VIOLATIONS:')
          out.push(table(t.violations, runCols(res, t.violations)))
        }
        break
      }
      case 'migration':
        if (t.bootSwitches.length > 0) {
          const b = t.bootSwitches.map((r) => `${res.runs.length > 1 ? r.run_id + ': ' : ''}${r.switches} at boot${Number(r.failed) > 0 ? `, ${r.failed} failed (${fmtCell('failures', r.failures)})` : ''}`)
          out.push(`Mode switches ${b.join('; ')}.`)
        }
        if (t.modeSwitches.length === 0) out.push('No mode switch after boot in this run.')
        else {
          out.push('Mode switches after boot:')
          out.push(table(t.modeSwitches, runCols(res, t.modeSwitches, ['host'])))
        }
        if (t.migrations.length === 0) out.push('\nNo migration in this run.')
        else {
          out.push('\nLive migrations:')
          out.push(table(t.migrations, runCols(res, t.migrations, ['phases', 't_end', 'blackout_from', 'blackout_to', 'baseline_mean_ns', 'during_mean_ns'])))
          out.push('\nMigration phases:')
          out.push(table(t.phases, runCols(res, t.phases, ['aux'])))
        }
        break
      case 'cpu':
        out.push('CPU per frame sent or received, by mode and whose CPU pays:')
        out.push(table(t.byMode, runCols(res, t.byMode)))
        out.push('\nPer VM:')
        out.push(table(t.byVm, runCols(res, t.byVm), {maxRows: 100}))
        break
    }
  }
  return out.join('\n') + '\n'
}
