/**
 * Can these runs be compared? Differences between a candidate and the baseline that make a delta mean
 * something other than "the plugin changed", read from run.json (capture SHA-256, resolved scenario,
 * schema version, seed), and the plugin changes themselves.
 */
import type {Side, SideRun} from './engine.js'

export interface Finding {
  /** warning: the comparison mixes other changes in; note: expected in some workflows (seeds of repeats). */
  level: 'warning' | 'note'
  kind: 'capture' | 'scenario' | 'schema' | 'seed' | 'group'
  /** Label of the candidate side (or of the side whose own runs disagree). */
  side: string
  /** One line. */
  message: string
}

export interface PluginChange {
  vms: string[]
  from: string | null
  to: string | null
}

type Obj = Record<string, unknown>

function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {}
}

function sha(run: SideRun): string | null {
  const s = obj(run.json.capture).sha256
  return typeof s === 'string' ? s : null
}

function capturePath(run: SideRun): string {
  const p = obj(run.json.capture).path
  return typeof p === 'string' ? p : '?'
}

function schemaVersion(run: SideRun): string {
  const v = run.json.schema_version
  return v === undefined || v === null ? '?' : String(v)
}

/** The resolved scenario without what compare is about (plugins) or what repeats vary (seed) or describes it (source). */
export function comparableScenario(json: Obj): unknown {
  const s = structuredClone(obj(json.scenario))
  delete s.seed
  delete s.source
  if (Array.isArray(s.vms)) for (const v of s.vms) if (v && typeof v === 'object') delete (v as Obj).plugin
  return s
}

function show(v: unknown): string {
  if (v === undefined) return 'absent'
  const t = JSON.stringify(v)
  return t.length > 40 ? t.slice(0, 39) + '…' : t
}

/** Paths where two JSON values differ: "hosts[0].vfs: 8 → 4". */
export function jsonDiff(a: unknown, b: unknown, at = ''): string[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: string[] = []
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...jsonDiff(a[i], b[i], `${at}[${i}]`))
    return out
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: string[] = []
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    for (const k of keys) out.push(...jsonDiff((a as Obj)[k], (b as Obj)[k], at === '' ? k : `${at}.${k}`))
    return out
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${at || '(root)'}: ${show(a)} → ${show(b)}`]
}

function seeds(s: Side): (number | null)[] {
  return s.runs.map((r) => r.seed)
}

function list(xs: readonly string[], max = 3): string {
  return xs.length <= max ? xs.join('; ') : `${xs.slice(0, max).join('; ')} (+${xs.length - max} more)`
}

/** Findings for a candidate against the baseline (the candidate's own runs first, when they disagree). */
export function comparability(base: Side, cand: Side): Finding[] {
  const out: Finding[] = []
  const b = base.runs[0]
  const c = cand.runs[0]
  const bSha = sha(b)
  const cSha = sha(c)
  if (bSha !== cSha) {
    out.push({
      level: 'warning',
      kind: 'capture',
      side: cand.label,
      message: `capture differs: ${base.label} replayed ${capturePath(b)} (sha256 ${bSha?.slice(0, 12) ?? '?'}…), `
        + `${cand.label} replayed ${capturePath(c)} (sha256 ${cSha?.slice(0, 12) ?? '?'}…); the runs saw different traffic`,
    })
  }
  const diff = jsonDiff(comparableScenario(b.json), comparableScenario(c.json))
  if (diff.length > 0) {
    out.push({
      level: 'warning',
      kind: 'scenario',
      side: cand.label,
      message: `scenario differs apart from plugins and seed (${base.label} → ${cand.label}): ${list(diff)}`,
    })
  }
  if (schemaVersion(b) !== schemaVersion(c)) {
    out.push({
      level: 'warning',
      kind: 'schema',
      side: cand.label,
      message: `schema version differs: ${base.label} has ${schemaVersion(b)}, ${cand.label} has ${schemaVersion(c)}; `
        + 'replay both with one npa-trace version so the metrics mean the same',
    })
  }
  const bs = seeds(base)
  const cs = seeds(cand)
  if (JSON.stringify(bs) !== JSON.stringify(cs)) {
    const fmt = (x: (number | null)[]) => (x.length === 1 ? String(x[0]) : `${x[0]}..${x[x.length - 1]}`)
    out.push({
      level: 'note',
      kind: 'seed',
      side: cand.label,
      message: `seed differs: ${base.label} ${fmt(bs)}, ${cand.label} ${fmt(cs)} (the seed moves the DMA latency tail and guest CPU spread)`,
    })
  }
  return out
}

/** Findings within one side: the runs of a repeat group must share capture, scenario and schema. */
export function groupConsistency(side: Side): Finding[] {
  const out: Finding[] = []
  const first = side.runs[0]
  for (const r of side.runs.slice(1)) {
    const why: string[] = []
    if (sha(r) !== sha(first)) why.push('capture')
    if (jsonDiff(comparableScenario(first.json), comparableScenario(r.json)).length > 0) why.push('scenario')
    if (schemaVersion(r) !== schemaVersion(first)) why.push('schema version')
    if (why.length > 0) {
      out.push({level: 'warning', kind: 'group', side: side.label, message: `repeat group ${side.label}: run ${r.id} differs from ${first.id} in ${why.join(', ')}`})
    }
  }
  return out
}

/** VMs whose plugin differs between the baseline and the candidate, grouped by change. */
export function pluginChanges(base: Side, cand: Side): PluginChange[] {
  const vms = (s: Side): Map<string, string | null> => {
    const m = new Map<string, string | null>()
    const list = obj(s.runs[0].json.scenario).vms
    if (Array.isArray(list)) {
      for (const v of list) {
        const o = obj(v)
        if (typeof o.name === 'string') m.set(o.name, typeof o.plugin === 'string' ? o.plugin : null)
      }
    }
    return m
  }
  const b = vms(base)
  const c = vms(cand)
  const groups = new Map<string, PluginChange>()
  for (const [name, from] of b) {
    if (!c.has(name)) continue
    const to = c.get(name)!
    if (from === to) continue
    const k = `${from}\u0000${to}`
    let g = groups.get(k)
    if (!g) groups.set(k, (g = {vms: [], from, to}))
    g.vms.push(name)
  }
  return [...groups.values()]
}

/** Plugins of a side's VMs with counts: {"ixgbevf@1.0.0": 8}. */
export function sidePlugins(side: Side): Record<string, number> {
  const out: Record<string, number> = {}
  const list = obj(side.runs[0].json.scenario).vms
  if (Array.isArray(list)) {
    for (const v of list) {
      const p = obj(v).plugin
      const k = typeof p === 'string' ? p : '(emulated)'
      out[k] = (out[k] ?? 0) + 1
    }
  }
  return out
}
