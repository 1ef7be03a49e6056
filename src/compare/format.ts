/**
 * Text output of `npa-trace compare`: who is compared with what, then per section a table of the rows
 * that changed (every row with --all), then a count of labels.
 */
import {formatTable} from '../analysis/format.js'
import type {Section} from '../analysis/metrics.js'
import type {PluginChange} from './comparability.js'
import type {CompareResult, Comparison, SideSummary} from './compare.js'
import {LABELS, SECTION_ORDER, formatDelta, formatRelative, formatValue, rowKey, type CompareRow, type NoiseRule, type Stat, type Unit} from './engine.js'

export interface FormatOptions {
  /** Show unchanged rows too. */
  all?: boolean
}

function vmList(vms: readonly string[]): string {
  return vms.length <= 4 ? vms.join(', ') : `${vms[0]}, ${vms[1]}, …, ${vms[vms.length - 1]} (${vms.length} VMs)`
}

function sideLine(role: string, s: SideSummary, width: number): string {
  const seeds = s.runs.map((r) => r.seed)
  const what = s.kind === 'group'
    ? `repeat group of ${s.runs.length} runs, seeds ${seeds[0]}..${seeds[seeds.length - 1]}`
    : `run, seed ${seeds[0]}`
  const plugins = Object.entries(s.plugins).map(([p, n]) => `${p} ×${n}`).join(', ')
  return `${role.padEnd(10)} ${s.label.padEnd(width)}  ${s.dir}  (${what}; ${plugins || 'no VMs'})`
}

function changeLine(c: Comparison, base: string, many: boolean): string[] {
  return c.plugin_changes.map((p: PluginChange) =>
    `plugins    ${many ? `${c.candidate}: ` : ''}${vmList(p.vms)}: ${p.from ?? 'emulated'} → ${p.to ?? 'emulated'}${many ? '' : ` (${base} → ${c.candidate})`}`)
}

export function noiseText(n: NoiseRule): string {
  const pct = `${Math.round(n.relative * 10000) / 100}%`
  const floors = [`${n.floors.ns} ns`, `${n.floors['ns/frame']} ns/frame`, `${n.floors.ratio}x`, `${n.floors.count} for counts`].join(', ')
  return `a change is significant beyond max(${pct} of the baseline, ${floors}); with repeat groups the min..max ranges must not overlap either`
}

function statText(s: Stat | null, unit: Unit): string {
  if (s === null) return '-'
  const n = s.samples.filter((x) => x !== null).length
  if (n <= 1) return formatValue(s.median, unit)
  // "11.3 µs (11.2..11.4)": the range without the unit when it is the median's.
  const med = formatValue(s.median, unit)
  const u = / [^\d\s]+$/.exec(med)?.[0] ?? ''
  const bare = (v: number | null) => {
    const t = formatValue(v, unit)
    return u !== '' && t.endsWith(u) ? t.slice(0, -u.length) : t
  }
  return `${med} (${bare(s.min)}..${bare(s.max)})`
}

function heading(s: string): string {
  return `== ${s} ${'='.repeat(Math.max(3, 72 - s.length))}`
}

function sectionTable(rows: CompareRow[], baseLabel: string, candLabel: string): string {
  const b = baseLabel === candLabel ? `${baseLabel} (baseline)` : baseLabel
  const columns = ['metric', 'dimensions', b, candLabel, 'Δ', 'Δ%', 'change']
  const cells = rows.map((r) => ({
    metric: r.metric,
    dimensions: rowKey(r),
    [b]: statText(r.baseline, r.unit),
    [candLabel]: statText(r.candidate, r.unit),
    'Δ': formatDelta(r.delta, r.unit),
    'Δ%': formatRelative(r.relative),
    change: r.label,
  }))
  const right = new Set([b, candLabel, 'Δ', 'Δ%'])
  return formatTable(columns, cells, {maxCell: 80, numeric: (c) => right.has(c)})
}

function summaryLine(c: Comparison, base: string, shown: number, all: boolean): string {
  const parts = LABELS.filter((l) => l !== 'unchanged' && c.summary[l] > 0).map((l) => `${c.summary[l]} ${l}${c.summary[l] === 1 ? '' : 's'}`)
  parts.push(`${c.summary.unchanged} unchanged`)
  const hidden = all || c.summary.unchanged === 0 ? '' : '; unchanged rows hidden, --all shows them'
  return `${c.candidate} vs ${base}: ${parts.join(', ')} (${shown} row${shown === 1 ? '' : 's'} shown${hidden})`
}

export function formatCompare(res: CompareResult, opts: FormatOptions = {}): string {
  const all = opts.all ?? false
  const many = res.comparisons.length > 1
  const width = Math.max(res.baseline.label.length, ...res.candidates.map((c) => c.label.length))
  const out: string[] = [sideLine('baseline', res.baseline, width)]
  for (const c of res.candidates) out.push(sideLine('candidate', c, width))
  for (const c of res.comparisons) out.push(...changeLine(c, res.baseline.label, many))
  out.push(`noise      ${noiseText(res.noise)}`)

  for (const c of res.comparisons) {
    if (many) out.push('', heading(`${c.candidate} vs ${res.baseline.label} (baseline)`))
    const shown = c.rows.filter((r) => all || r.label !== 'unchanged')
    for (const sec of SECTION_ORDER) {
      const rows = shown.filter((r) => r.section === (sec as Section))
      if (rows.length === 0) continue
      out.push('', many ? `-- ${sec} --` : heading(sec))
      out.push(sectionTable(rows, res.baseline.label, c.candidate))
    }
    if (shown.length === 0) out.push('', `No significant change: all ${c.rows.length} rows are within the noise.`)
    out.push('', summaryLine(c, res.baseline.label, shown.length, all))
  }
  return out.join('\n') + '\n'
}
