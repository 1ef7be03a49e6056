/**
 * `npa-trace compare`: every metric of the analysis library (src/analysis/metrics.ts) evaluated on a
 * baseline and on one or more candidates, matched row by row on the metric's dimensions, and labelled.
 *
 * A side is one run or one repeat group (`replay --repeat n`: runs of one capture and scenario with
 * seeds s..s+n−1). A side's runs are loaded side by side in one AnalysisSession (its run ids r01..rNN
 * are unique there); each side gets its own session, because the same run id can appear on both sides
 * (a run compared with itself, r01 of two groups) and the loader rejects duplicate ids in one session.
 * A side's value for a row is the median over its runs, with min, max and the raw samples kept.
 *
 * Noise rule (the label of a row):
 *  - The noise threshold of a row is max(relative × |baseline median|, floor of the metric's unit)
 *    (DEFAULT_NOISE: 1 %, and the floors below).
 *  - A change is significant when |candidate median − baseline median| exceeds that threshold and, when
 *    either side has more than one sample (repeat groups), the two sides' min..max ranges do not
 *    overlap (the candidate lies outside everything the baseline's seeds produced, and vice versa).
 *  - A significant change is an improvement or a regression by the metric's polarity (zero_is_good:
 *    closer to 0 is better), or "changed" when the metric has none; otherwise "unchanged".
 *  - A row only one side has is "added" or "removed", except for tallies (counts from aggregates and
 *    the switching_violations view), where a missing row means 0 and is compared as 0.
 *
 * Matching: rows match on equal dimensions; rows left over then match when they are equal apart from
 * the version in a `plugin` dimension ("ixgbevf@1.0.0" ~ "ixgbevf@1.1.0") and that match is unique —
 * comparing plugin versions is what compare is for.
 */
import {existsSync, readFileSync, realpathSync, statSync} from 'node:fs'
import * as path from 'node:path'
import {UserError} from '../errors.js'
import {METRICS, evaluateMetrics, type MetricSpec, type MetricValue, type Polarity, type Section} from '../analysis/metrics.js'
import {fmtNs} from '../analysis/report.js'
import {REPEAT_JSON} from '../replay/repeat.js'
import {DEFAULT_RUNS_ROOT, resolveRunDir} from '../trace/rundir.js'

export type Unit = MetricSpec['unit']
export type Label = 'improvement' | 'regression' | 'unchanged' | 'changed' | 'added' | 'removed'
export const LABELS: readonly Label[] = ['regression', 'improvement', 'changed', 'added', 'removed', 'unchanged']

/** Report order of the sections. */
export const SECTION_ORDER: readonly Section[] = ['latency', 'drops', 'switching', 'migration', 'cpu']

export interface NoiseRule {
  /** Relative noise threshold: a fraction of |baseline| (0.01 = 1 %). */
  relative: number
  /** Absolute noise floor per unit: changes at or below it are never significant. */
  floors: Record<Unit, number>
}

/**
 * Default noise rule. 1 % relative; floors: 100 ns for times, the cost of one posted MMIO write
 * (`mmio_write_cpu_ns` = 100, npa-model-reference.md §4) — a latency change smaller than one doorbell
 * write is not attributable to the data path; 1 ns per frame for CPU per frame (below the model's
 * integer-ns costs spread over frames); 0.01 for ratios (latency inflation, shown with 2 decimals);
 * 0 for counts (any change in a tally is real; the 1 % still applies to large counts).
 */
export const DEFAULT_NOISE: NoiseRule = {
  relative: 0.01,
  floors: {ns: 100, 'ns/frame': 1, ratio: 0.01, frames: 0, replicas: 0, count: 0},
}

export interface SideRun {
  id: string
  dir: string
  seed: number | null
  json: Record<string, unknown>
}

export interface Stat {
  /** Median of the non-null samples (mean of the middle two for an even count); null when none. */
  median: number | null
  min: number | null
  max: number | null
  /** One per run of the side, in the side's run order; null where the run has no value. */
  samples: (number | null)[]
}

export interface SideRow {
  key: string
  dimensions: Record<string, string | null>
  stat: Stat
}

export interface Side {
  /** Short unique name used in tables (directory name; "#2" added when two sides share one). */
  label: string
  /** The argument as the user gave it. */
  arg: string
  kind: 'run' | 'group'
  dir: string
  runs: SideRun[]
  /** Metric id → rows, in the metric query's order. */
  rows: Record<string, SideRow[]>
}

export interface CompareRow {
  metric: string
  section: Section
  unit: Unit
  polarity: Polarity
  /** The baseline row's dimensions (the candidate's when only the candidate has the row). */
  dimensions: Record<string, string | null>
  /** The candidate row's dimensions, when they differ from the baseline's (plugin versions). */
  candidate_dimensions?: Record<string, string | null>
  baseline: Stat | null
  candidate: Stat | null
  /** candidate median − baseline median. */
  delta: number | null
  /** delta / |baseline median|; ±Infinity when the baseline is 0 (null in JSON). */
  relative: number | null
  /** The noise threshold this row was judged with (in the metric's unit). */
  noise_threshold: number | null
  significant: boolean
  label: Label
}

// ---------------------------------------------------------------------------------------------
// Sides
// ---------------------------------------------------------------------------------------------

export interface SideRef {
  arg: string
  kind: 'run' | 'group'
  dir: string
  runDirs: string[]
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

/** A user argument → a run directory, or a repeat group and its runs (a path or a bare id under runsRoot). */
export function resolveSide(arg: string, runsRoot: string = DEFAULT_RUNS_ROOT): SideRef {
  const candidates = [arg]
  if (!arg.includes('/') && !arg.includes(path.sep) && !path.isAbsolute(arg)) candidates.push(path.join(runsRoot, arg))
  for (const c of candidates) {
    if (!isDir(c) || !existsSync(path.join(c, REPEAT_JSON))) continue
    const file = path.join(c, REPEAT_JSON)
    let runs: unknown
    try {
      runs = (JSON.parse(readFileSync(file, 'utf8')) as {runs?: unknown}).runs
    } catch (err) {
      throw new UserError(`${file}: not readable JSON (${(err as Error).message})`, {hint: 'replay the group again with --repeat'})
    }
    if (!Array.isArray(runs) || runs.length === 0 || !runs.every((r) => typeof r === 'string')) {
      throw new UserError(`${file}: expected "runs": a non-empty list of run directory names`, {hint: 'replay the group again with --repeat'})
    }
    return {arg, kind: 'group', dir: c, runDirs: (runs as string[]).map((r) => resolveRunDir(path.join(c, r)))}
  }
  const dir = resolveRunDir(arg, runsRoot)
  return {arg, kind: 'run', dir, runDirs: [dir]}
}

/** Tallies: a row a run does not have means 0 (no drop of that reason, no violation of that kind). */
export function absentIsZero(m: MetricSpec): boolean {
  const countUnit = m.unit === 'replicas' || m.unit === 'count' || m.unit === 'frames'
  return countUnit && (m.aggregate === true || m.view === 'switching_violations')
}

export function dimensionKey(dims: Record<string, string | null>, names: readonly string[], stripVersion = false): string {
  return names
    .map((n) => {
      const v = dims[n]
      if (v === null || v === undefined) return '\u0000'
      return stripVersion && n === 'plugin' ? v.replace(/@[^@]*$/, '') : v
    })
    .join('\u0001')
}

/** Median (mean of the middle two for an even count), min and max of the non-null samples. */
export function stat(samples: (number | null)[]): Stat {
  const xs = samples.filter((x): x is number => x !== null && !Number.isNaN(x)).sort((a, b) => a - b)
  if (xs.length === 0) return {median: null, min: null, max: null, samples}
  const mid = xs.length >> 1
  const median = xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
  return {median, min: xs[0], max: xs[xs.length - 1], samples}
}

/** A side from metric values (evaluateMetrics output over the side's runs). */
export function buildSide(ref: Pick<SideRef, 'arg' | 'kind' | 'dir'>, runs: SideRun[], values: Record<string, MetricValue[]>, label?: string): Side {
  const runIndex = new Map(runs.map((r, i) => [r.id, i]))
  const rows: Record<string, SideRow[]> = {}
  for (const m of METRICS) {
    const byKey = new Map<string, {dimensions: Record<string, string | null>; samples: (number | null)[]}>()
    const fill = absentIsZero(m) ? 0 : null
    for (const v of values[m.id] ?? []) {
      const i = runIndex.get(v.run_id)
      if (i === undefined) throw new Error(`compare: metric ${m.id} returned a row of run ${v.run_id}, which is not on this side`)
      const key = dimensionKey(v.dimensions, m.dimensions)
      let e = byKey.get(key)
      if (!e) byKey.set(key, (e = {dimensions: v.dimensions, samples: runs.map(() => fill)}))
      e.samples[i] = v.value
    }
    rows[m.id] = [...byKey].map(([key, e]) => ({key, dimensions: e.dimensions, stat: stat(e.samples)}))
  }
  return {label: label ?? path.basename(path.resolve(ref.dir)), arg: ref.arg, kind: ref.kind, dir: ref.dir, runs, rows}
}

export interface LoadOptions {
  /** DuckDB threads per session (default: DuckDB's). */
  threads?: number
}

/** Load a side's runs into one session and evaluate every metric on them. */
export async function loadSide(ref: SideRef, opts: LoadOptions = {}): Promise<Side> {
  const {AnalysisSession} = await import('../analysis/session.js')
  const session = await AnalysisSession.open(ref.runDirs, {threads: opts.threads})
  try {
    const values = await evaluateMetrics(session)
    const runs = session.runs.map((r) => ({id: r.id, dir: r.dir, seed: typeof r.json.seed === 'number' ? r.json.seed : null, json: r.json}))
    return buildSide(ref, runs, values)
  } finally {
    session.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing two sides
// ---------------------------------------------------------------------------------------------

function sameDims(a: Record<string, string | null>, b: Record<string, string | null>, names: readonly string[]): boolean {
  return names.every((n) => (a[n] ?? null) === (b[n] ?? null))
}

/** Pairs of rows (exact dimensions first, then equal apart from plugin versions when unique), in the baseline's order. */
function matchRows(m: MetricSpec, b: SideRow[], c: SideRow[]): [SideRow | null, SideRow | null][] {
  const partner = new Map<SideRow, SideRow>()
  const usedC = new Set<SideRow>()
  const cByKey = new Map(c.map((r) => [r.key, r]))
  for (const r of b) {
    const x = cByKey.get(r.key)
    if (x) {
      partner.set(r, x)
      usedC.add(x)
    }
  }
  if (m.dimensions.includes('plugin')) {
    const byLoose = (rows: SideRow[]) => {
      const g = new Map<string, SideRow[]>()
      for (const r of rows) {
        const k = dimensionKey(r.dimensions, m.dimensions, true)
        g.set(k, [...(g.get(k) ?? []), r])
      }
      return g
    }
    const gC = byLoose(c.filter((r) => !usedC.has(r)))
    for (const [k, rs] of byLoose(b.filter((r) => !partner.has(r)))) {
      const xs = gC.get(k)
      if (rs.length === 1 && xs?.length === 1) {
        partner.set(rs[0], xs[0])
        usedC.add(xs[0])
      }
    }
  }
  const pairs: [SideRow | null, SideRow | null][] = b.map((r) => [r, partner.get(r) ?? null])
  for (const r of c) if (!usedC.has(r)) pairs.push([null, r])
  return pairs
}

function zeroStat(n: number): Stat {
  return stat(Array.from({length: n}, () => 0))
}

/** Delta, relative delta, significance and label of one row (the noise rule in the header). */
export function judge(m: Pick<MetricSpec, 'unit' | 'polarity'>, b: Stat | null, c: Stat | null, noise: NoiseRule):
  Pick<CompareRow, 'delta' | 'relative' | 'noise_threshold' | 'significant' | 'label'> {
  const bv = b?.median ?? null
  const cv = c?.median ?? null
  if (bv === null && cv === null) return {delta: null, relative: null, noise_threshold: null, significant: false, label: 'unchanged'}
  if (bv === null) return {delta: null, relative: null, noise_threshold: null, significant: true, label: 'added'}
  if (cv === null) return {delta: null, relative: null, noise_threshold: null, significant: true, label: 'removed'}
  const delta = cv - bv
  const relative = bv === 0 ? (delta === 0 ? 0 : Math.sign(delta) * Infinity) : delta / Math.abs(bv)
  const thr = Math.max(noise.relative * Math.abs(bv), noise.floors[m.unit] ?? 0)
  const beyond = Math.abs(delta) > thr
  const repeats = b!.samples.filter((x) => x !== null).length > 1 || c!.samples.filter((x) => x !== null).length > 1
  const disjoint = c!.min! > b!.max! || c!.max! < b!.min!
  const significant = beyond && (!repeats || disjoint)
  let label: Label = 'unchanged'
  if (significant) {
    switch (m.polarity) {
      case 'lower_is_better':
        label = delta < 0 ? 'improvement' : 'regression'
        break
      case 'higher_is_better':
        label = delta > 0 ? 'improvement' : 'regression'
        break
      case 'zero_is_good':
        label = Math.abs(cv) < Math.abs(bv) ? 'improvement' : 'regression'
        break
      default:
        label = 'changed'
    }
  }
  return {delta, relative, noise_threshold: thr, significant, label}
}

/** Every metric row of the candidate against the baseline, in METRICS order. */
export function compareSides(base: Side, cand: Side, noise: NoiseRule = DEFAULT_NOISE): CompareRow[] {
  const out: CompareRow[] = []
  for (const m of METRICS) {
    const zero = absentIsZero(m)
    for (const [b, c] of matchRows(m, base.rows[m.id] ?? [], cand.rows[m.id] ?? [])) {
      const bs = b ? b.stat : zero ? zeroStat(base.runs.length) : null
      const cs = c ? c.stat : zero ? zeroStat(cand.runs.length) : null
      const dims = (b ?? c)!.dimensions
      const row: CompareRow = {
        metric: m.id,
        section: m.section,
        unit: m.unit,
        polarity: m.polarity,
        dimensions: dims,
        baseline: bs,
        candidate: cs,
        ...judge(m, bs, cs, noise),
      }
      if (b && c && !sameDims(b.dimensions, c.dimensions, m.dimensions)) row.candidate_dimensions = c.dimensions
      out.push(row)
    }
  }
  return out
}

/** Label counts. */
export function summarize(rows: readonly CompareRow[]): Record<Label, number> {
  const s = Object.fromEntries(LABELS.map((l) => [l, 0])) as Record<Label, number>
  for (const r of rows) s[r.label]++
  return s
}

// ---------------------------------------------------------------------------------------------
// Text for values (shared with the formatter and the threshold messages)
// ---------------------------------------------------------------------------------------------

/** A row's dimension values joined by '/', a changed plugin version shown as "ixgbevf@1.0.0→1.1.0"; "total" when none. */
export function rowKey(row: Pick<CompareRow, 'metric' | 'dimensions' | 'candidate_dimensions'>): string {
  const m = METRICS.find((x) => x.id === row.metric)
  const names = m ? m.dimensions : Object.keys(row.dimensions)
  if (names.length === 0) return 'total'
  return names
    .map((n) => {
      const b = row.dimensions[n] ?? '-'
      const c = row.candidate_dimensions?.[n] ?? b
      if (b === c) return b
      const at = b.lastIndexOf('@')
      return at > 0 && c.startsWith(b.slice(0, at + 1)) ? `${b}→${c.slice(at + 1)}` : `${b}→${c}`
    })
    .join('/')
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100)
}

export function formatValue(v: number | null, unit: Unit): string {
  if (v === null) return '-'
  switch (unit) {
    case 'ns':
    case 'ns/frame':
      return fmtNs(v)
    case 'ratio':
      return `${v.toFixed(2)}x`
    default:
      return num(v)
  }
}

export function formatDelta(v: number | null, unit: Unit): string {
  if (v === null) return '-'
  if (v === 0) return '0'
  return (v > 0 ? '+' : '-') + formatValue(Math.abs(v), unit)
}

export function formatRelative(r: number | null): string {
  if (r === null) return '-'
  if (!Number.isFinite(r)) return r > 0 ? '+∞%' : '-∞%'
  const p = r * 100
  return `${p > 0 ? '+' : p < 0 ? '-' : ''}${Math.abs(p).toFixed(1)}%`
}

// ---------------------------------------------------------------------------------------------
// The whole comparison
// ---------------------------------------------------------------------------------------------

export interface CompareOptions extends LoadOptions {
  runsRoot?: string
  noise?: NoiseRule
  /** Called before each side is loaded (progress on a terminal). */
  onLoad?: (arg: string, index: number, count: number) => void
}

/** Resolve and load every argument (first = baseline); the same directory is evaluated once. */
export async function loadSides(args: readonly string[], opts: CompareOptions = {}): Promise<Side[]> {
  if (args.length < 2) {
    throw new UserError(`compare needs a baseline and at least one candidate (got ${args.length} argument${args.length === 1 ? '' : 's'})`, {
      hint: 'npa-trace compare traces/runs/<baseline> traces/runs/<candidate>',
      exitCode: 2,
    })
  }
  const refs = args.map((a) => resolveSide(a, opts.runsRoot))
  const loaded = new Map<string, Side>()
  const sides: Side[] = []
  for (let i = 0; i < refs.length; i++) {
    const real = realpathSync(refs[i].dir)
    let s = loaded.get(real)
    if (!s) {
      opts.onLoad?.(refs[i].arg, i, refs.length)
      s = await loadSide(refs[i], opts)
      loaded.set(real, s)
    }
    sides.push({...s, arg: refs[i].arg})
  }
  // Unique labels: the directory name, "#2", "#3"... for repeats of a name.
  const seen = new Map<string, number>()
  for (const s of sides) {
    const n = (seen.get(s.label) ?? 0) + 1
    seen.set(s.label, n)
    if (n > 1) s.label = `${s.label}#${n}`
  }
  return sides
}
