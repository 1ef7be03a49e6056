/**
 * Metrics: a small declarative list over the SQL library's public views, shared by `analyze`,
 * `compare` (issue 6: baseline vs candidate per metric and dimension, labelled by polarity) and
 * notebooks (issue 7). In the manner of Perfetto's trace summary v2 metric specs
 * (../shared/reference/style-anchors.md §A.8): id, value, unit, polarity, dimensions, query.
 *
 * Every metric evaluates to rows (run_id, ...dimensions, value): `metricSql()` builds the query.
 * A metric reads public views only, never base tables, so its meaning is the views' documentation.
 */
import type {AnalysisSession} from './session.js'

export type Polarity = 'lower_is_better' | 'higher_is_better' | 'zero_is_good' | 'n/a'

export type Section = 'latency' | 'switching' | 'migration' | 'cpu' | 'drops'

export interface MetricSpec {
  id: string
  description: string
  /** The public view the value comes from. */
  view: string
  /** SQL expression for the value (over the view's columns, aggregated when `aggregate` is set). */
  value: string
  /** Optional filter on the view's rows. */
  where?: string
  /** Columns that identify a value (besides run_id); compare matches rows on them. */
  dimensions: string[]
  /** True when `value` is an aggregate over the view's rows grouped by run_id + dimensions. */
  aggregate?: boolean
  unit: 'ns' | 'frames' | 'replicas' | 'count' | 'ratio' | 'ns/frame'
  polarity: Polarity
  section: Section
}

const LAT = (q: string, col: string, what: string): MetricSpec => ({
  id: `latency_${q}_ns`,
  description: `${what} delivery latency (frame_in to delivery) by direction, mode and plugin`,
  view: 'latency',
  value: col,
  where: "grain = 'mode'",
  dimensions: ['direction', 'mode', 'plugin'],
  unit: 'ns',
  polarity: 'lower_is_better',
  section: 'latency',
})

export const METRICS: readonly MetricSpec[] = [
  LAT('p50', 'p50_ns', 'Median'),
  LAT('p90', 'p90_ns', '90th percentile'),
  LAT('p99', 'p99_ns', '99th percentile'),
  LAT('p999', 'p999_ns', '99.9th percentile'),
  LAT('max', 'max_ns', 'Largest'),
  LAT('mean', 'mean_ns', 'Mean'),
  {
    id: 'latency_p99_ns_by_vm',
    description: '99th percentile delivery latency per VM',
    view: 'latency',
    value: 'p99_ns',
    where: "grain = 'vm'",
    dimensions: ['direction', 'vm', 'mode', 'plugin'],
    unit: 'ns',
    polarity: 'lower_is_better',
    section: 'latency',
  },
  {
    id: 'delivered_replicas',
    description: 'Replicas delivered (to VMs and outside)',
    view: 'packet_path',
    value: 'count(*)',
    where: "outcome = 'delivered'",
    dimensions: [],
    aggregate: true,
    unit: 'replicas',
    polarity: 'n/a',
    section: 'drops',
  },
  {
    id: 'lost_replicas',
    description: 'Replicas lost for a legitimate reason (ring full, mode switch, migration, erratum...), by reason',
    view: 'drops',
    value: 'sum(replicas)',
    where: "outcome = 'lost'",
    dimensions: ['reason'],
    aggregate: true,
    unit: 'replicas',
    polarity: 'lower_is_better',
    section: 'drops',
  },
  {
    id: 'dropped_replicas',
    description: 'Replicas dropped by policy (anti-spoofing, VLAN filter) or invalid input, by reason',
    view: 'drops',
    value: 'sum(replicas)',
    where: "outcome = 'dropped'",
    dimensions: ['reason'],
    aggregate: true,
    unit: 'replicas',
    polarity: 'n/a',
    section: 'drops',
  },
  {
    id: 'switching_violations',
    description: 'Switching violations (frame, endpoint pairs) by kind; 0 when the switch followed the L2 rules',
    view: 'switching_violations',
    value: 'count',
    dimensions: ['kind'],
    unit: 'count',
    polarity: 'zero_is_good',
    section: 'switching',
  },
  {
    id: 'switching_in_transition',
    description: 'Frame/endpoint pairs that broke the rules of one instant while a configuration changed (not violations)',
    view: 'switching_check',
    value: 'count(*)',
    where: "verdict = 'in_transition'",
    dimensions: [],
    aggregate: true,
    unit: 'count',
    polarity: 'n/a',
    section: 'switching',
  },
  {
    id: 'mode_switch_ns',
    description: 'Duration of each mode switch after boot',
    view: 'mode_switches',
    value: 'dur_ns',
    where: 'NOT at_boot',
    dimensions: ['vm', 'to_mode', 't_begin'],
    unit: 'ns',
    polarity: 'lower_is_better',
    section: 'migration',
  },
  {
    id: 'mode_switch_lost',
    description: 'Replicas of the VM lost while a mode switch ran',
    view: 'mode_switches',
    value: 'lost',
    where: 'NOT at_boot',
    dimensions: ['vm', 'to_mode', 't_begin'],
    unit: 'replicas',
    polarity: 'lower_is_better',
    section: 'migration',
  },
  {
    id: 'migration_ns',
    description: 'Total duration of each live migration',
    view: 'migrations',
    value: 'dur_ns',
    dimensions: ['vm', 'strategy'],
    unit: 'ns',
    polarity: 'lower_is_better',
    section: 'migration',
  },
  {
    id: 'migration_blackout_ns',
    description: 'Longest time nothing was delivered to or from the migrating VM',
    view: 'migrations',
    value: 'blackout_ns',
    dimensions: ['vm', 'strategy'],
    unit: 'ns',
    polarity: 'lower_is_better',
    section: 'migration',
  },
  {
    id: 'migration_brownout_ns',
    description: 'Time the migrating VM’s deliveries were slower than its own baseline p99 (blackout excluded)',
    view: 'migrations',
    value: 'brownout_ns',
    dimensions: ['vm', 'strategy'],
    unit: 'ns',
    polarity: 'lower_is_better',
    section: 'migration',
  },
  {
    id: 'migration_lost',
    description: 'Replicas to or from the migrating VM lost during the migration',
    view: 'migrations',
    value: 'lost',
    dimensions: ['vm', 'strategy'],
    unit: 'replicas',
    polarity: 'lower_is_better',
    section: 'migration',
  },
  {
    id: 'migration_paused_ns',
    description: 'Stop-and-copy downtime (vm_pause to vm_resume)',
    view: 'migrations',
    value: 'paused_ns',
    dimensions: ['vm', 'strategy'],
    unit: 'ns',
    polarity: 'lower_is_better',
    section: 'migration',
  },
  {
    id: 'migration_latency_inflation',
    description: 'Mean latency during the migration divided by the VM’s mean before it',
    view: 'migrations',
    value: 'latency_inflation',
    dimensions: ['vm', 'strategy'],
    unit: 'ratio',
    polarity: 'lower_is_better',
    section: 'migration',
  },
  {
    id: 'cpu_ns_per_frame',
    description: 'CPU ns per frame sent or received, by mode and by whose CPU pays',
    view: 'cpu_by_mode',
    value: 'cpu_ns_per_frame',
    where: 'mode IS NOT NULL',
    dimensions: ['mode', 'side'],
    unit: 'ns/frame',
    polarity: 'lower_is_better',
    section: 'cpu',
  },
  {
    id: 'cpu_ns_per_frame_by_vm',
    description: 'CPU ns per frame sent or received, per VM, mode and side',
    view: 'cpu',
    value: 'cpu_ns_per_frame',
    where: 'vm IS NOT NULL AND cpu_ns_per_frame IS NOT NULL',
    dimensions: ['vm', 'mode', 'side'],
    unit: 'ns/frame',
    polarity: 'lower_is_better',
    section: 'cpu',
  },
]

/** The query that evaluates a metric: rows (run_id, ...dimensions, value), ordered. */
export function metricSql(m: MetricSpec): string {
  const dims = m.dimensions.map((d) => `${d}::VARCHAR AS ${d}`)
  const cols = ['run_id::VARCHAR AS run_id', ...dims, `${m.value} AS value`].join(', ')
  const where = m.where ? ` WHERE ${m.where}` : ''
  const group = m.aggregate ? ` GROUP BY ${['run_id', ...m.dimensions].join(', ')}` : ''
  const order = ['run_id', ...m.dimensions].map((c) => `${c} NULLS FIRST`).join(', ')
  return `SELECT ${cols} FROM ${m.view}${where}${group} ORDER BY ${order}`
}

export interface MetricValue {
  run_id: string
  dimensions: Record<string, string | null>
  value: number | null
}

/** Evaluate metrics on a session (all of them, or those of the given sections). */
export async function evaluateMetrics(session: AnalysisSession, sections?: readonly Section[]): Promise<Record<string, MetricValue[]>> {
  const out: Record<string, MetricValue[]> = {}
  for (const m of METRICS) {
    if (sections && !sections.includes(m.section)) continue
    const rows = await session.rows(metricSql(m))
    out[m.id] = rows.map((r) => ({
      run_id: String(r.run_id),
      dimensions: Object.fromEntries(m.dimensions.map((d) => [d, r[d] === null || r[d] === undefined ? null : String(r[d])])),
      value: r.value === null || r.value === undefined ? null : Number(r.value),
    }))
  }
  return out
}

export function metricById(id: string): MetricSpec | undefined {
  return METRICS.find((m) => m.id === id)
}
