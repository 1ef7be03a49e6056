/**
 * The SQL library: `sql/*.sql`, one file per topic (module), in the manner of Perfetto's SQL stdlib
 * (../shared/reference/style-anchors.md §A): a file only defines views and macros; every public view
 * has a description and a comment per column in its column list, and those comments are the
 * documentation (`npa-trace sql-reference`). Names starting with `_` are internal and need no docs.
 *
 * File header:
 *   -- @module <name>          (= the file name)
 *   -- @requires <m1> <m2>     (modules this one uses; loaded first)
 *   -- <what the module is for>
 * Object doc: the comment lines right above `CREATE OR REPLACE VIEW|MACRO`. A view whose doc holds
 * `@materialize` is expensive and read by several others: a session may compute it once into a table.
 */
import * as fs from 'node:fs'
import {fileURLToPath} from 'node:url'

export interface LibraryColumn {
  name: string
  description: string
}

export interface LibraryObject {
  kind: 'view' | 'macro'
  name: string
  module: string
  /** The doc comment, tags removed. */
  description: string
  /** Declared columns (views with a column list). */
  columns: LibraryColumn[]
  /** Macro parameters. */
  params: string[]
  internal: boolean
  materialize: boolean
  /** The CREATE statement. */
  sql: string
  /** Library objects this one reads (direct). */
  deps: string[]
}

export interface LibraryModule {
  name: string
  file: string
  requires: string[]
  description: string
  objects: LibraryObject[]
  /** The whole file, run as one script. */
  sql: string
}

export interface Library {
  /** Modules in dependency order. */
  modules: LibraryModule[]
  objects: Map<string, LibraryObject>
}

/** Base tables the loader creates (dependencies that are not library objects). */
export const BASE_TABLES = ['_events', '_frames', '_config', '_runs', '_replica_stage_pre', '_path_base_pre', '_cpu_cost_pre', '_cpu_frames_pre', '_events_ctl']

/**
 * The sql/ directory. From the TypeScript sources it sits beside this file; from the compiled
 * dist/src/analysis/ it is not copied by tsc, so fall back to the package's src/analysis/sql.
 */
export function sqlDir(): string {
  const candidates = [new URL('./sql/', import.meta.url), new URL('../../../src/analysis/sql/', import.meta.url)]
  for (const c of candidates) {
    const p = fileURLToPath(c)
    if (fs.existsSync(p)) return p
  }
  throw new Error(`npa-trace: SQL library not found (looked in ${candidates.map((c) => fileURLToPath(c)).join(', ')})`)
}

/** Split a SQL script into statements at `;` outside quotes and comments. */
export function splitStatements(sql: string): string[] {
  const out: string[] = []
  let start = 0
  let i = 0
  const n = sql.length
  while (i < n) {
    const c = sql[i]
    if (c === '-' && sql[i + 1] === '-') {
      const e = sql.indexOf('\n', i)
      i = e < 0 ? n : e + 1
    } else if (c === '/' && sql[i + 1] === '*') {
      const e = sql.indexOf('*/', i + 2)
      i = e < 0 ? n : e + 2
    } else if (c === "'" || c === '"') {
      let j = i + 1
      while (j < n) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2
          else break
        } else j++
      }
      i = j + 1
    } else if (c === ';') {
      out.push(sql.slice(start, i))
      start = i + 1
      i++
    } else i++
  }
  const rest = sql.slice(start)
  if (rest.replace(/--[^\n]*/g, '').trim() !== '') out.push(rest)
  return out.filter((s) => s.replace(/--[^\n]*/g, '').trim() !== '')
}

/** The text with comments and string literals blanked (for identifier scans). */
function codeOnly(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
}

const CREATE_RE = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(VIEW|MACRO)\s+([A-Za-z_][A-Za-z0-9_]*)\s*(\(?)/i

function parseObject(stmt: string, module: string): LibraryObject | null {
  const lines = stmt.split('\n')
  const doc: string[] = []
  let k = 0
  for (; k < lines.length; k++) {
    const t = lines[k].trim()
    if (t.startsWith('--')) doc.push(t.replace(/^--\s?/, ''))
    else if (t === '') doc.length = 0 // a blank line ends a comment block that is not the doc
    else break
  }
  const body = lines.slice(k).join('\n')
  const m = CREATE_RE.exec(body)
  if (!m) return null
  const kind = m[1].toLowerCase() as 'view' | 'macro'
  const name = m[2]
  let description = doc.join(' ').replace(/\s+/g, ' ').trim()
  const materialize = /@materialize\b/.test(description)
  description = description.replace(/@materialize\b/g, '').replace(/\s+/g, ' ').trim()
  if (m[3] !== '(') {
    if (kind === 'macro') return null
    return {kind, name, module, description, columns: [], params: [], internal: name.startsWith('_'), materialize, sql: stmt.trim(), deps: []}
  }
  // The parenthesised list after the name: columns (views) or parameters (macros).
  const open = m.index + m[0].length
  let depth = 1
  let j = open
  while (j < body.length && depth > 0) {
    const c = body[j]
    if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === "'") j = body.indexOf("'", j + 1)
    else if (c === '-' && body[j + 1] === '-') j = body.indexOf('\n', j)
    if (j < 0) break
    j++
  }
  const list = body.slice(open, j - 1)
  const columns: LibraryColumn[] = []
  const params: string[] = []
  if (kind === 'view') {
    let pending: string[] = []
    for (const raw of list.split('\n')) {
      const t = raw.trim()
      if (t.startsWith('--')) pending.push(t.replace(/^--\s?/, ''))
      else if (t !== '') {
        for (const part of t.split(',')) {
          const col = part.trim().replace(/^"(.*)"$/, '$1')
          if (col === '') continue
          columns.push({name: col, description: pending.join(' ').trim()})
          pending = []
        }
      }
    }
  } else {
    for (const part of list.split(',')) if (part.trim() !== '') params.push(part.trim())
  }
  return {kind, name, module, description, columns, params, internal: name.startsWith('_'), materialize, sql: stmt.trim(), deps: []}
}

function parseModule(file: string, text: string): LibraryModule {
  const base = file.replace(/^.*\//, '').replace(/\.sql$/, '')
  const header: string[] = []
  let name = base
  let requires: string[] = []
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (!t.startsWith('--')) break
    const body = t.replace(/^--\s?/, '')
    const mm = /^@module\s+(\S+)/.exec(body)
    const mr = /^@requires\s+(.*)$/.exec(body)
    if (mm) name = mm[1]
    else if (mr) requires = mr[1].split(/[\s,]+/).filter(Boolean)
    else header.push(body)
  }
  if (name !== base) throw new Error(`${file}: @module ${name} does not match the file name`)
  const objects: LibraryObject[] = []
  for (const stmt of splitStatements(text)) {
    const o = parseObject(stmt, name)
    if (o) objects.push(o)
    else throw new Error(`${file}: a library module may only CREATE OR REPLACE VIEW or MACRO; found: ${stmt.trim().slice(0, 80)}`)
  }
  return {name, file, requires, description: header.join(' ').replace(/\s+/g, ' ').trim(), objects, sql: text}
}

let cached: Library | null = null

/** Parse every module of the library, in dependency order (cached). */
export function loadLibrary(dir: string = sqlDir()): Library {
  if (cached && dir === sqlDir()) return cached
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()
  const mods = new Map<string, LibraryModule>()
  for (const f of files) {
    const m = parseModule(`${dir.replace(/\/$/, '')}/${f}`, fs.readFileSync(`${dir}/${f}`, 'utf8'))
    mods.set(m.name, m)
  }
  const ordered: LibraryModule[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (name: string, from: string) => {
    const m = mods.get(name)
    if (!m) throw new Error(`SQL library: module ${from} requires unknown module ${name}`)
    if (state.get(name) === 'done') return
    if (state.get(name) === 'visiting') throw new Error(`SQL library: dependency cycle through ${name}`)
    state.set(name, 'visiting')
    for (const r of m.requires) visit(r, name)
    state.set(name, 'done')
    ordered.push(m)
  }
  for (const name of [...mods.keys()].sort()) visit(name, name)

  const objects = new Map<string, LibraryObject>()
  for (const m of ordered) {
    for (const o of m.objects) {
      if (objects.has(o.name)) throw new Error(`SQL library: ${o.name} is defined in ${objects.get(o.name)!.module} and ${m.name}`)
      objects.set(o.name, o)
    }
  }
  const names = [...objects.keys()]
  for (const o of objects.values()) {
    const code = codeOnly(o.sql.slice(o.sql.search(/\bAS\b/i)))
    o.deps = names.filter((n) => n !== o.name && new RegExp(`(?<![A-Za-z0-9_.])${n}(?![A-Za-z0-9_])`).test(code))
  }
  const lib = {modules: ordered, objects}
  if (dir === sqlDir()) cached = lib
  return lib
}

/** Library views a piece of SQL reads, directly or through other views, in dependency order. */
export function referencedViews(lib: Library, sql: string): LibraryObject[] {
  const code = codeOnly(sql)
  const seen = new Set<string>()
  const out: LibraryObject[] = []
  const add = (o: LibraryObject) => {
    if (seen.has(o.name)) return
    seen.add(o.name)
    for (const d of o.deps) add(lib.objects.get(d)!)
    out.push(o)
  }
  for (const o of lib.objects.values()) {
    if (new RegExp(`(?<![A-Za-z0-9_.])${o.name}(?![A-Za-z0-9_])`, 'i').test(code)) add(o)
  }
  return out
}
