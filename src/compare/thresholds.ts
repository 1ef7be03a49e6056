/**
 * Regression gate for `npa-trace compare`: thresholds from `--fail-on` and `--thresholds file.yaml`,
 * checked against the compared rows.
 *
 * Syntax of one threshold (several in one `--fail-on` are separated by commas):
 *
 *     <metric>[<dimension>=<value>,...] <op> <limit>
 *
 *   op      >  >=  <  <=
 *   limit   +5% / -5% / 5%   relative change of the candidate against the baseline ((c − b) / |b|)
 *           +200 / -3        absolute change, in the metric's unit (ns metrics also take ns, us, µs, ms, s)
 *           0 / 60us         the candidate's own value (unsigned: "switching_violations>0" = any violation)
 *
 * The optional `[...]` keeps the rows whose dimensions have those values (a `plugin` filter matches
 * "name@version" or just "name"). With repeat groups every number is the median over the repeats.
 * A threshold is a plain number test: the noise rule that labels rows does not apply to it, since
 * the limit is the user's own tolerance.
 *
 * A bad threshold is a UserError with exit code 2, so a CI job can tell a misconfigured gate (2) from
 * a crossed one (1).
 */
import {readFileSync} from 'node:fs'
import {isSeq, LineCounter, parseDocument, type Node} from 'yaml'
import {UserError} from '../errors.js'
import {METRICS, metricById, type MetricSpec} from '../analysis/metrics.js'
import {formatDelta, formatRelative, formatValue, rowKey, type CompareRow} from './engine.js'

export type Comparator = '>' | '>=' | '<' | '<='
export type ThresholdKind = 'relative' | 'delta' | 'value'

export interface Threshold {
  /** The threshold as written (trimmed). */
  text: string
  /** Where it came from: "--fail-on" or "file.yaml:3". */
  origin: string
  metric: string
  /** Dimension filters (dimension → value). */
  where: Record<string, string>
  op: Comparator
  kind: ThresholdKind
  /** relative: a fraction (0.05 for +5%); delta and value: in the metric's unit. */
  limit: number
  /** The limit as written, for messages ("+5%", "0", "+2us"). */
  limit_text: string
}

export interface Crossing {
  threshold: Threshold
  candidate: string
  metric: string
  dimensions: Record<string, string | null>
  /** The number tested (fraction for relative thresholds; ±Infinity when the baseline was 0). */
  observed: number
  /** One line: "regression: latency_p99_ns vm_to_ext/passthrough/ixgbevf@1.0.0→1.1.0: +7.3% > +5%". */
  line: string
}

/** Bad threshold: exit code 2 (misconfigured gate), not 1 (crossed gate). */
const BAD_THRESHOLD_EXIT = 2

// µ: both the micro sign (U+00B5) and the Greek mu (U+03BC) that some keyboards give.
const TIME_UNITS: Record<string, number> = {ns: 1, us: 1e3, '\u00b5s': 1e3, '\u03bcs': 1e3, ms: 1e6, s: 1e9}
const SYNTAX = /^([A-Za-z0-9_]+)\s*(?:\[([^\]]*)\])?\s*(>=|<=|>|<)\s*([+-]?)\s*(\d+(?:\.\d*)?|\.\d+)\s*(%|ns|us|\u00b5s|\u03bcs|ms|s)?$/
const SYNTAX_HELP = 'expected <metric>[<dimension>=<value>,...]<op><limit> with op > >= < <= and limit N (candidate value), +N/-N (change) or +N% (relative change)'
const EXAMPLE = "e.g. --fail-on 'latency_p99_ns>+5%,switching_violations>0'"

function bad(origin: string, token: string, problem: string, hint = EXAMPLE): UserError {
  return new UserError(`${origin}: bad threshold "${token}": ${problem}`, {hint, exitCode: BAD_THRESHOLD_EXIT})
}

/** Edit distance, for "did you mean" on metric ids. */
function distance(a: string, b: string): number {
  const d = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]
    d[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return d[b.length]
}

function unknownMetric(origin: string, token: string, id: string): UserError {
  const best = METRICS.map((m) => ({id: m.id, d: distance(id, m.id)})).sort((x, y) => x.d - y.d)[0]
  const hint = best && best.d <= Math.max(2, Math.floor(id.length / 4))
    ? `did you mean ${best.id}? npa-trace compare --help lists the metrics`
    : `metrics: ${METRICS.map((m) => m.id).join(', ')}`
  return bad(origin, token, `unknown metric ${id}`, hint)
}

/** Split a `--fail-on` value on commas that are not inside `[...]`. */
export function splitThresholds(spec: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of spec) {
    if (ch === '[') depth++
    else if (ch === ']') depth = Math.max(0, depth - 1)
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out.map((s) => s.trim())
}

/** Parse one threshold. */
export function parseThreshold(token: string, origin = '--fail-on'): Threshold {
  const text = token.trim()
  if (text === '') throw bad(origin, token, 'empty threshold (two commas in a row, or a trailing comma?)')
  const id = /^[A-Za-z0-9_]+/.exec(text)?.[0]
  if (!id) throw bad(origin, text, `it must start with a metric id; ${SYNTAX_HELP}`)
  const metric = metricById(id)
  if (!metric) throw unknownMetric(origin, text, id)
  const m = SYNTAX.exec(text)
  if (!m) throw bad(origin, text, SYNTAX_HELP)
  const [, , filter, op, sign, num, suffix] = m
  const where = parseFilter(origin, text, metric, filter)
  let value = Number(num)
  if (!Number.isFinite(value)) throw bad(origin, text, `${num} is not a number`)
  let kind: ThresholdKind
  if (suffix === '%') {
    kind = 'relative'
    value /= 100
  } else {
    kind = sign === '' ? 'value' : 'delta'
    if (suffix !== undefined) {
      if (metric.unit !== 'ns' && metric.unit !== 'ns/frame') {
        throw bad(origin, text, `${metric.id} is in ${metric.unit}, so its limit takes no time unit (${suffix})`)
      }
      value *= TIME_UNITS[suffix]
    }
  }
  if (sign === '-') value = -value
  return {text, origin, metric: metric.id, where, op: op as Comparator, kind, limit: value, limit_text: `${sign}${num}${suffix ?? ''}`}
}

function parseFilter(origin: string, token: string, metric: MetricSpec, filter: string | undefined): Record<string, string> {
  const where: Record<string, string> = {}
  if (filter === undefined) return where
  for (const part of filter.split(',')) {
    const kv = /^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$/.exec(part)
    if (!kv || kv[2] === '') throw bad(origin, token, `"[${filter}]": expected [<dimension>=<value>,...]`)
    if (!metric.dimensions.includes(kv[1])) {
      const dims = metric.dimensions.length > 0 ? metric.dimensions.join(', ') : 'none'
      throw bad(origin, token, `${metric.id} has no dimension ${kv[1]} (its dimensions: ${dims})`)
    }
    where[kv[1]] = kv[2]
  }
  return where
}

/** Every threshold of one `--fail-on` value (comma-separated). */
export function parseThresholds(spec: string, origin = '--fail-on'): Threshold[] {
  return splitThresholds(spec).map((t) => parseThreshold(t, origin))
}

/**
 * A thresholds file: YAML with a list of thresholds, either at the top or under `fail_on`:
 *
 *     fail_on:
 *       - latency_p99_ns > +5%
 *       - switching_violations > 0
 *
 * Errors name the file and the line.
 */
export function loadThresholdsFile(file: string): Threshold[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new UserError(`--thresholds ${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message})`, {
      exitCode: BAD_THRESHOLD_EXIT,
    })
  }
  return parseThresholdsYaml(text, file)
}

export function parseThresholdsYaml(text: string, file: string): Threshold[] {
  const lc = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lc})
  const at = (n: Node | null | undefined): string => `${file}:${n?.range ? lc.linePos(n.range[0]).line : 1}`
  const hint = 'a thresholds file is a YAML list of thresholds, at the top or under fail_on:, e.g. "fail_on: [latency_p99_ns > +5%]"'
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const line = e.linePos?.[0].line ?? lc.linePos(e.pos[0]).line
    throw new UserError(`${file}:${line}: YAML syntax: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, {
      exitCode: BAD_THRESHOLD_EXIT,
    })
  }
  let list: Node | null = doc.contents as Node | null
  if (list !== null && !isSeq(list)) {
    const js = doc.toJS() as unknown
    const keys = js !== null && typeof js === 'object' ? Object.keys(js as object) : []
    const other = keys.filter((k) => k !== 'fail_on')
    if (keys.length === 0 || other.length > 0) {
      throw new UserError(`${at(list)}: ${other.length > 0 ? `unknown key ${other[0]}` : 'expected a list of thresholds'}`, {
        hint,
        exitCode: BAD_THRESHOLD_EXIT,
      })
    }
    list = doc.get('fail_on', true) as Node | null
  }
  if (list === null || list === undefined || !isSeq(list)) {
    throw new UserError(`${at(list)}: expected a list of thresholds`, {hint, exitCode: BAD_THRESHOLD_EXIT})
  }
  const out: Threshold[] = []
  for (const item of list.items as Node[]) {
    const v = (item as {value?: unknown}).value
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw new UserError(`${at(item)}: each threshold is one string like "latency_p99_ns > +5%"`, {hint, exitCode: BAD_THRESHOLD_EXIT})
    }
    // One item may hold several comma-separated thresholds, like --fail-on.
    for (const t of splitThresholds(String(v))) out.push(parseThreshold(t, at(item)))
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------------

function holds(x: number, op: Comparator, limit: number): boolean {
  switch (op) {
    case '>':
      return x > limit
    case '>=':
      return x >= limit
    case '<':
      return x < limit
    case '<=':
      return x <= limit
  }
}

/** Plugin filters match "name@version" exactly or the name alone; other dimensions match exactly. */
function matches(t: Threshold, row: CompareRow): boolean {
  for (const [k, want] of Object.entries(t.where)) {
    const vals = [row.dimensions[k], row.candidate_dimensions?.[k]]
    const ok = vals.some((v) => v !== null && v !== undefined && (v === want || (k === 'plugin' && v.replace(/@[^@]*$/, '') === want)))
    if (!ok) return false
  }
  return true
}

export interface ThresholdCheck {
  crossed: Crossing[]
  /** Thresholds with a dimension filter that matched no row of their metric (a typo is likely). */
  unmatched: Threshold[]
}

/**
 * Check every threshold against every candidate's rows. Rows where the tested number does not exist
 * (a side without the row, a null value) cannot cross a threshold.
 */
export function checkThresholds(thresholds: readonly Threshold[], comparisons: readonly {candidate: string; rows: CompareRow[]}[]): ThresholdCheck {
  const crossed: Crossing[] = []
  const unmatched: Threshold[] = []
  const many = comparisons.length > 1
  for (const t of thresholds) {
    const unit = metricById(t.metric)!.unit
    let any = false
    for (const c of comparisons) {
      for (const row of c.rows) {
        if (row.metric !== t.metric || !matches(t, row)) continue
        any = true
        const observed = t.kind === 'relative' ? row.relative : t.kind === 'delta' ? row.delta : (row.candidate?.median ?? null)
        if (observed === null || Number.isNaN(observed) || !holds(observed, t.op, t.limit)) continue
        const shown = t.kind === 'relative' ? formatRelative(observed) : t.kind === 'delta' ? formatDelta(observed, unit) : formatValue(observed, unit)
        const line = `regression: ${t.metric} ${rowKey(row)}: ${shown}${t.kind === 'relative' && !Number.isFinite(observed) ? ' (baseline 0)' : ''} ${t.op} ${t.limit_text}${many ? ` (candidate ${c.candidate})` : ''}`
        crossed.push({threshold: t, candidate: c.candidate, metric: t.metric, dimensions: row.candidate_dimensions ?? row.dimensions, observed, line})
      }
    }
    if (!any && Object.keys(t.where).length > 0) unmatched.push(t)
  }
  return {crossed, unmatched}
}
