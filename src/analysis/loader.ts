/**
 * Bulk loader: a run's Arrow IPC files → DuckDB tables, without JS row objects.
 *
 * Every record batch is cut into DuckDB vectors of 2048 rows; each column's bytes are copied straight
 * from the Arrow typed array into the data chunk's vector (`copy_data_to_vector`, a memcpy), validity
 * bitmaps likewise (Arrow's LSB-first bitmap has the layout of DuckDB's validity words), and the chunk
 * goes to the table through the appender. Measured in ../shared/reference/arrow-duckdb.md §2 (ii-a):
 * ≈ 5M rows/s, against 0.66M rows/s through the public per-value API.
 *
 * Dictionary columns become ENUM columns. One named ENUM type per dictionary (npa_event, npa_endpoint...)
 * serves every table and every loaded run, so joins between events, frames and config compare small
 * integers, and several runs can share one table with a `run_id` column (UNION of different ENUM
 * types would decay to VARCHAR). The Arrow Int16 codes are remapped through a lookup table into the
 * ENUM's storage width (uint8 up to 255 members) — a tight loop per 2048 rows, cheaper than the
 * alternative of VARCHAR columns (measured: see bench/analysis.bench.ts).
 *
 * The unsafe memcpy functions of @duckdb/node-bindings are used here and nowhere else.
 */
import * as fs from 'node:fs'
import {open} from 'node:fs/promises'
import * as path from 'node:path'
import duckdb from '@duckdb/node-bindings'
import {DuckDBDataChunk, DuckDBEnumType, DuckDBTypeId, quotedIdentifier, quotedString} from '@duckdb/node-api'
import type {DuckDBAppender, DuckDBConnection, DuckDBType} from '@duckdb/node-api'
import {RecordBatchReader, Type} from 'apache-arrow'
import type {Data, Field, RecordBatch, Schema, Vector} from 'apache-arrow'
import {UserError} from '../errors.js'
import {CONFIG_COLUMNS, EVENT_COLUMNS, FIXED_DICTIONARIES, FRAME_COLUMNS} from '../trace/schema.js'
import {FrameInfo, StageCollector, stageTableColumns, type StageInput} from './stages.js'
import type {ColumnSpec} from '../trace/schema.js'

/** DuckDB's standard vector size: rows per data chunk. */
const VECTOR_SIZE = 2048

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

function enumOf(types: DuckDBType[], plans: ColPlan[], name: string): DuckDBEnumType {
  const j = plans.findIndex((p) => p.name === name)
  if (j < 0 || types[j].typeId !== DuckDBTypeId.ENUM) throw new UserError(`events: column ${name} is missing or not dictionary-encoded`, {hint: 'replay the capture again'})
  return types[j] as DuckDBEnumType
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

const enum Kind {
  Copy, // fixed-width number: memcpy
  Enum, // dictionary codes remapped into the ENUM storage
  Bool, // Arrow bit-packed booleans → one byte each
  Utf8, // small tables only (config): through the public API
}

interface ColPlan {
  name: string
  kind: Kind
  /** DuckDB column type in CREATE TABLE. */
  sqlType: string
  /** Bytes per value in Arrow = in DuckDB (Copy). */
  width: number
  /** Enum: name of the ENUM type. */
  enumType: string | null
}

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
// Pass 2: batches → data chunks
// ---------------------------------------------------------------------------------------------

/** Reusable scratch for one column's values in one chunk. */
interface Scratch {
  u8: Uint8Array
  u16: Uint16Array
  u32: Uint32Array
}

function newScratch(): Scratch {
  return {u8: new Uint8Array(VECTOR_SIZE), u16: new Uint16Array(VECTOR_SIZE), u32: new Uint32Array(VECTOR_SIZE)}
}

/** How the Arrow dictionary's codes become the ENUM's member indices. */
interface Remap {
  map: Int32Array
  /** Code i is member i: copy (or narrow) the codes as they are. */
  identity: boolean
  /** Bytes per value of the ENUM's storage. */
  width: 1 | 2 | 4
}

function remapFor(cache: Map<Vector, Remap>, dict: Vector, en: DuckDBEnumType, file: string, column: string): Remap {
  let m = cache.get(dict)
  if (m) return m
  const values = dict.toArray() as unknown as (string | null)[]
  const map = new Int32Array(Math.max(1, values.length))
  let identity = true
  for (let i = 0; i < values.length; i++) {
    const idx = en.valueIndexes[values[i] ?? '']
    if (idx === undefined) throw new Error(`loader: ${file}: ${column} value "${values[i]}" is not in ${en.toString()}`)
    map[i] = idx
    if (idx !== i) identity = false
  }
  const width = en.internalTypeId === DuckDBTypeId.UTINYINT ? 1 : en.internalTypeId === DuckDBTypeId.USMALLINT ? 2 : 4
  m = {map, identity, width}
  cache.set(dict, m)
  return m
}

/**
 * Append every batch of `file` to the appender's table. Batches are read asynchronously (libuv thread
 * pool) one ahead of the append, so the disk read of batch k+1 overlaps the DuckDB append of batch k.
 */
async function appendFile(
  file: string, plans: ColPlan[], appender: DuckDBAppender, chunk: DuckDBDataChunk, types: DuckDBType[], scratch: Scratch[],
  remaps: Map<Vector, Remap>, stages: StageCollector | null, frameInfo: FrameInfo | null,
): Promise<number> {
  let fh
  try {
    fh = await open(file, 'r')
  } catch (err) {
    throw new UserError(`cannot open ${file}: ${(err as Error).message}`)
  }
  let rows = 0
  try {
    let reader
    try {
      reader = await RecordBatchReader.from(fh)
      await reader.open()
    } catch (err) {
      throw new UserError(`${file}: not a readable Arrow IPC file (${(err as Error).message})`, {hint: 'replay the capture again'})
    }
    let next = reader.next()
    for (;;) {
      const res = await next
      if (res.done) break
      next = reader.next() // start reading the following batch before appending this one
      rows += appendBatch(file, res.value, plans, appender, chunk, types, scratch, remaps, stages, frameInfo)
    }
  } finally {
    await fh.close()
  }
  return rows
}

function appendBatch(
  file: string, batch: RecordBatch, plans: ColPlan[], appender: DuckDBAppender, chunk: DuckDBDataChunk, types: DuckDBType[],
  scratch: Scratch[], remaps: Map<Vector, Remap>, stages: StageCollector | null, frameInfo: FrameInfo | null,
): number {
  const raw = chunk.chunk
  const cols: Data[] = plans.map((p) => {
    const child = batch.getChild(p.name)
    if (!child) throw new UserError(`${file}: column ${p.name} is missing from a record batch`, {hint: 'replay the capture again'})
    return child.data[0]
  })
  const maps: (Remap | null)[] = plans.map((p, j) =>
    p.kind === Kind.Enum ? remapFor(remaps, cols[j].dictionary as Vector, types[j] as DuckDBEnumType, file, p.name) : null)
  const n = batch.numRows
  if (stages) stages.add(stageInput(file, plans, cols, maps), n)
  if (frameInfo) {
    const j = (name: string) => plans.findIndex((p) => p.name === name)
    const need = ['packet_id', 'src_vm', 'host', 'dst_kind', 'vlan', 'len']
    if (need.some((c) => j(c) < 0) || !maps[j('src_vm')] || !maps[j('host')] || !maps[j('dst_kind')]) {
      throw new UserError(`${file}: frames need columns ${need.join(', ')}`, {hint: 'replay the capture again'})
    }
    frameInfo.add(
      {packet_id: cols[j('packet_id')], src_vm: cols[j('src_vm')], host: cols[j('host')], dst_kind: cols[j('dst_kind')], vlan: cols[j('vlan')], len: cols[j('len')]},
      {src_vm: maps[j('src_vm')]!.map, host: maps[j('host')]!.map, dst_kind: maps[j('dst_kind')]!.map},
      n,
    )
  }
  for (let off = 0; off < n; off += VECTOR_SIZE) {
    const len = Math.min(VECTOR_SIZE, n - off)
    duckdb.data_chunk_reset(raw)
    duckdb.data_chunk_set_size(raw, len)
    for (let j = 0; j < plans.length; j++) {
      const p = plans[j]
      const d = cols[j]
      const vec = duckdb.data_chunk_get_vector(raw, j)
      const start = d.offset + off
      switch (p.kind) {
        case Kind.Copy: {
          const v = d.values as Int16Array
          duckdb.copy_data_to_vector(vec, 0, v.buffer as ArrayBuffer, v.byteOffset + start * p.width, len * p.width)
          break
        }
        case Kind.Enum: {
          const m = maps[j]!
          const codes = d.values as Int16Array | Int32Array
          const s = scratch[j]
          const w = m.width
          if (m.identity && w === codes.BYTES_PER_ELEMENT) {
            duckdb.copy_data_to_vector(vec, 0, codes.buffer as ArrayBuffer, codes.byteOffset + start * w, len * w)
            break
          }
          const out = w === 1 ? s.u8 : w === 2 ? s.u16 : s.u32
          if (m.identity) out.set(codes.subarray(start, start + len)) // native narrowing copy: codes < 2^(8w)
          else {
            const map = m.map
            for (let i = 0; i < len; i++) out[i] = map[codes[start + i]]
          }
          duckdb.copy_data_to_vector(vec, 0, out.buffer as ArrayBuffer, 0, len * w)
          break
        }
        case Kind.Bool: {
          const bits = d.values as Uint8Array
          const out = scratch[j].u8
          for (let i = 0; i < len; i++) {
            const k = start + i
            out[i] = (bits[k >> 3] >> (k & 7)) & 1
          }
          duckdb.copy_data_to_vector(vec, 0, out.buffer as ArrayBuffer, 0, len)
          break
        }
        case Kind.Utf8: {
          // config only: a handful of rows per run
          const strs: string[] = []
          const child = batch.getChild(p.name)!
          for (let i = 0; i < len; i++) strs.push(String(child.get(off + i) ?? ''))
          chunk.setColumnValues(j, strs)
          break
        }
      }
      const bm = d.nullBitmap
      if (d.nullCount > 0 && bm && bm.length > 0) {
        duckdb.vector_ensure_validity_writable(vec)
        if ((start & 7) === 0) {
          duckdb.copy_data_to_vector_validity(vec, 0, bm.buffer as ArrayBuffer, bm.byteOffset + (start >> 3), (len + 7) >> 3)
        } else {
          // unaligned slice (never produced by our writer): repack the bits
          const out = scratch[j].u8
          out.fill(0, 0, (len + 7) >> 3)
          for (let i = 0; i < len; i++) {
            const k = start + i
            if ((bm[k >> 3] >> (k & 7)) & 1) out[i >> 3] |= 1 << (i & 7)
          }
          duckdb.copy_data_to_vector_validity(vec, 0, out.buffer as ArrayBuffer, 0, (len + 7) >> 3)
        }
      }
    }
    appender.appendDataChunk(chunk)
  }
  return n
}

/** The events batch's columns the stage collector reads. */
function stageInput(file: string, plans: ColPlan[], cols: Data[], maps: (Remap | null)[]): StageInput {
  const col = (name: string): number => {
    const j = plans.findIndex((p) => p.name === name)
    if (j < 0) throw new UserError(`${file}: column ${name} is missing`, {hint: 'replay the capture again'})
    return j
  }
  const d = (name: string) => cols[col(name)]
  const m = (name: string) => {
    const r = maps[col(name)]
    if (!r) throw new UserError(`${file}: column ${name} is not dictionary-encoded`, {hint: 'replay the capture again'})
    return r.map
  }
  return {
    t_ns: d('t_ns'), event: d('event'), packet_id: d('packet_id'), replica: d('replica'), host: d('host'), vm: d('vm'), mode: d('mode'),
    plugin: d('plugin'), ring: d('ring'), target: d('target'), reason: d('reason'), aux: d('aux'),
    maps: {event: m('event'), host: m('host'), vm: m('vm'), mode: m('mode'), plugin: m('plugin'), ring: m('ring'), target: m('target'), reason: m('reason')},
  }
}

// ---------------------------------------------------------------------------------------------
// Public entry
// ---------------------------------------------------------------------------------------------

/**
 * Load runs side by side: per run i, tables `_events_<i>`, `_frames_<i>`, `_config_<i>`; the caller
 * (session) joins them under views with a constant run_id column (UNION ALL views cost nothing to scan,
 * and a stored run_id column would cost a 21st column on every appended row). Also creates the shared
 * ENUM types, and `_runs` (one row per run: id, directory, run.json).
 */
export async function loadRuns(con: DuckDBConnection, runs: RunFiles[]): Promise<LoadStats> {
  const t0 = performance.now()
  const ids = runs.map((r) => r.id)
  const dup = ids.find((id, i) => ids.indexOf(id) !== i)
  if (dup !== undefined) {
    throw new UserError(`run ${dup} is given twice`, {hint: 'load each run once; two copies of one run have the same run_id in run.json'})
  }

  // Pass 1: heads (schema + dictionaries) of every file.
  const heads = new Map<string, FileHead>()
  for (const r of runs) for (const t of RUN_TABLES) for (const f of r.files[t.table]) heads.set(f, await readHead(f))

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
        const head = heads.get(f)!
        const p = head.schema.fields.map((fl) => planColumn(t.table, fl, f))
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
        const head = heads.get(f)!
        const order = [...plans.get(t.table)!].sort((a, b) => (a.name === 'target' ? -1 : b.name === 'target' ? 1 : 0))
        for (const c of order) if (c.enumType) addMembers(c.enumType, head.dicts.get(c.name) ?? [])
      }
    }
  }
  addMembers('npa_endpoint', ENDPOINT_FIXED)

  // Types and tables.
  const sql: string[] = []
  sql.push(`CREATE TYPE npa_run AS ENUM (${ids.map(quotedString).join(', ')})`)
  for (const [type, vals] of members) sql.push(`CREATE TYPE ${type} AS ENUM (${vals.map(quotedString).join(', ')})`)
  runs.forEach((_, i) => {
    for (const t of RUN_TABLES) {
      const cols = plans.get(t.table)!.map((c) => `${quotedIdentifier(c.name)} ${c.sqlType}`)
      sql.push(`CREATE TABLE ${t.base}_${i} (${cols.join(', ')})`)
    }
    const pkt = plans.get('events')!.find((c) => c.name === 'packet_id')?.sqlType ?? 'BIGINT'
    sql.push(`CREATE TABLE _replica_stage_${i} (${stageTableColumns(pkt)})`)
  })
  sql.push(`CREATE TABLE _runs (run_id npa_run NOT NULL, run_index INTEGER NOT NULL, dir VARCHAR NOT NULL, run_json JSON NOT NULL)`)
  await con.run(sql.join(';\n'))
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i]
    await con.run(`INSERT INTO _runs VALUES (${quotedString(r.id)}, ${i}, ${quotedString(path.resolve(r.dir))}, ${quotedString(JSON.stringify(r.json))})`)
  }

  const rows = {events: 0, frames: 0, config: 0} as Record<RunTable, number>
  const remaps = new Map<Vector, Remap>()
  // frames first: the stage table written after the events takes the frames' columns from FrameInfo
  const loadOrder = ['frames', 'config', 'events'].map((n) => RUN_TABLES.find((t) => t.table === n)!)
  for (let i = 0; i < runs.length; i++) {
    const nFrames = Number((runs[i].json.counts as {frames?: number} | undefined)?.frames ?? 0)
    const frameInfo = new FrameInfo(nFrames)
    for (const t of loadOrder) {
      const p = plans.get(t.table)!
      const appender = await con.createAppender(`${t.base}_${i}`)
      let closed = false
      try {
        const types: DuckDBType[] = []
        for (let c = 0; c < appender.columnCount; c++) types.push(appender.columnType(c))
        const chunk = DuckDBDataChunk.create(types)
        const scratch = p.map(() => newScratch())
        const stages = t.table === 'events' ? new StageCollector(enumOf(types, p, 'event'), enumOf(types, p, 'ring'), nFrames * 1.25) : null
        const fi = t.table === 'frames' ? frameInfo : null
        for (const f of runs[i].files[t.table]) rows[t.table] += await appendFile(f, p, appender, chunk, types, scratch, remaps, stages, fi)
        appender.closeSync()
        closed = true
        if (stages) await stages.appendTo(con, `_replica_stage_${i}`, frameInfo)
      } finally {
        if (!closed) appender.closeSync()
      }
    }
  }
  return {runs: runs.length, rows, seconds: (performance.now() - t0) / 1000}
}
