/**
 * `npa-trace sql-reference`: every public view and macro of the SQL library with its description and
 * its columns (name, DuckDB type, description), generated from the SQL comments. Column types come from
 * DuckDB itself: the library is loaded over empty tables of the current trace schema.
 */
import {quotedIdentifier} from '@duckdb/node-api'
import {AnalysisSession} from './session.js'

export interface ReferenceColumn {
  name: string
  type: string
  description: string
}

export interface ReferenceObject {
  name: string
  kind: 'view' | 'macro'
  module: string
  description: string
  params?: string[]
  columns?: ReferenceColumn[]
}

export interface SqlReference {
  modules: {name: string; description: string; requires: string[]; objects: ReferenceObject[]}[]
}

export async function sqlReference(): Promise<SqlReference> {
  const s = await AnalysisSession.openEmpty()
  try {
    const modules: SqlReference['modules'] = []
    for (const m of s.library.modules) {
      const objects: ReferenceObject[] = []
      for (const o of m.objects) {
        if (o.internal) continue
        if (o.kind === 'macro') {
          objects.push({name: o.name, kind: 'macro', module: m.name, description: o.description, params: o.params})
          continue
        }
        const described = await s.rows(`DESCRIBE SELECT * FROM ${quotedIdentifier(o.name)}`)
        const typeOf = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]))
        const columns = o.columns.map((c) => ({name: c.name, type: shortType(typeOf.get(c.name) ?? '?'), description: c.description}))
        objects.push({name: o.name, kind: 'view', module: m.name, description: o.description, columns})
      }
      modules.push({name: m.name, description: m.description, requires: m.requires, objects})
    }
    return {modules}
  } finally {
    s.close()
  }
}

/** ENUM('a', 'b', ...) → ENUM; long lists are the run's dictionaries, not worth printing. */
function shortType(t: string): string {
  return t.startsWith('ENUM(') ? 'ENUM' : t
}

export function formatReference(ref: SqlReference): string {
  const out: string[] = ['# npa-trace SQL reference', '',
    'Views and macros available in `npa-trace query` (and analyze, compare, notebooks). Every view has a',
    'run_id column; several runs load side by side. Times are simulated ns. Generated from src/analysis/sql/*.sql.', '']
  for (const m of ref.modules) {
    out.push(`## ${m.name}${m.requires.length ? ` (uses ${m.requires.join(', ')})` : ''}`, '', m.description, '')
    for (const o of m.objects) {
      if (o.kind === 'macro') {
        out.push(`### ${o.name}(${(o.params ?? []).join(', ')}) — macro`, '', o.description, '')
        continue
      }
      out.push(`### ${o.name}`, '', o.description, '')
      const w = Math.max(...(o.columns ?? []).map((c) => c.name.length), 6)
      const tw = Math.max(...(o.columns ?? []).map((c) => c.type.length), 4)
      for (const c of o.columns ?? []) out.push(`  ${c.name.padEnd(w)}  ${c.type.padEnd(tw)}  ${c.description}`)
      out.push('')
    }
  }
  return out.join('\n')
}
