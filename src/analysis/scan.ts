/**
 * `npa_scan(key)`: one DuckDB table function that serves every large table of a session from JS
 * without inserting it into DuckDB — the run's events and frames (streamed from their Arrow files,
 * one record batch in memory) and the per-replica tables the loader's pass computes (typed arrays).
 *
 * Why not insert: DuckDB's own insert costs 14-60 ns per value on this 2-core machine whatever the
 * path (appender with memcpy-filled chunks, CREATE TABLE AS), so 15.8M events × 20 columns take ≈ 18 s
 * to load (0.89M events/s); a scan instead costs one JS callback per 2048 rows plus a memcpy of the
 * projected columns only (projection pushdown). Figures in session.ts.
 *
 * Each call fills the next ≤ 2048 rows of the projected columns straight into the output vectors
 * (`copy_data_to_vector`, a memcpy; validity likewise). DuckDB may run the scan on several threads;
 * the callbacks are serialised on the JS thread, so one cursor per scan is safe, and the other
 * threads run the rest of the pipeline in parallel. The unsafe memcpy functions of
 * @duckdb/node-bindings are used here and in loader.ts only.
 */
import duckdb from '@duckdb/node-bindings'
import {BIGINT, DuckDBDataChunk, DuckDBTableFunction, DuckDBTypeId, VARCHAR} from '@duckdb/node-api'
import type {DuckDBConnection, DuckDBEnumType, DuckDBType} from '@duckdb/node-api'
import type {Data, RecordBatch, Vector} from 'apache-arrow'
import {UserError} from '../errors.js'
import type {ArrowFile, BatchBuffers} from './arrow-file.js'

/** DuckDB's standard vector size: rows per data chunk. */
export const VECTOR_SIZE = 2048

export type RawVector = ReturnType<typeof duckdb.data_chunk_get_vector>
type RawChunk = DuckDBDataChunk['chunk']

// ---------------------------------------------------------------------------------------------
// Arrow column → DuckDB vector
// ---------------------------------------------------------------------------------------------

export const enum Kind {
  Copy, // fixed-width number: memcpy
  Enum, // dictionary codes remapped into the ENUM storage
  Bool, // Arrow bit-packed booleans → one byte each
  Utf8, // small tables only (config): through the public API
}

export interface ColPlan {
  name: string
  kind: Kind
  /** DuckDB column type in CREATE TABLE. */
  sqlType: string
  /** Bytes per value in Arrow = in DuckDB (Copy). */
  width: number
  /** Enum: name of the ENUM type. */
  enumType: string | null
}

/** How the Arrow dictionary's codes become the ENUM's member indices. */
export interface Remap {
  map: Int32Array
  /** Code i is member i: copy (or narrow) the codes as they are. */
  identity: boolean
  /** Bytes per value of the ENUM's storage. */
  width: 1 | 2 | 4
}

export function enumWidth(t: DuckDBEnumType): 1 | 2 | 4 {
  return t.internalTypeId === DuckDBTypeId.UTINYINT ? 1 : t.internalTypeId === DuckDBTypeId.USMALLINT ? 2 : 4
}

/** The remap of one Arrow dictionary onto an ENUM type (cached per dictionary vector). */
export function remapFor(cache: Map<Vector, Remap>, dict: Vector, en: DuckDBEnumType, file: string, column: string): Remap {
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
  m = {map, identity, width: enumWidth(en)}
  cache.set(dict, m)
  return m
}

/** Reusable scratch for one column's values in one chunk. */
export interface Scratch {
  u8: Uint8Array<ArrayBuffer>
  u16: Uint16Array<ArrayBuffer>
  u32: Uint32Array<ArrayBuffer>
  i64: Int32Array<ArrayBuffer>
  /** Values gathered for putI64 / putInt (callers' use). */
  f64: Float64Array<ArrayBuffer>
  i32: Int32Array<ArrayBuffer>
  valid: Uint8Array<ArrayBuffer>
}

export function newScratch(): Scratch {
  return {u8: new Uint8Array(VECTOR_SIZE), u16: new Uint16Array(VECTOR_SIZE), u32: new Uint32Array(VECTOR_SIZE),
    i64: new Int32Array(VECTOR_SIZE * 2), f64: new Float64Array(VECTOR_SIZE), i32: new Int32Array(VECTOR_SIZE), valid: new Uint8Array(VECTOR_SIZE / 8)}
}

/**
 * Copy rows [off, off + len) of an Arrow column into `vec` (row 0 on). `map`: the column's remap when
 * it is an ENUM. Utf8 columns are not handled here (the caller uses the public API).
 */
export function fillFromArrow(p: ColPlan, d: Data, map: Remap | null, off: number, len: number, vec: RawVector, s: Scratch): void {
  const start = d.offset + off
  switch (p.kind) {
    case Kind.Copy: {
      const v = d.values as Int16Array
      duckdb.copy_data_to_vector(vec, 0, v.buffer as ArrayBuffer, v.byteOffset + start * p.width, len * p.width)
      break
    }
    case Kind.Enum: {
      const m = map!
      const codes = d.values as Int8Array | Int16Array | Int32Array
      const w = m.width
      if (m.identity && w === codes.BYTES_PER_ELEMENT) {
        duckdb.copy_data_to_vector(vec, 0, codes.buffer as ArrayBuffer, codes.byteOffset + start * w, len * w)
        break
      }
      const out = w === 1 ? s.u8 : w === 2 ? s.u16 : s.u32
      if (m.identity) out.set(codes.subarray(start, start + len)) // native narrowing copy: codes < 2^(8w)
      else {
        const mp = m.map
        for (let i = 0; i < len; i++) out[i] = mp[codes[start + i]]
      }
      duckdb.copy_data_to_vector(vec, 0, out.buffer, 0, len * w)
      break
    }
    case Kind.Bool: {
      const bits = d.values as Uint8Array
      const out = s.u8
      for (let i = 0; i < len; i++) {
        const k = start + i
        out[i] = (bits[k >> 3] >> (k & 7)) & 1
      }
      duckdb.copy_data_to_vector(vec, 0, out.buffer, 0, len)
      break
    }
    case Kind.Utf8:
      throw new Error(`scan: column ${p.name} is Utf8 (only small tables may have strings)`)
  }
  const bm = d.nullBitmap
  if (d.nullCount > 0 && bm && bm.length > 0) {
    duckdb.vector_ensure_validity_writable(vec)
    if ((start & 7) === 0) {
      duckdb.copy_data_to_vector_validity(vec, 0, bm.buffer as ArrayBuffer, bm.byteOffset + (start >> 3), (len + 7) >> 3)
    } else {
      // unaligned slice (never produced by our writer): repack the bits
      const out = s.u8
      out.fill(0, 0, (len + 7) >> 3)
      for (let i = 0; i < len; i++) {
        const k = start + i
        if ((bm[k >> 3] >> (k & 7)) & 1) out[i >> 3] |= 1 << (i & 7)
      }
      duckdb.copy_data_to_vector_validity(vec, 0, out.buffer, 0, (len + 7) >> 3)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Typed arrays → DuckDB vector (the pass's tables)
// ---------------------------------------------------------------------------------------------

const TWO32 = 4294967296

/** Mark the nulls of a vector (only when there are any: DuckDB vectors start all-valid). */
export function setValidity(vec: RawVector, nulls: number, valid: Uint8Array<ArrayBuffer>, len: number): void {
  if (nulls === 0) return
  duckdb.vector_ensure_validity_writable(vec)
  duckdb.copy_data_to_vector_validity(vec, 0, valid.buffer, 0, (len + 7) >> 3)
}

/**
 * Write len BIGINTs, value i = src[idx ? idx[start + i] : start + i] (exact integers below 2^53, as
 * two 32-bit words: no BigInt); NaN and ±Infinity become NULL.
 */
export function putI64(vec: RawVector, src: Float64Array, idx: Uint32Array | Int32Array | null, start: number, len: number, s: Scratch): void {
  const w = s.i64
  const valid = s.valid
  let nulls = 0
  valid.fill(0)
  for (let i = 0; i < len; i++) {
    const v = src[idx !== null ? idx[start + i] : start + i]
    if (v - v === 0) { // finite
      const hi = Math.floor(v / TWO32)
      w[2 * i] = v - hi * TWO32
      w[2 * i + 1] = hi
      valid[i >> 3] |= 1 << (i & 7)
    } else {
      w[2 * i] = 0
      w[2 * i + 1] = 0
      nulls++
    }
  }
  duckdb.copy_data_to_vector(vec, 0, w.buffer, 0, len * 8)
  setValidity(vec, nulls, valid, len)
}

/**
 * Write len small integers (ENUM indices, USMALLINT, SMALLINT, UINTEGER) of `width` bytes, value i =
 * src[idx ? idx[start + i] : start + i] - sub; values below `nullBelow` (before the subtraction) become
 * NULL. (The loader's tables store ENUM indices + 1 with 0 for NULL: sub = nullBelow = 1.)
 */
export function putInt(vec: RawVector, width: 1 | 2 | 4, src: Int32Array | Uint32Array | Int16Array | Uint16Array, idx: Uint32Array | Int32Array | null, start: number, len: number,
  nullBelow: number, sub: number, s: Scratch): void {
  const out = width === 1 ? s.u8 : width === 2 ? s.u16 : s.u32
  const valid = s.valid
  let nulls = 0
  valid.fill(0)
  for (let i = 0; i < len; i++) {
    const v = src[idx !== null ? idx[start + i] : start + i]
    if (v >= nullBelow) {
      out[i] = v - sub
      valid[i >> 3] |= 1 << (i & 7)
    } else {
      out[i] = 0
      nulls++
    }
  }
  duckdb.copy_data_to_vector(vec, 0, out.buffer, 0, len * width)
  setValidity(vec, nulls, valid, len)
}

/** Width in bytes of an integer or ENUM DuckDB type. */
export function intWidth(t: DuckDBType): 1 | 2 | 4 | 8 {
  switch (t.typeId) {
    case DuckDBTypeId.ENUM:
      return enumWidth(t as DuckDBEnumType)
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.BOOLEAN:
      return 1
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.USMALLINT:
      return 2
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UINTEGER:
      return 4
    default:
      return 8
  }
}

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

export interface ScanColumn {
  name: string
  type: DuckDBType
}

/** Something npa_scan can serve: a fixed column list, a row count, and cursors. */
export interface ScanSource {
  readonly columns: readonly ScanColumn[]
  readonly rows: number
  /** A cursor over all rows, for one scan. */
  cursor(): ScanCursor
}

export interface ScanCursor {
  /** Write the next ≤ 2048 rows of the projected columns (output vector k = column projected[k]); 0 = done. */
  fill(chunk: RawChunk, projected: readonly number[]): number
}

/** A column of a ColumnSource: writes rows [start, start + len) into a vector. */
export interface ColumnFill {
  name: string
  type: DuckDBType
  fill(vec: RawVector, start: number, len: number, s: Scratch): void
}

/** A table held in JS typed arrays (the loader's pass). */
export class ColumnSource implements ScanSource {
  readonly columns: ScanColumn[]
  readonly rows: number
  private readonly fills: ColumnFill[]

  constructor(rows: number, fills: ColumnFill[]) {
    this.rows = rows
    this.fills = fills
    this.columns = fills.map((f) => ({name: f.name, type: f.type}))
  }

  cursor(): ScanCursor {
    let next = 0
    const scratch = newScratch()
    const fills = this.fills
    const rows = this.rows
    return {
      fill(chunk, projected) {
        const n = Math.min(VECTOR_SIZE, rows - next)
        if (n <= 0) return 0
        for (let k = 0; k < projected.length; k++) fills[projected[k]].fill(duckdb.data_chunk_get_vector(chunk, k), next, n, scratch)
        next += n
        return n
      },
    }
  }
}

/** One Arrow file of a source, with the remap of each column (per file: dictionaries differ by file). */
export interface ArrowPart {
  file: ArrowFile
  maps: (Remap | null)[]
}

/**
 * A run's events or frames, streamed from its Arrow files: one record batch in memory per cursor.
 * With `seq`, column 0 is the row number in file order (events.seq).
 */
export class ArrowSource implements ScanSource {
  readonly columns: ScanColumn[]
  readonly rows: number
  private readonly parts: ArrowPart[]
  private readonly plans: ColPlan[]
  private readonly seq: boolean

  constructor(parts: ArrowPart[], plans: ColPlan[], types: DuckDBType[], rows: number, seq: boolean) {
    this.parts = parts
    this.plans = plans
    this.rows = rows
    this.seq = seq
    this.columns = [...(seq ? [{name: 'seq', type: BIGINT as DuckDBType}] : []), ...plans.map((p, j) => ({name: p.name, type: types[j]}))]
  }

  cursor(): ScanCursor {
    const {parts, plans, seq} = this
    const first = seq ? 1 : 0
    const scratch = plans.map(() => newScratch())
    const seqScratch = newScratch()
    const buffers: BatchBuffers = {bufs: [], next: 0}
    let part = 0
    let bi = -1
    let batch: RecordBatch | null = null
    let cols: Data[] = []
    let off = 0
    let rowBase = 0
    return {
      fill(chunk, projected) {
        while (batch === null || off >= batch.numRows) {
          if (batch !== null) rowBase += batch.numRows
          batch = null
          bi++
          while (part < parts.length && bi >= parts[part].file.numBatches) {
            part++
            bi = 0
          }
          if (part >= parts.length) return 0
          batch = parts[part].file.batch(bi, buffers)
          off = 0
          const b = batch
          cols = plans.map((p) => {
            const c = b.getChild(p.name)
            if (!c) throw new UserError(`${parts[part].file.path}: column ${p.name} is missing from a record batch`, {hint: 'replay the capture again'})
            return c.data[0]
          })
        }
        const n = Math.min(VECTOR_SIZE, batch.numRows - off)
        const maps = parts[part].maps
        for (let k = 0; k < projected.length; k++) {
          const c = projected[k]
          const vec = duckdb.data_chunk_get_vector(chunk, k)
          if (c < first) {
            const w = seqScratch.i64
            const base = rowBase + off
            for (let i = 0; i < n; i++) {
              const v = base + i
              const hi = Math.floor(v / TWO32)
              w[2 * i] = v - hi * TWO32
              w[2 * i + 1] = hi
            }
            duckdb.copy_data_to_vector(vec, 0, w.buffer, 0, n * 8)
          } else {
            const j = c - first
            fillFromArrow(plans[j], cols[j], maps[j], off, n, vec, scratch[j])
          }
        }
        off += n
        return n
      },
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The table function
// ---------------------------------------------------------------------------------------------

/** The sources of one session, by key (`events_0`, `path_1`...). */
export type ScanRegistry = Map<string, ScanSource>

/** Register `npa_scan(key VARCHAR)` on a connection; keys resolve in `registry` at bind time. */
export function registerScan(con: DuckDBConnection, registry: ScanRegistry, threads: number): void {
  con.registerTableFunction(DuckDBTableFunction.create({
    name: 'npa_scan',
    parameterTypes: [VARCHAR],
    supportsProjectionPushdown: true,
    bindFunction: (b) => {
      const key = String(b.getParameter(0))
      const src = registry.get(key)
      if (!src) {
        b.setError(`npa_scan: no table ${key} in this session`)
        return
      }
      for (const c of src.columns) b.addResultColumn(c.name, c.type)
      b.setBindData(src)
      b.setCardinality(src.rows, true)
    },
    initFunction: (i) => {
      const src = i.bindData as ScanSource
      i.setInitData({cursor: src.cursor(), projected: i.getColumnIndexes()})
      // other threads run the rest of the pipeline while JS fills the next chunk
      i.setMaxThreads(Math.max(1, threads))
    },
    mainFunction: (info, out) => {
      const st = info.initData as {cursor: ScanCursor; projected: number[]}
      try {
        const n = st.cursor.fill(out.chunk, st.projected)
        duckdb.data_chunk_set_size(out.chunk, n)
      } catch (err) {
        info.setError((err as Error).message)
        duckdb.data_chunk_set_size(out.chunk, 0)
      }
    },
  }))
}
