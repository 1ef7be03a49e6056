/**
 * The comparison as data: sides, findings, and per candidate the labelled rows. The command prints it
 * (format.ts) or writes it as JSON; thresholds.ts gates on it.
 */
import {comparability, groupConsistency, pluginChanges, sidePlugins, type Finding, type PluginChange} from './comparability.js'
import {DEFAULT_NOISE, compareSides, loadSides, summarize, type CompareOptions, type CompareRow, type Label, type NoiseRule, type Side} from './engine.js'

export interface SideSummary {
  label: string
  arg: string
  kind: 'run' | 'group'
  dir: string
  /** The side's runs; every Stat's samples are in this order. */
  runs: {id: string; dir: string; seed: number | null}[]
  capture: {path: string | null; sha256: string | null}
  /** VM plugins with counts. */
  plugins: Record<string, number>
}

export interface Comparison {
  candidate: string
  plugin_changes: PluginChange[]
  rows: CompareRow[]
  summary: Record<Label, number>
}

export interface CompareResult {
  baseline: SideSummary
  candidates: SideSummary[]
  noise: NoiseRule
  findings: Finding[]
  comparisons: Comparison[]
}

export function sideSummary(s: Side): SideSummary {
  const cap = (s.runs[0].json.capture ?? {}) as {path?: unknown; sha256?: unknown}
  return {
    label: s.label,
    arg: s.arg,
    kind: s.kind,
    dir: s.dir,
    runs: s.runs.map((r) => ({id: r.id, dir: r.dir, seed: r.seed})),
    capture: {path: typeof cap.path === 'string' ? cap.path : null, sha256: typeof cap.sha256 === 'string' ? cap.sha256 : null},
    plugins: sidePlugins(s),
  }
}

/** Compare loaded sides: the first is the baseline. */
export function compareLoaded(sides: readonly Side[], noise: NoiseRule = DEFAULT_NOISE): CompareResult {
  const [base, ...cands] = sides
  const findings: Finding[] = []
  const checked = new Set<string>()
  for (const s of sides) {
    if (s.kind === 'group' && !checked.has(s.dir)) findings.push(...groupConsistency(s))
    checked.add(s.dir)
  }
  for (const c of cands) findings.push(...comparability(base, c))
  return {
    baseline: sideSummary(base),
    candidates: cands.map(sideSummary),
    noise,
    findings,
    comparisons: cands.map((c) => {
      const rows = compareSides(base, c, noise)
      return {candidate: c.label, plugin_changes: pluginChanges(base, c), rows, summary: summarize(rows)}
    }),
  }
}

/** Resolve, load and compare run directories, run ids or repeat groups (first = baseline). */
export async function compare(args: readonly string[], opts: CompareOptions = {}): Promise<CompareResult> {
  return compareLoaded(await loadSides(args, opts), opts.noise ?? DEFAULT_NOISE)
}
