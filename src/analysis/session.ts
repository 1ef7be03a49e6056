/**
 * An analysis session: one embedded DuckDB (no server) holding one or more runs side by side, with
 * the SQL library's views on top.
 *
 * Why the events are not copied into DuckDB (measured on bench/out/run-1m: 1M frames, 15.8M events ×
 * 20 columns, this 2-core machine): DuckDB's own insert costs 14-60 ns per value whatever the path
 * (appender with memcpy-filled chunks, CREATE TABLE AS), so copying the events took 17.8 s (0.89M
 * events/s; 65 % of it inside appendDataChunk) and cannot reach the 3 s that 5M events/s allows.
 * Instead:
 *  - `events` and `frames` are served by a JS table function (npa_scan, scan.ts) straight from the
 *    Arrow files: no load at all, ≈ 0.55 s per full scan of the events (projection pushdown: only
 *    the columns a query reads are copied);
 *  - the loader makes one pass over the events (stages.ts) and builds everything the library's views
 *    need from them — per-replica stages and paths, CPU sums, the control events — so no view and no
 *    `analyze` section scans the raw events. Open takes 2.1-2.5 s (6.4-7.7M events/s: reading
 *    0.8 GB, the fold, the tables);
 *  - the expensive views are computed once per session into tables (`@materialize`), from those.
 * `analyze all` then takes 6.3-7.1 s (was 11.2 s).
 * A `.cache.duckdb` beside the run (`cache: true`, `--cache`) copies the events and every computed
 * table into a database file once (≈ 27 s), then opens in ≈ 0.06 s with `analyze all` in ≈ 0.4 s:
 * for a run analysed repeatedly. It is rebuilt when run.json or the SQL library changes, and used for
 * single-run sessions (runs loaded side by side need shared ENUM types, which separate cache files
 * cannot give).
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
import {RUN_TABLES, loadRuns, runFiles, type LoadHandles, type LoadStats, type RunFiles} from './loader.js'
import {registerScan, type ScanRegistry} from './scan.js'
import {CPU_COST_TABLE, CPU_FRAMES_TABLE, PATH_TABLE, STAGE_TABLE, tableColumns} from './stages.js'

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
  /** What npa_scan serves (events, frames, the pass's tables), and the files behind it. */
  private readonly registry: ScanRegistry
  private readonly handles: LoadHandles
  /** Views already computed into tables. */
  readonly materialized = new Set<string>()
  /** Library modules whose views exist. */
  readonly installed = new Set<string>()

  /** Use AnalysisSession.open() or openEmpty(). */
  constructor(instance: DuckDBInstance, con: DuckDBConnection, runs: RunFiles[], library: Library, load: LoadStats | null,
    cacheUsed: 'none' | 'hit' | 'built', registry: ScanRegistry = new Map(), handles: LoadHandles = {files: []}) {
    this.instance = instance
    this.con = con
    this.registry = registry
    this.handles = handles
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
    const registry: ScanRegistry = new Map()
    const handles: LoadHandles = {files: []}
    try {
      await configure(con, opts, registry)
      const load = await loadRuns(con, runs, registry, handles)
      await createBaseViews(con, runs.length, false)
      return new AnalysisSession(instance, con, runs, library, load, 'none', registry, handles)
    } catch (err) {
      con.closeSync()
      instance.closeSync()
      for (const f of handles.files) f.close()
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
    await createBaseViews(con, 0, false)
    const session = new AnalysisSession(instance, con, [], library, null, 'none')
    await session.installModules(library.modules.map((m) => m.name))
    return session
  }

  /** Run SQL that returns nothing of interest (DDL, COPY); library views it names are made available first. */
  async exec(sql: string): Promise<void> {
    await this.prepareFor(sql)
    await track(this.con.run(sql))
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

  /** The raw DuckDB connection (for exports that stream results: await the work through track()). */
  get connection(): DuckDBConnection {
    return this.con
  }

  /** Await work on `connection` so that the process cannot hang if it exits meanwhile (see track below). */
  track<T>(work: Promise<T>): Promise<T> {
    return track(work)
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
    for (const f of this.handles.files) f.close()
    this.handles.files.length = 0
    this.registry.clear()
  }

  private async materialize(o: LibraryObject): Promise<void> {
    const table = `_mat_${o.name}`
    const t = performance.now()
    await track(this.con.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM ${o.name}`))
    if (process.env.NPA_TRACE_TIMING) process.stderr.write(`materialize ${o.name}: ${((performance.now() - t) / 1000).toFixed(2)} s\n`)
    await this.con.run(`CREATE OR REPLACE VIEW ${o.name} AS SELECT * FROM ${table}`)
    this.materialized.add(o.name)
  }

  private async run(sql: string): Promise<DuckDBResultReader> {
    try {
      return await track(this.con.runAndReadAll(sql))
    } catch (err) {
      throw new UserError(`SQL error: ${(err as Error).message.split('\n')[0]}`, {
        hint: 'npa-trace sql-reference lists the views and their columns',
        cause: err,
      })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Exit while a query runs
// ---------------------------------------------------------------------------------------------

let inFlight = 0
let exitHook = false

/**
 * Await DuckDB work that may scan through npa_scan, counted so that exiting meanwhile does not hang.
 *
 * Why: a DuckDB thread scanning npa_scan waits for the JS thread to fill its chunk. If the process
 * exits meanwhile (an uncaught error, EPIPE from `| head`, process.exit()), Node's exit joins its
 * thread pool, where that DuckDB thread waits for a JS callback that will never run: the process
 * hangs (@duckdb/node-bindings 1.5.6-r.1). So on exit with work in flight the process kills itself
 * (status 137) after saying why; Ctrl-C (default SIGINT) is not affected.
 */
export async function track<T>(work: Promise<T>): Promise<T> {
  if (!exitHook) {
    exitHook = true
    process.on('exit', () => {
      if (inFlight === 0) return
      try {
        fs.writeSync(2, 'npa-trace: exiting while a DuckDB query was running; stopping it the hard way\n')
      } catch {
        // stderr gone
      }
      process.kill(process.pid, 'SIGKILL')
    })
  }
  inFlight++
  try {
    return await work
  } finally {
    inFlight--
  }
}

async function configure(con: DuckDBConnection, opts: SessionOptions, registry: ScanRegistry): Promise<void> {
  if (opts.threads !== undefined) await con.run(`SET threads = ${Math.max(1, Math.floor(opts.threads))}`)
  const threads = Number((await (await con.runAndReadAll(`SELECT current_setting('threads') AS t`)).getRowObjectsJS())[0].t)
  registerScan(con, registry, threads)
}

/**
 * The base views the library reads, each the UNION ALL of every run's part with the run's id as a
 * constant column (a stored run_id would cost a column on every row): from npa_scan sources
 * (`fromTables` false) or from their copies `_src_<key>` in a cache file; `_config` and `_events_ctl`
 * are tables either way.
 */
const BASES: {base: string; src?: string; table?: string; empty: string}[] = [
  {base: '_events', src: 'events', empty: '_events_empty'},
  {base: '_frames', src: 'frames', empty: '_frames_empty'},
  {base: '_config', table: '_config', empty: '_config_empty'},
  {base: '_replica_stage_pre', src: 'stage', empty: '_replica_stage_empty'},
  {base: '_path_base_pre', src: 'path', empty: '_path_base_empty'},
  {base: '_cpu_cost_pre', src: 'cpu_cost', empty: '_cpu_cost_empty'},
  {base: '_cpu_frames_pre', src: 'cpu_frames', empty: '_cpu_frames_empty'},
  {base: '_events_ctl', table: '_events_ctl', empty: '_events_ctl_empty'},
]

/** Keys of a run's npa_scan sources. */
const SOURCE_KINDS = BASES.filter((b) => b.src).map((b) => b.src!)

async function createBaseViews(con: DuckDBConnection, nRuns: number, fromTables: boolean): Promise<void> {
  const from = (b: (typeof BASES)[number], i: number) => b.table ? `${b.table}_${i}` : fromTables ? `_src_${b.src}_${i}` : `npa_scan('${b.src}_${i}')`
  // frames.packet_id may be written wider than events.packet_id (i64 vs u32): give it the events' type
  // so that the many joins on packet_id compare equal types (a cast per probe row otherwise).
  const packetType = nRuns === 0 ? null : String((await (await con.runAndReadAll(
    `SELECT column_type FROM (DESCRIBE SELECT packet_id FROM ${from(BASES[0], 0)})`)).getRowObjectsJS())[0]?.column_type ?? '')
  const runIds = nRuns === 0 ? [] : (await (await con.runAndReadAll('SELECT run_id::VARCHAR AS r FROM _runs ORDER BY run_index')).getRowObjectsJS()).map((r) => String(r.r))
  for (const b of BASES) {
    const parts = nRuns === 0
      ? [`SELECT NULL::npa_run AS run_id, * FROM ${b.empty}`]
      : runIds.map((id, i) => `SELECT ${quotedString(id)}::npa_run AS run_id, ${b.base === '_frames' ? framesColumns(packetType) : '*'} FROM ${from(b, i)}`)
    await con.run(`CREATE OR REPLACE VIEW ${b.base} AS ${parts.join('\nUNION ALL\n')}`)
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
    tables.push(`CREATE TABLE ${t.base}_empty (${t.table === 'events' ? 'seq BIGINT, ' : ''}${cols.join(', ')})`)
  }
  sql.push(...tables)
  const pkt = SQL_TYPE[EVENT_COLUMNS.find((c) => c.name === 'packet_id')!.type]
  sql.push(`CREATE TABLE _replica_stage_empty (${tableColumns(STAGE_TABLE, pkt)})`)
  sql.push(`CREATE TABLE _path_base_empty (${tableColumns(PATH_TABLE, pkt)})`)
  sql.push(`CREATE TABLE _cpu_cost_empty (${tableColumns(CPU_COST_TABLE, pkt)})`)
  sql.push(`CREATE TABLE _cpu_frames_empty (${tableColumns(CPU_FRAMES_TABLE, pkt)})`)
  sql.push(`CREATE TABLE _events_ctl_empty AS SELECT * FROM _events_empty`)
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
const CACHE_FORMAT = 'npa-trace analysis cache 2'

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
        await configure(con, opts, new Map())
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
  const registry: ScanRegistry = new Map()
  const handles: LoadHandles = {files: []}
  try {
    await configure(con, opts, registry)
    const load = await loadRuns(con, [run], registry, handles)
    // the file must not depend on this process's scans: copy every source into a table (slow once)
    for (const k of SOURCE_KINDS) await track(con.run(`CREATE TABLE _src_${k}_0 AS SELECT * FROM npa_scan('${k}_0')`))
    await createBaseViews(con, 1, true)
    await con.run(`CREATE TABLE ${CACHE_META} AS SELECT ${quotedString(key)} AS key`)
    const session = new AnalysisSession(instance, con, [run], library, load, 'built', registry, handles)
    await session.installModules(library.modules.map((m) => m.name))
    // The expensive views are what a cache is for: keep them computed in the file.
    await session.materializeViews([...library.objects.values()].filter((o) => o.materialize).map((o) => o.name))
    await con.run('CHECKPOINT')
    return session
  } catch (err) {
    con.closeSync()
    instance.closeSync()
    for (const f of handles.files) f.close()
    fs.rmSync(file, {force: true})
    throw err
  }
}
