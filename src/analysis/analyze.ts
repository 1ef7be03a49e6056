/**
 * `npa-trace analyze`: run the report sections (latency, switching, migration, cpu) over a session and
 * return plain data; report.ts turns it into text. Each section reads public views only.
 */
import {evaluateMetrics, type MetricValue, type Section} from './metrics.js'
import type {AnalysisSession, Row} from './session.js'

export const SECTIONS = ['latency', 'switching', 'migration', 'cpu'] as const
export type AnalyzeSection = (typeof SECTIONS)[number]

export interface SectionResult {
  /** Set when the run has nothing for this section: the sentence to print instead of tables. */
  empty: string | null
  tables: Record<string, Row[]>
  seconds: number
}

export interface AnalyzeResult {
  runs: Row[]
  overview: Row[]
  sections: Partial<Record<AnalyzeSection, SectionResult>>
  metrics: Record<string, MetricValue[]>
  /** Switching violations ((frame, endpoint) pairs) over all runs; 0 when switching was not analysed. */
  violations: number
  /** Violations by kind, summed over runs. */
  violationKinds: Record<string, number>
  timings: Record<string, number>
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now()
  const v = await f()
  return [v, (performance.now() - t) / 1000]
}

async function latencySection(s: AnalysisSession): Promise<SectionResult['tables']> {
  const latency = await s.rows(`SELECT * FROM latency WHERE grain IN ('run', 'direction', 'mode')
    ORDER BY run_id, CASE grain WHEN 'run' THEN 0 WHEN 'direction' THEN 1 ELSE 2 END, direction, mode, plugin`)
  const stages = await s.rows(`SELECT run_id, direction, mode, plugin, stage, paths, mean_ns, p99_ns, mean_share_ns
    FROM latency_stages ORDER BY run_id, direction, mode, plugin, stage_order`)
  return {latency, stages}
}

async function switchingSection(s: AnalysisSession): Promise<SectionResult['tables']> {
  const verdicts = await s.rows(`SELECT run_id, verdict, count(*) AS pairs, count(DISTINCT packet_id) AS frames
    FROM switching_check GROUP BY ALL ORDER BY run_id, verdict`)
  const violations = await s.rows(`SELECT run_id, kind, count, frames, endpoints, example_packet_ids
    FROM switching_violations ORDER BY run_id, kind`)
  const rules = await s.rows(`SELECT run_id, rule, count(*) AS pairs FROM switching_expected GROUP BY ALL ORDER BY run_id, rule`)
  return {verdicts, violations, rules}
}

async function migrationSection(s: AnalysisSession): Promise<SectionResult['tables']> {
  const modeSwitches = await s.rows(`SELECT run_id, vm, host, to_mode, result_mode, failure, plugin, t_begin, dur_ns, reclaimed, lost,
    lost_by_reason, delivered FROM mode_switches WHERE NOT at_boot ORDER BY run_id, t_begin, vm`)
  const bootSwitches = await s.rows(`SELECT run_id, count(*) AS switches, count(*) FILTER (result_mode IS DISTINCT FROM to_mode) AS failed,
    list(DISTINCT failure) FILTER (failure IS NOT NULL) AS failures FROM mode_switches WHERE at_boot GROUP BY run_id ORDER BY run_id`)
  const migrations = await s.rows(`SELECT * FROM migrations ORDER BY run_id, t_begin, vm`)
  const phases = await s.rows(`SELECT * FROM migration_phases ORDER BY run_id, vm, t_begin, phase`)
  return {modeSwitches, bootSwitches, migrations, phases}
}

async function cpuSection(s: AnalysisSession): Promise<SectionResult['tables']> {
  const byMode = await s.rows(`SELECT * FROM cpu_by_mode ORDER BY run_id, mode NULLS LAST, side`)
  const byVm = await s.rows(`SELECT * FROM cpu WHERE vm IS NOT NULL AND (tx_frames + rx_frames) > 0 ORDER BY run_id, vm, mode, side`)
  return {byMode, byVm}
}

/** Run the requested sections on an open session. */
export async function analyze(s: AnalysisSession, sections: readonly AnalyzeSection[]): Promise<AnalyzeResult> {
  const timings: Record<string, number> = {}
  const [runs, tRuns] = await timed(() =>
    s.rows(`SELECT run_id, dir, capture, sha256, seed, frames, events, sim_ns, plugins, scenario_source FROM runs ORDER BY run_index`))
  timings.runs = tRuns
  const [overview, tOv] = await timed(() =>
    s.rows(`SELECT run_id, outcome, count(*) AS replicas, count(DISTINCT packet_id) AS frames FROM packet_path GROUP BY run_id, outcome
      ORDER BY run_id, CASE outcome WHEN 'delivered' THEN 0 WHEN 'lost' THEN 1 WHEN 'dropped' THEN 2 ELSE 3 END`))
  timings.packet_path = tOv

  const out: AnalyzeResult['sections'] = {}
  for (const sec of sections) {
    const t = performance.now()
    let tables: SectionResult['tables']
    let empty: string | null = null
    switch (sec) {
      case 'latency':
        tables = await latencySection(s)
        if (tables.latency.length === 0) empty = 'no frame was delivered in this run, so there is no latency to report'
        break
      case 'switching':
        tables = await switchingSection(s)
        if (tables.verdicts.length === 0) empty = 'no Ethernet frame in this run, so nothing to check against the L2 rules'
        break
      case 'migration':
        tables = await migrationSection(s) // never empty as a whole: the report says which part has nothing
        break
      case 'cpu':
        tables = await cpuSection(s)
        if (tables.byMode.length === 0) empty = 'no event in this run charged any CPU'
        break
    }
    out[sec] = {empty, tables, seconds: (performance.now() - t) / 1000}
    timings[sec] = out[sec]!.seconds
  }
  const metricSections: Section[] = [...sections, 'drops']
  const [metrics, tM] = await timed(() => evaluateMetrics(s, metricSections))
  timings.metrics = tM

  const violationKinds: Record<string, number> = {}
  let violations = 0
  for (const r of out.switching?.tables.violations ?? []) {
    const n = Number(r.count)
    violations += n
    violationKinds[String(r.kind)] = (violationKinds[String(r.kind)] ?? 0) + n
  }
  return {runs, overview, sections: out, metrics, violations, violationKinds, timings}
}
