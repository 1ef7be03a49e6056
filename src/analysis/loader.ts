/**
 * Loader: a run's Arrow IPC files → what a session queries, without JS row objects and without
 * inserting the bulk rows into DuckDB (why: session.ts).
 *
 *  - events, frames: served by the `npa_scan` table function straight from the Arrow files (scan.ts);
 *  - one JS pass over the events (stages.ts) makes the per-replica and CPU tables the SQL library
 *    reads (also served by npa_scan) and the small control-event table (inserted);
 *  - config (a handful of rows with strings) is inserted through the appender.
 *
 * Dictionary columns become ENUM columns. One named ENUM type per dictionary (npa_event, npa_endpoint...)
 * serves every table and every loaded run, so joins between events, frames and config compare small
 * integers, and several runs can share one view with a `run_id` column (UNION of different ENUM
 * types would decay to VARCHAR). The Arrow codes are remapped through a lookup table into the ENUM's
 * member indices when a run's dictionary order differs (several runs side by side).
 */
import * as fs from 'node:fs'
import {open} from 'node:fs/promises'
import * as path from 'node:path'
import duckdb from '@duckdb/node-bindings'
import {DuckDBDataChunk, DuckDBTypeId, quotedIdentifier, quotedString} from '@duckdb/node-api'
import type {DuckDBConnection, DuckDBEnumType, DuckDBType} from '@duckdb/node-api'
import {RecordBatchReader, Type} from 'apache-arrow'
import type {Data, Field, RecordBatch, Schema, Vector} from 'apache-arrow'
import {UserError} from '../errors.js'
import {CONFIG_COLUMNS, EVENT_COLUMNS, FIXED_DICTIONARIES, FRAME_COLUMNS} from '../trace/schema.js'
import type {ColumnSpec} from '../trace/schema.js'
import {ArrowFile} from './arrow-file.js'
import type {BatchBuffers} from './arrow-file.js'
import {ArrowSource, Kind, VECTOR_SIZE, fillFromArrow, newScratch, remapFor, type ArrowPart, type ColPlan, type Remap, type ScanRegistry} from './scan.js'
import {CPU_COST_TABLE, CPU_FRAMES_TABLE, EventPass, FrameInfo, PATH_TABLE, STAGE_TABLE, type PassSizes, type PassTypes} from './stages.js'

/** The three tables of a run and the ColumnSpecs that say which dictionary each column uses. */
export const RUN_TABLES = [
  {table: 'events', base: '_events', specs: EVENT_COLUMNS},
  {table: 'frames', base: '_frames', specs: FRAME_COLUMNS},
  {table: 'config', base: '_config', specs: CONFIG_COLUMNS},
] as const

export type RunTable = (typeof RUN_TABLES)[number]['table']

/**
 * ENUM type of each dictionary. vm, target (and frames.src_vm) share `npa_endpoint`: VM names plus
 * pf/uplink/external, so packet paths can compare a forward's target with a VM without casts.
 */
const DICT_TYPE: Record<string, string> = {
  event: 'npa_event',
  component: 'npa_component',
  mode: 'npa_mode',
  ring: 'npa_ring',
  side: 'npa_side',
  reason: 'npa_reason',
  detail: 'npa_detail',
  dst_kind: 'npa_dst_kind',
  host: 'npa_host',
  vm: 'npa_endpoint',
  target: 'npa_endpoint',
  plugin: 'npa_plugin',
}

/** Values every endpoint ENUM has, so SQL can name them even when a run never used them. */
const ENDPOINT_FIXED = ['external', 'pf', 'uplink']

export interface RunFiles {
  /** Run id (run.json run_id, else the directory name). */
  id: string
  dir: string
  /** Parsed run.json. */
  json: Record<string, unknown>
  files: Record<RunTable, string[]>
}

export interface LoadStats {
  runs: number
  rows: Record<RunTable, number>
  /** Seconds spent reading files and appending. */
  seconds: number
}

/** The files of a complete run directory (the caller resolved it with resolveRunDir). */
export function runFiles(dir: string): RunFiles {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch (err) {
    throw new UserError(`cannot read run directory ${dir}: ${(err as Error).message}`)
  }
  let json: Record<string, unknown>
  const jsonPath = path.join(dir, 'run.json')
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as Record<string, unknown>
  } catch (err) {
    throw new UserError(`${jsonPath}: not readable JSON (${(err as Error).message})`, {hint: 'replay the capture again to rewrite the run'})
  }
  const events = names.filter((n) => /^events(-\d+)?\.arrow$/.test(n)).sort()
  for (const need of ['frames.arrow', 'config.arrow']) {
    if (!names.includes(need)) throw new UserError(`${dir}: ${need} is missing; this run is incomplete`, {hint: 'replay the capture again'})
  }
  if (events.length === 0) throw new UserError(`${dir}: no events*.arrow; this run is incomplete`, {hint: 'replay the capture again'})
  const id = typeof json.run_id === 'string' && json.run_id !== '' ? json.run_id : path.basename(path.resolve(dir))
  return {
    id,
    dir,
    json,
    files: {
      events: events.map((n) => path.join(dir, n)),
      frames: [path.join(dir, 'frames.arrow')],
      config: [path.join(dir, 'config.arrow')],
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Column plans
// ---------------------------------------------------------------------------------------------

function dictName(table: RunTable, column: string): string {
  const spec = RUN_TABLES.find((t) => t.table === table)!.specs.find((c: ColumnSpec) => c.name === column)
  if (spec && spec.type.startsWith('dict:')) return spec.type.slice(5)
  return column
}

function planColumn(table: RunTable, field: Field, file: string): ColPlan {
  const t = field.type
  const name = field.name
  switch (t.typeId) {
    case Type.Int: {
      const bits = t.bitWidth as number
      const signed = t.isSigned as boolean
      const sqlType = signed
        ? ({8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT'} as Record<number, string>)[bits]
        : ({8: 'UTINYINT', 16: 'USMALLINT', 32: 'UINTEGER', 64: 'UBIGINT'} as Record<number, string>)[bits]
      return {name, kind: Kind.Copy, sqlType, width: bits / 8, enumType: null}
    }
    case Type.Float: {
      const bits = t.precision === 2 ? 64 : 32
      return {name, kind: Kind.Copy, sqlType: bits === 64 ? 'DOUBLE' : 'FLOAT', width: bits / 8, enumType: null}
    }
    case Type.Bool:
      return {name, kind: Kind.Bool, sqlType: 'BOOLEAN', width: 1, enumType: null}
    case Type.Utf8:
      return {name, kind: Kind.Utf8, sqlType: 'VARCHAR', width: 0, enumType: null}
    case Type.Dictionary: {
      const d = dictName(table, name)
      const enumType = DICT_TYPE[d] ?? `npa_${d}`
      return {name, kind: Kind.Enum, sqlType: enumType, width: 0, enumType}
    }
    default:
      throw new UserError(`${file}: column ${name} has Arrow type ${String(t)}, which npa-trace does not load`, {
        hint: 'the run was written by another version of npa-trace; replay the capture again',
      })
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 1: schemas and dictionaries (footers only; cheap)
// ---------------------------------------------------------------------------------------------

export interface FileHead {
  schema: Schema
  /** Dictionary values per column name. */
  dicts: Map<string, string[]>
}

/** Schema and dictionaries of an Arrow IPC file (also used by the Perfetto export). */
export async function readHead(file: string): Promise<FileHead> {
  let fh
  try {
    fh = await open(file, 'r')
  } catch (err) {
    throw new UserError(`cannot open ${file}: ${(err as Error).message}`)
  }
  try {
    const reader = await RecordBatchReader.from(fh)
    await reader.open()
    if (!reader.isFile()) throw new UserError(`${file}: not an Arrow IPC file (a stream?)`, {hint: 'replay the capture again'})
    const byId = (reader as unknown as {dictionaries: Map<number, Vector>}).dictionaries
    const dicts = new Map<string, string[]>()
    for (const f of reader.schema.fields) {
      if (f.type.typeId !== Type.Dictionary) continue
      const v = byId.get(f.type.id as number)
      dicts.set(f.name, v ? (v.toArray() as unknown as (string | null)[]).map((s) => s ?? '') : [])
    }
    const schema = reader.schema
    await reader.cancel()
    return {schema, dicts}
  } catch (err) {
    if (err instanceof UserError) throw err
    throw new UserError(`${file}: not a readable Arrow IPC file (${(err as Error).message})`, {hint: 'replay the capture again'})
  } finally {
    await fh.close()
  }
}


// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/** Remaps of an Arrow file's dictionary columns onto the session's ENUM types (null: not an ENUM column). */
function partFor(file: ArrowFile, plans: ColPlan[], types: DuckDBType[], remaps: Map<Vector, Remap>): ArrowPart {
  const maps = plans.map((p, j) => {
    if (p.kind !== Kind.Enum) return null
    const field = file.schema.fields.find((f) => f.name === p.name)!
    const dict = file.dictionaries.get(field.type.id as number)
    if (!dict) throw new UserError(`${file.path}: the dictionary of column ${p.name} is missing`, {hint: 'replay the capture again'})
    return remapFor(remaps, dict, types[j] as DuckDBEnumType, file.path, p.name)
  })
  return {file, maps}
}

/**
 * A file's batches in order, read synchronously (reading the next batch on the thread pool while
 * folding this one was measured no faster: the copy from the page cache is not the bottleneck).
 */
function* batches(file: ArrowFile, buffers: BatchBuffers): Generator<RecordBatch> {
  for (let b = 0; b < file.numBatches; b++) yield file.batch(b, buffers)
}

/** The columns of a batch in plan order. */
function batchColumns(file: ArrowFile, batch: RecordBatch, plans: ColPlan[]): Data[] {
  return plans.map((p) => {
    const c = batch.getChild(p.name)
    if (!c) throw new UserError(`${file.path}: column ${p.name} is missing from a record batch`, {hint: 'replay the capture again'})
    return c.data[0]
  })
}

/** Append a small table (config) through the appender, strings through the public API. */
async function appendSmall(con: DuckDBConnection, table: string, file: ArrowFile, plans: ColPlan[], remaps: Map<Vector, Remap>): Promise<number> {
  const appender = await con.createAppender(table)
  let rows = 0
  try {
    const types: DuckDBType[] = []
    for (let c = 0; c < appender.columnCount; c++) types.push(appender.columnType(c))
    const part = partFor(file, plans, types, remaps)
    const chunk = DuckDBDataChunk.create(types)
    const raw = chunk.chunk
    const scratch = plans.map(() => newScratch())
    for (let b = 0; b < part.file.numBatches; b++) {
      const batch = part.file.batch(b)
      const cols = batchColumns(part.file, batch, plans)
      for (let off = 0; off < batch.numRows; off += VECTOR_SIZE) {
        const len = Math.min(VECTOR_SIZE, batch.numRows - off)
        duckdb.data_chunk_reset(raw)
        duckdb.data_chunk_set_size(raw, len)
        for (let j = 0; j < plans.length; j++) {
          if (plans[j].kind === Kind.Utf8) {
            const child = batch.getChild(plans[j].name)!
            const strs: string[] = []
            for (let i = 0; i < len; i++) strs.push(String(child.get(off + i) ?? ''))
            chunk.setColumnValues(j, strs)
          } else fillFromArrow(plans[j], cols[j], part.maps[j], off, len, duckdb.data_chunk_get_vector(raw, j), scratch[j])
        }
        appender.appendDataChunk(chunk)
      }
      rows += batch.numRows
    }
  } finally {
    appender.closeSync()
  }
  return rows
}

/**
 * Array sizes for the pass from run.json's event counts (an estimate: arrays grow when short, which
 * costs a copy). Replicas = ended replicas (deliveries and drops) plus the few that were split up
 * (~3 % on the bench run).
 */
function passSizes(run: RunFiles, nFrames: number): PassSizes {
  const by = ((run.json.counts as {events_by_name?: Record<string, number>} | undefined)?.events_by_name ?? {}) as Record<string, number>
  const n = (k: string) => (typeof by[k] === 'number' ? by[k] : 0)
  const ended = n('shell_rx_deliver') + n('ext_deliver') + n('drop')
  return {
    replicas: ended > 0 ? ended * 1.05 + 1024 : nFrames * 1.25,
    doorbells: n('doorbell') || 1024,
    irqs: n('irq_raise') || 1024,
  }
}

/** DuckDB types of SQL type names (ENUMs as created), one query. */
async function resolveTypes(con: DuckDBConnection, names: string[]): Promise<Record<string, DuckDBType>> {
  const uniq = [...new Set(names)]
  const r = await con.runAndReadAll(`SELECT ${uniq.map((n, i) => `NULL::${n} AS c${i}`).join(', ')}`)
  const types = r.columnTypes()
  return Object.fromEntries(uniq.map((n, i) => [n, types[i]]))
}

/** What a session must release: the open Arrow files. */
export interface LoadHandles {
  files: ArrowFile[]
}

/**
 * Load runs side by side. Per run i: sources `events_<i>`, `frames_<i>`, `stage_<i>`, `path_<i>`,
 * `cpu_cost_<i>`, `cpu_frames_<i>` in `registry` (read through npa_scan), tables `_config_<i>` and
 * `_events_ctl_<i>`; the caller (session) joins them under views with a constant run_id column. Also
 * creates the shared ENUM types, and `_runs` (one row per run: id, directory, run.json).
 */
export async function loadRuns(con: DuckDBConnection, runs: RunFiles[], registry: ScanRegistry, handles: LoadHandles): Promise<LoadStats> {
  const t0 = performance.now()
  const ids = runs.map((r) => r.id)
  const dup = ids.find((id, i) => ids.indexOf(id) !== i)
  if (dup !== undefined) {
    throw new UserError(`run ${dup} is given twice`, {hint: 'load each run once; two copies of one run have the same run_id in run.json'})
  }

  // Heads (schema + dictionaries) of every file; the files stay open for the session's scans.
  const files = new Map<string, ArrowFile>()
  for (const r of runs) {
    for (const t of RUN_TABLES) {
      for (const f of r.files[t.table]) {
        const af = ArrowFile.open(f)
        handles.files.push(af)
        files.set(f, af)
      }
    }
  }
  const dictsOf = (af: ArrowFile, column: string): string[] => {
    const field = af.schema.fields.find((f) => f.name === column)
    if (!field || field.type.typeId !== Type.Dictionary) return []
    const v = af.dictionaries.get(field.type.id as number)
    return v ? (v.toArray() as unknown as (string | null)[]).map((s) => s ?? '') : []
  }

  // ENUM members. Fixed dictionaries in schema order, then each run's dictionaries in file order, so
  // that for the usual case (one run, or runs of one scenario) the Arrow codes ARE the ENUM indices and
  // load by memcpy. The endpoint type takes `target` (VMs, then pf, uplink, external) before `vm`.
  const members = new Map<string, string[]>()
  const addMembers = (type: string, values: readonly string[]) => {
    let m = members.get(type)
    if (!m) members.set(type, (m = []))
    for (const v of values) if (!m.includes(v)) m.push(v)
  }
  for (const [d, type] of Object.entries(DICT_TYPE)) if (FIXED_DICTIONARIES[d]) addMembers(type, FIXED_DICTIONARIES[d])
  const plans = new Map<RunTable, ColPlan[]>()
  for (const t of RUN_TABLES) {
    let ref: {file: string; sig: string} | null = null
    for (const r of runs) {
      for (const f of r.files[t.table]) {
        const p = files.get(f)!.schema.fields.map((fl) => planColumn(t.table, fl, f))
        const sig = p.map((c) => `${c.name}:${c.sqlType}`).join(',')
        if (ref === null) {
          ref = {file: f, sig}
          plans.set(t.table, p)
        } else if (ref.sig !== sig) {
          throw new UserError(`${f} has other columns than ${ref.file}; runs of different schema versions cannot be loaded together`, {
            hint: 'replay the older capture again with this version of npa-trace',
          })
        }
      }
    }
  }
  for (const r of runs) {
    for (const t of RUN_TABLES) {
      for (const f of r.files[t.table]) {
        const order = [...plans.get(t.table)!].sort((a, b) => (a.name === 'target' ? -1 : b.name === 'target' ? 1 : 0))
        for (const c of order) if (c.enumType) addMembers(c.enumType, dictsOf(files.get(f)!, c.name))
      }
    }
  }
  addMembers('npa_endpoint', ENDPOINT_FIXED)
  // a type the pass's tables name that no file has (DuckDB has no ENUM without members)
  for (const [, type] of STAGE_TABLE.concat(PATH_TABLE, CPU_COST_TABLE, CPU_FRAMES_TABLE)) if (type.startsWith('npa_') && !members.has(type)) addMembers(type, ['(none)'])

  // Types and the inserted tables.
  const evPlans = plans.get('events')!
  const pkt = evPlans.find((c) => c.name === 'packet_id')?.sqlType ?? 'BIGINT'
  const sql: string[] = []
  sql.push(`CREATE TYPE npa_run AS ENUM (${ids.map(quotedString).join(', ')})`)
  for (const [type, vals] of members) sql.push(`CREATE TYPE ${type} AS ENUM (${vals.map(quotedString).join(', ')})`)
  const cols = (t: RunTable) => plans.get(t)!.map((c) => `${quotedIdentifier(c.name)} ${c.sqlType}`).join(', ')
  runs.forEach((_, i) => {
    sql.push(`CREATE TABLE _config_${i} (${cols('config')})`)
    sql.push(`CREATE TABLE _events_ctl_${i} (seq BIGINT, ${cols('events')})`)
  })
  sql.push(`CREATE TABLE _runs (run_id npa_run NOT NULL, run_index INTEGER NOT NULL, dir VARCHAR NOT NULL, run_json JSON NOT NULL)`)
  await con.run(sql.join(';\n'))
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i]
    await con.run(`INSERT INTO _runs VALUES (${quotedString(r.id)}, ${i}, ${quotedString(path.resolve(r.dir))}, ${quotedString(JSON.stringify(r.json))})`)
  }
  const tableTypeNames = [...STAGE_TABLE, ...PATH_TABLE, ...CPU_COST_TABLE, ...CPU_FRAMES_TABLE].map(([, t]) => (t === 'PACKET' ? pkt : t))
  const byName = await resolveTypes(con, [...evPlans, ...plans.get('frames')!].map((p) => p.sqlType).concat(tableTypeNames, ['BIGINT']))
  byName.PACKET = byName[pkt]
  const typesOf = (t: RunTable) => plans.get(t)!.map((p) => byName[p.sqlType] ?? null)
  const passTypes: PassTypes = {
    event: byName.npa_event as DuckDBEnumType, ring: byName.npa_ring as DuckDBEnumType, endpoint: byName.npa_endpoint as DuckDBEnumType,
    mode: byName.npa_mode as DuckDBEnumType, side: byName.npa_side as DuckDBEnumType, byName,
  }
  for (const e of ['event', 'ring', 'endpoint', 'mode', 'side'] as const) {
    if (passTypes[e]?.typeId !== DuckDBTypeId.ENUM) throw new UserError(`events: no dictionary for ${e}`, {hint: 'replay the capture again'})
  }

  const rows = {events: 0, frames: 0, config: 0} as Record<RunTable, number>
  const remaps = new Map<Vector, Remap>()
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]
    // config: inserted
    const cfgPlans = plans.get('config')!
    for (const f of run.files.config) rows.config += await appendSmall(con, `_config_${i}`, files.get(f)!, cfgPlans, remaps)
    // frames: scanned; the pass needs each frame's sender, host, kind, VLAN and length
    const nFrames = Number((run.json.counts as {frames?: number} | undefined)?.frames ?? 0)
    const frameInfo = new FrameInfo(nFrames)
    const frPlans = plans.get('frames')!
    const frTypes = typesOf('frames')
    const frParts = run.files.frames.map((f) => partFor(files.get(f)!, frPlans, frTypes, remaps))
    const fj = (name: string) => {
      const j = frPlans.findIndex((p) => p.name === name)
      if (j < 0) throw new UserError(`${run.files.frames[0]}: frames need column ${name}`, {hint: 'replay the capture again'})
      return j
    }
    let nFr = 0
    const buffers: BatchBuffers = {bufs: [], next: 0}
    for (const part of frParts) {
      for (const batch of batches(part.file, buffers)) {
        const c = batchColumns(part.file, batch, frPlans)
        const m = (name: string) => {
          const r = part.maps[fj(name)]
          if (!r) throw new UserError(`${part.file.path}: column ${name} is not dictionary-encoded`, {hint: 'replay the capture again'})
          return r.map
        }
        frameInfo.add(
          {packet_id: c[fj('packet_id')], t_ns: c[fj('t_ns')], src_vm: c[fj('src_vm')], host: c[fj('host')], dst_kind: c[fj('dst_kind')], vlan: c[fj('vlan')], len: c[fj('len')]},
          {src_vm: m('src_vm'), host: m('host'), dst_kind: m('dst_kind')},
          batch.numRows,
        )
        nFr += batch.numRows
      }
    }
    rows.frames += nFr
    registry.set(`frames_${i}`, new ArrowSource(frParts, frPlans, frTypes, nFr, false))
    // events: one pass; scanned
    const evTypes = typesOf('events')
    const evParts = run.files.events.map((f) => partFor(files.get(f)!, evPlans, evTypes, remaps))
    const tFrames = performance.now()
    const pass = new EventPass(evPlans, passTypes, frameInfo, passSizes(run, nFrames))
    let nEv = 0
    for (const part of evParts) {
      for (const batch of batches(part.file, buffers)) {
        pass.add({cols: batchColumns(part.file, batch, evPlans), maps: part.maps, length: batch.numRows, rowBase: nEv})
        nEv += batch.numRows
      }
    }
    rows.events += nEv
    registry.set(`events_${i}`, new ArrowSource(evParts, evPlans, evTypes, nEv, true))
    const tPass = performance.now()
    const res = pass.finish()
    registry.set(`stage_${i}`, res.stage)
    registry.set(`path_${i}`, res.path)
    registry.set(`cpu_cost_${i}`, res.cpuCost)
    registry.set(`cpu_frames_${i}`, res.cpuFrames)
    if (res.ctl.rows > 0) {
      const appender = await con.createAppender(`_events_ctl_${i}`)
      try {
        const types: DuckDBType[] = []
        for (let c = 0; c < appender.columnCount; c++) types.push(appender.columnType(c))
        res.ctl.append(appender, types)
      } finally {
        appender.closeSync()
      }
    }
    if (process.env.NPA_TRACE_TIMING) {
      const f = (a: number, b: number) => `${((b - a) / 1000).toFixed(2)} s`
      process.stderr.write(`load ${run.id}: until frames done ${f(t0, tFrames)}, events pass ${f(tFrames, tPass)}, tables ${f(tPass, performance.now())}\n`)
    }
  }
  return {runs: runs.length, rows, seconds: (performance.now() - t0) / 1000}
}

