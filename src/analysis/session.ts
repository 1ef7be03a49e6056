/**
 * An analysis session: one embedded DuckDB (no server) holding one or more runs side by side, with
 * the SQL library's views on top.
 *
 * Why load into memory for each command (figures from issue 4, 10M rows × 12 columns on this machine
 * type): loading Arrow batches through the appender with data chunks filled from the typed arrays
 * takes ≈ 2 s, after which a percentile query takes ≈ 0.35 s; a JS table function streaming the
 * Arrow file instead re-scans it on every query (≈ 1.2 s each), and `analyze all` runs a dozen
 * queries, so loading once wins for every command that runs more than two queries. Writing a
 * `.duckdb` file costs ≈ 4 s once and then opens in ≈ 30 ms: worth it only when a run is analysed
 * repeatedly, so it is opt-in (`cache: true`, `--cache`): `<run>/.cache.duckdb`, rebuilt when
 * run.json or the SQL library changes, and used for single-run sessions (runs loaded side by side
 * need shared ENUM types, which separate cache files cannot give).
 */
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {DuckDBInstance, quotedIdentifier, quotedString} from '@duckdb/node-api'
import type {DuckDBConnection, DuckDBResultReader} from '@duckdb/node-api'
import {UserError} from '../errors.js'
import {resolveRunDir} from '../trace/rundir.js'
import {CONFIG_COLUMNS, EVENT_COLUMNS, FIXED_DICTIONARIES, FRAME_COLUMNS} from '../trace/schema.js'
import {loadLibrary, referencedViews, type Library, type LibraryModule, type LibraryObject} from './library.js'
import {RUN_TABLES, loadRuns, runFiles, type LoadStats, type RunFiles} from './loader.js'
import {stageTableColumns} from './stages.js'

export interface SessionOptions {
  /** DuckDB worker threads (default: DuckDB's, = cores). */
  threads?: number
  /** Use/refresh `<run>/.cache.duckdb` for a single-run session. */
  cache?: boolean
  /** Root for bare run ids (default traces/runs). */
  runsRoot?: string
}

export type Row = Record<string, unknown>

export interface QueryResult {
  columns: string[]
  types: string[]
  rows: Row[]
}

const CACHE_FILE = '.cache.duckdb'
const CACHE_META = '_cache_meta'

export class AnalysisSession {
  readonly runs: RunFiles[]
  readonly library: Library
  /** Load statistics (rows, seconds); null when opened from a cache. */
  readonly load: LoadStats | null
  readonly cacheUsed: 'none' | 'hit' | 'built'
  private readonly instance: DuckDBInstance
  private readonly con: DuckDBConnection
  /** Views already computed into tables. */
  readonly materialized = new Set<string>()
  /** Library modules whose views exist. */
  readonly installed = new Set<string>()

  /** Use AnalysisSession.open() or openEmpty(). */
  constructor(instance: DuckDBInstance, con: DuckDBConnection, runs: RunFiles[], library: Library, load: LoadStats | null,
    cacheUsed: 'none' | 'hit' | 'built') {
    this.instance = instance
    this.con = con
    this.runs = runs
    this.library = library
    this.load = load
    this.cacheUsed = cacheUsed
  }

  /** Open runs (directories or bare run ids) side by side. */
  static async open(args: string[], opts: SessionOptions = {}): Promise<AnalysisSession> {
    if (args.length === 0) throw new UserError('no run given', {hint: 'pass a run directory or run id (ls traces/runs)'})
    const runs = args.map((a) => runFiles(resolveRunDir(a, opts.runsRoot)))
    const library = loadLibrary()
    if (opts.cache && runs.length === 1) return openCached(runs[0], library, opts)
    const instance = await DuckDBInstance.create(':memory:')
    const con = await instance.connect()
    try {
      await configure(con, opts)
      const load = await loadRuns(con, runs)
      await createBaseViews(con, runs.length)
      return new AnalysisSession(instance, con, runs, library, load, 'none')
    } catch (err) {
      con.closeSync()
      instance.closeSync()
      throw err
    }
  }

  /**
   * A session over empty tables with the schema of the current trace format: every library view
   * exists and is empty (sql-reference reads the column types from it; tests use it as a smoke test).
   */
  static async openEmpty(): Promise<AnalysisSession> {
    const library = loadLibrary()
    const instance = await DuckDBInstance.create(':memory:')
    const con = await instance.connect()
    await createEmptyTables(con)
    await createBaseViews(con, 0)
    const session = new AnalysisSession(instance, con, [], library, null, 'none')
    await session.installModules(library.modules.map((m) => m.name))
    return session
  }

  /** Run SQL that returns nothing of interest (DDL, COPY); library views it names are made available first. */
  async exec(sql: string): Promise<void> {
    await this.prepareFor(sql)
    await this.con.run(sql)
  }

  /**
   * Create the views of the named modules and of the modules they require, in dependency order.
   * Modules are installed on first use: DuckDB binds a view when it is created, and binding the whole
   * library costs ≈ 0.6 s, which a query over `events` alone should not pay.
   */
  async installModules(names: string[]): Promise<void> {
    const want = new Set<string>()
    const add = (n: string) => {
      if (want.has(n)) return
      want.add(n)
      for (const r of this.library.modules.find((m) => m.name === n)?.requires ?? []) add(r)
    }
    for (const n of names) add(n)
    for (const m of this.library.modules) {
      if (!want.has(m.name) || this.installed.has(m.name)) continue
      await installModule(this.con, m)
      this.installed.add(m.name)
    }
  }

  /** Run a query and return its rows as plain JS values (BIGINT → number when exact, else string). */
  async query(sql: string): Promise<QueryResult> {
    await this.prepareFor(sql)
    const reader = await this.run(sql)
    return readerResult(reader)
  }

  /** Rows of a query (see query()). */
  async rows(sql: string): Promise<Row[]> {
    return (await this.query(sql)).rows
  }

  /** The raw DuckDB connection (for exports that stream results). */
  get connection(): DuckDBConnection {
    return this.con
  }

  /**
   * Compute the `@materialize` views that `sql` reads (directly or through other views) once, into
   * tables, so that the query and later ones reuse them. Safe to call repeatedly.
   */
  async prepareFor(sql: string): Promise<void> {
    const refs = referencedViews(this.library, sql)
    const mods = [...new Set(refs.map((o) => o.module))].filter((m) => !this.installed.has(m))
    if (mods.length > 0) await this.installModules(mods)
    const need = refs.filter((o) => o.materialize && !this.materialized.has(o.name))
    for (const o of need) await this.materialize(o)
  }

  /** Materialize the named library views (and the materializable views they read). */
  async materializeViews(names: string[]): Promise<void> {
    await this.prepareFor(names.join(' '))
  }

  close(): void {
    this.con.closeSync()
    this.instance.closeSync()
  }

  private async materialize(o: LibraryObject): Promise<void> {
    const table = `_mat_${o.name}`
    const t = performance.now()
    await this.con.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM ${o.name}`)
    if (process.env.NPA_TRACE_TIMING) process.stderr.write(`materialize ${o.name}: ${((performance.now() - t) / 1000).toFixed(2)} s\n`)
    await this.con.run(`CREATE OR REPLACE VIEW ${o.name} AS SELECT * FROM ${table}`)
    this.materialized.add(o.name)
  }

  private async run(sql: string): Promise<DuckDBResultReader> {
    try {
      return await this.con.runAndReadAll(sql)
    } catch (err) {
      throw new UserError(`SQL error: ${(err as Error).message.split('\n')[0]}`, {
        hint: 'npa-trace sql-reference lists the views and their columns',
        cause: err,
      })
    }
  }
}

async function configure(con: DuckDBConnection, opts: SessionOptions): Promise<void> {
  if (opts.threads !== undefined) await con.run(`SET threads = ${Math.max(1, Math.floor(opts.threads))}`)
}

/** `_events`, `_frames`, `_config`: every run's tables under one name, with the run's id as a constant column. */
async function createBaseViews(con: DuckDBConnection, nRuns: number): Promise<void> {
  // frames.packet_id may be written wider than events.packet_id (i64 vs u32): give it the events' type
  // so that the many joins on packet_id compare equal types (a cast per probe row otherwise).
  const packetType = nRuns === 0 ? null : String((await (await con.runAndReadAll(
    `SELECT data_type FROM duckdb_columns() WHERE table_name = '_events_0' AND column_name = 'packet_id'`)).getRowObjectsJS())[0]?.data_type ?? '')
  const runIds = nRuns === 0 ? [] : (await (await con.runAndReadAll('SELECT run_id::VARCHAR AS r FROM _runs ORDER BY run_index')).getRowObjectsJS()).map((r) => String(r.r))
  const tables: {table: string; base: string}[] = [...RUN_TABLES, {table: 'replica_stage', base: '_replica_stage'}]
  for (const t of tables) {
    const seq = t.table === 'events' ? 'rowid AS seq, ' : ''
    const parts = nRuns === 0
      ? [`SELECT NULL::npa_run AS run_id, ${t.table === 'events' ? 'NULL::BIGINT AS seq, ' : ''}* FROM ${t.base}_empty`]
      : runIds.map((id, i) => `SELECT ${quotedString(id)}::npa_run AS run_id, ${seq}${t.table === 'frames' ? framesColumns(packetType) : '*'} FROM ${t.base}_${i}`)
    await con.run(`CREATE OR REPLACE VIEW ${t.base === '_replica_stage' ? '_replica_stage_pre' : t.base} AS ${parts.join('\nUNION ALL\n')}`)
  }
}

function framesColumns(packetType: string | null): string {
  return packetType ? `packet_id::${packetType} AS packet_id, * EXCLUDE (packet_id)` : '*'
}

async function installModule(con: DuckDBConnection, m: LibraryModule): Promise<void> {
  try {
    await con.run(m.sql)
  } catch (err) {
    throw new Error(`SQL library module ${m.name} (${m.file}) failed to load: ${(err as Error).message}`)
  }
}

const SQL_TYPE: Record<string, string> = {i64: 'BIGINT', u32: 'UINTEGER', i32: 'INTEGER', u16: 'USMALLINT', i16: 'SMALLINT', u8: 'UTINYINT',
  bool: 'BOOLEAN', utf8: 'VARCHAR'}
const DICT_TYPE: Record<string, string> = {vm: 'npa_endpoint', target: 'npa_endpoint'}

/** Empty tables (and ENUM types) with the current schema, for openEmpty(). */
async function createEmptyTables(con: DuckDBConnection): Promise<void> {
  const sql: string[] = ["CREATE TYPE npa_run AS ENUM ('(none)')"] // DuckDB views cannot use an ENUM without members
  const made = new Set<string>()
  const enumType = (d: string): string => {
    const name = DICT_TYPE[d] ?? `npa_${d}`
    if (!made.has(name)) {
      made.add(name)
      const vals = name === 'npa_endpoint' ? ['external', 'pf', 'uplink'] : (FIXED_DICTIONARIES[d] ?? ['(none)'])
      sql.push(`CREATE TYPE ${name} AS ENUM (${vals.map(quotedString).join(', ')})`)
    }
    return name
  }
  const specs = {events: EVENT_COLUMNS, frames: FRAME_COLUMNS, config: CONFIG_COLUMNS}
  const tables: string[] = []
  for (const t of RUN_TABLES) {
    const cols = specs[t.table].map((c) => `${quotedIdentifier(c.name)} ${c.type.startsWith('dict:') ? enumType(c.type.slice(5)) : SQL_TYPE[c.type]}`)
    tables.push(`CREATE TABLE ${t.base}_empty (${cols.join(', ')})`)
  }
  sql.push(...tables)
  sql.push(`CREATE TABLE _replica_stage_empty (${stageTableColumns(SQL_TYPE[EVENT_COLUMNS.find((c) => c.name === 'packet_id')!.type])})`)
  sql.push('CREATE TABLE _runs (run_id npa_run NOT NULL, run_index INTEGER NOT NULL, dir VARCHAR NOT NULL, run_json JSON NOT NULL)')
  await con.run(sql.join(';\n'))
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/** BIGINT and friends come back as bigint; make them numbers when exact, strings otherwise. */
export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()
  if (Array.isArray(v)) return v.map(plainValue)
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    const o: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = plainValue(x)
    return o
  }
  return v
}

function readerResult(reader: DuckDBResultReader): QueryResult {
  const columns = reader.columnNames()
  const types = reader.columnTypes().map((t) => t.toString())
  const rows = reader.getRowObjectsJS().map((r) => plainValue(r) as Row)
  return {columns, types, rows}
}

// ---------------------------------------------------------------------------------------------
// Cache
// ---------------------------------------------------------------------------------------------

/** What the cache must match: run.json's bytes and the library's text (a new view needs new tables). */
/** Bump when the loader's tables change shape (stage table columns, base views). */
const CACHE_FORMAT = 'npa-trace analysis cache 1'

function cacheKey(run: RunFiles, lib: Library): string {
  const h = createHash('sha256')
  h.update(CACHE_FORMAT)
  h.update(fs.readFileSync(path.join(run.dir, 'run.json')))
  for (const m of lib.modules) h.update(m.sql)
  return h.digest('hex')
}

async function openCached(run: RunFiles, library: Library, opts: SessionOptions): Promise<AnalysisSession> {
  const file = path.join(run.dir, CACHE_FILE)
  const key = cacheKey(run, library)
  if (fs.existsSync(file)) {
    try {
      const instance = await DuckDBInstance.create(file, {access_mode: 'READ_ONLY'})
      const con = await instance.connect()
      const r = await (await con.runAndReadAll(`SELECT key FROM ${CACHE_META}`)).getRowObjectsJS()
      if (r.length === 1 && r[0].key === key) {
        await configure(con, opts)
        const session = new AnalysisSession(instance, con, [run], library, null, 'hit')
        for (const o of library.objects.values()) if (o.materialize) session.materialized.add(o.name) // computed when the cache was built
        for (const m of library.modules) session.installed.add(m.name) // and every view exists in the file
        return session
      }
      con.closeSync()
      instance.closeSync()
    } catch {
      // unreadable or from another DuckDB version: rebuild
    }
    fs.rmSync(file, {force: true})
    fs.rmSync(`${file}.wal`, {force: true})
  }
  let instance: DuckDBInstance
  try {
    instance = await DuckDBInstance.create(file)
  } catch (err) {
    throw new UserError(`cannot write the cache ${file}: ${(err as Error).message.split('\n')[0]}`, {hint: 'run without --cache'})
  }
  const con = await instance.connect()
  try {
    await configure(con, opts)
    const load = await loadRuns(con, [run])
    await createBaseViews(con, 1)
    await con.run(`CREATE TABLE ${CACHE_META} AS SELECT ${quotedString(key)} AS key`)
    const session = new AnalysisSession(instance, con, [run], library, load, 'built')
    await session.installModules(library.modules.map((m) => m.name))
    // The expensive views are what a cache is for: keep them computed in the file.
    await session.materializeViews([...library.objects.values()].filter((o) => o.materialize).map((o) => o.name))
    await con.run('CHECKPOINT')
    return session
  } catch (err) {
    con.closeSync()
    instance.closeSync()
    fs.rmSync(file, {force: true})
    throw err
  }
}
