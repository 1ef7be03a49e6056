/**
 * Columnar Arrow IPC *file* writer driven by a ColumnSpec[] from schema.ts.
 *
 * The producer fills preallocated typed arrays row by row (`w.cols.t_ns[r] = ...` with `r = w.row()`);
 * every `batchRows` rows the arrays become one record batch (the same memory; only i64 words, bool bits
 * and validity bitmaps are computed: with the WebAssembly SIMD kernels for arrays in a ColumnArena, see
 * simd.ts) and are streamed to disk through a synchronous fd sink, so memory stays flat and the arrays
 * are reused (reference/arrow-duckdb.md §1: 9.5M rows/s and 80 MB RSS for 10M rows, versus 0.44M rows/s
 * with Builders). The arrays are allocated once: a producer may keep references to them. Tables of
 * fixed-width columns (events, frames) have their batches framed by ipc.ts from a template apache-arrow
 * writes once; the others (config: utf8, bool) by apache-arrow's RecordBatchFileWriter.
 *
 * Column storage (what the producer writes):
 *   i64   Float64Array holding exact integers (|v| < 2^53); nullable: -1 = null
 *   i32, i16          Int32Array, Int16Array; nullable: -1 = null
 *   u32, u16, u8      Uint32Array, Uint16Array, Uint8Array; nullable: write -1, which the array stores as
 *                     its maximum (0xFFFFFFFF, 0xFFFF, 0xFF); that value therefore means null
 *   bool              Uint8Array of 0/1; nullable: -1 (stored 0xFF) = null
 *   dict:<name>       Int16Array of codes into the dictionary (Int32Array above 32767 entries); -1 = null
 *   utf8              (string | null)[] in `w.strings` (small tables only, e.g. config)
 * Every row starts out null in nullable columns and 0 (or '') in the others, so a producer sets only
 * the columns an event has.
 *
 * Determinism: no wall-clock anything; dictionary ids are column indices; null slots are written as 0;
 * the same rows therefore give byte-identical files.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {createRequire} from 'node:module'
import type * as ArrowModule from 'apache-arrow'
import type {Data} from 'apache-arrow'
import {UserError} from '../errors.js'
import {FIXED_DICTIONARIES, SCHEMA_VERSION} from './schema.js'
import type {ColumnSpec} from './schema.js'
import {ColumnKernels, type ColumnArena} from './simd.js'
import {IpcTemplate, type BatchColumn, type FileBlock} from './ipc.js'

// apache-arrow's single-file build (same package and version): it loads in ~40 ms of CPU against ~200 ms
// for the ESM graph of ~200 modules, which the replay's I/O thread pays at startup on a busy core.
// Only this module uses it; everything the writer hands out is bytes on disk, never Arrow objects.
const arrow = createRequire(import.meta.url)('apache-arrow/Arrow.esnext.min') as typeof ArrowModule
const {AsyncByteQueue, Bool, Dictionary, Field, Int16, Int8, Int32, Int64, RecordBatch, RecordBatchFileWriter, Schema, Struct, Uint16, Uint32, Uint8, Utf8, makeData, vectorFromArray} = arrow
type DataType = ArrowModule.DataType
type Dictionary = ArrowModule.Dictionary
type Vector = ArrowModule.Vector
type Int64 = ArrowModule.Int64
type Int32 = ArrowModule.Int32
type Bool = ArrowModule.Bool
type Utf8 = ArrowModule.Utf8
type Schema = ArrowModule.Schema
type Field = ArrowModule.Field
type RecordBatchFileWriter = ArrowModule.RecordBatchFileWriter


export type ColumnArray = Float64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array

export interface TableWriterOptions {
  /** Per-run dictionaries (host, vm, plugin, target) by name; fixed ones come from schema.FIXED_DICTIONARIES. */
  dictionaries?: Partial<Record<string, readonly string[]>>
  /** Extra schema metadata (never wall-clock values: files must be reproducible). */
  metadata?: Record<string, string>
  /** Rows per record batch (default 65536; reference/arrow-duckdb.md §1: 64k–256k is the sweet spot). */
  batchRows?: number
  /** Roll to the next file after this many rows (prefix mode only; default 16M rows, ~0.7 GB of events). */
  maxRowsPerFile?: number
  /** `npa_trace.table` metadata; default: the file or prefix base name (events, frames, config). */
  table?: string
  /** Assert prefix mode (rolled files); rolling is otherwise implied by a target not ending in `.arrow`. */
  rolling?: boolean
  /**
   * Take the validity bitmaps and int64 buffers (arenaBytes() of them) from this arena: columns whose
   * arrays are views of its memory too (writeBatchFrom of arrays from allocColumnArrays over the same
   * arena) then get their bitmaps and int64 words from the SIMD kernels (src/trace/simd.ts).
   */
  arena?: ColumnArena
  /**
   * Let apache-arrow frame every record batch and file, as for tables with utf8 or bool columns (for
   * tests: the default framing, src/trace/ipc.ts, must write the same batches).
   */
  arrowFraming?: boolean
}

export interface TableWriterResult {
  rows: number
  files: string[]
  bytes: number
}

const DEFAULT_BATCH_ROWS = 65536
const DEFAULT_MAX_ROWS_PER_FILE = 16 * 1024 * 1024
const TWO_POW_32 = 4294967296

// Column kinds, one flush loop each (switch cases keep every typed-array access monomorphic).
const enum K {
  I64,
  I32,
  I16,
  U32,
  U16,
  U8,
  Bool,
  Dict8,
  Dict16,
  Dict32,
  Utf8,
}

interface Col {
  spec: ColumnSpec
  kind: K
  nullable: boolean
  /** Value stored in `arr` for null: -1 for signed arrays, the maximum for unsigned ones. */
  nullValue: number
  arr: ColumnArray | null
  strs: (string | null)[] | null
  /** i64 only: the Arrow buffer and its word view, filled from `arr` at flush without BigInt. */
  i64: BigInt64Array | null
  i64Words: Uint32Array | null
  /** Validity bitmap (nullable columns) and packed values (bool), sized for batchRows. */
  validity: Uint8Array | null
  bits: Uint8Array | null
  type: DataType
  dictValues: readonly string[] | null
  dictVector: Vector | null
  dictIndex: Map<string, number> | null
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('npa-trace writes Arrow buffers in native byte order and needs a little-endian machine')
}

/** Synchronous sink: each chunk reaches the file inside RecordBatchWriter.write(), so the column arrays can be reused at once. */
class FdSink extends AsyncByteQueue {
  bytes = 0
  private fd: number

  constructor(readonly file: string) {
    super()
    try {
      this.fd = fs.openSync(file, 'w')
    } catch (err) {
      throw ioError(file, err)
    }
  }

  override write(value: Uint8Array): void {
    let off = 0
    try {
      while (off < value.byteLength) off += fs.writeSync(this.fd, value, off, value.byteLength - off)
    } catch (err) {
      throw ioError(this.file, err)
    }
    this.bytes += value.byteLength
  }

  override close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd)
      this.fd = -1
    }
    super.close()
  }
}

/** A sink that keeps what it is given (the template file, a few KB). */
class MemorySink extends AsyncByteQueue {
  private readonly chunks: Uint8Array[] = []

  override write(value: Uint8Array): void {
    this.chunks.push(value.slice())
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks)
  }
}

function ioError(file: string, err: unknown): UserError {
  const msg = err instanceof Error ? err.message : String(err)
  return new UserError(`cannot write trace file ${file}: ${msg}`, {hint: 'check free disk space and permissions of the output directory', cause: err})
}

function roundUp8(bytes: number): number {
  return (bytes + 7) & ~7
}

export class TableWriter {
  /** Numeric column arrays by name (length batchRows; fill rows 0..row()). */
  readonly cols: Record<string, ColumnArray> = Object.create(null)
  /** utf8 column arrays by name. */
  readonly strings: Record<string, (string | null)[]> = Object.create(null)
  readonly batchRows: number
  readonly maxRowsPerFile: number
  readonly schema: Schema

  private readonly columns: Col[]
  private readonly byName = new Map<string, Col>()
  private readonly prefix: string | null
  private readonly single: string | null
  private n = 0
  private limit: number
  private fileRows = 0
  private doneRows = 0
  private doneBytes = 0
  private readonly files: string[] = []
  private writer: RecordBatchFileWriter | null = null
  private sink: FdSink | null = null
  private closed = false
  private readonly kernels: ColumnKernels | null
  /** Our own framing of record batches (src/trace/ipc.ts) for tables of fixed-width columns; null: apache-arrow's writer. */
  private readonly template: IpcTemplate | null
  /** The open file's record batches and write position, when it is framed by `template`. */
  private blocks: FileBlock[] | null = null
  private position = 0

  /**
   * `target` ending in `.arrow` is a single file; otherwise it is a prefix and files are
   * `<prefix>-0000.arrow`, `<prefix>-0001.arrow`, ... rolled every maxRowsPerFile rows.
   */
  constructor(target: string, columns: readonly ColumnSpec[], options: TableWriterOptions = {}) {
    const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS
    if (!Number.isInteger(batchRows) || batchRows < 8 || batchRows % 8 !== 0) {
      throw new RangeError(`TableWriter: batchRows must be a positive multiple of 8, got ${batchRows}`)
    }
    const isSingle = target.endsWith('.arrow')
    if (isSingle && options.rolling) throw new RangeError(`TableWriter: rolling files need a prefix, not the single file ${target}`)
    if (isSingle && options.maxRowsPerFile !== undefined) {
      throw new RangeError(`TableWriter: maxRowsPerFile needs a prefix, not the single file ${target}`)
    }
    const maxRows = isSingle ? Infinity : options.maxRowsPerFile ?? DEFAULT_MAX_ROWS_PER_FILE
    if (!(maxRows >= 1) || (maxRows !== Infinity && !Number.isInteger(maxRows))) {
      throw new RangeError(`TableWriter: maxRowsPerFile must be a positive integer, got ${maxRows}`)
    }
    this.batchRows = batchRows
    this.maxRowsPerFile = maxRows
    this.single = isSingle ? target : null
    this.prefix = isSingle ? null : target
    this.limit = Math.min(batchRows, maxRows)
    this.kernels = options.arena ? ColumnKernels.for(options.arena) : null

    const fields: Field[] = []
    this.columns = columns.map((spec, id) => {
      if (this.byName.has(spec.name)) throw new Error(`TableWriter: duplicate column ${spec.name}`)
      const col = makeColumn(spec, id, batchRows, options.dictionaries ?? {}, options.arena ?? null)
      this.byName.set(spec.name, col)
      if (col.arr) this.cols[spec.name] = col.arr
      if (col.strs) this.strings[spec.name] = col.strs
      fields.push(new Field(spec.name, col.type, spec.nullable, new Map([['description', spec.description]])))
      return col
    })
    const table = options.table ?? path.basename(target).replace(/\.arrow$/, '')
    const metadata = new Map<string, string>([
      ['npa_trace.schema_version', SCHEMA_VERSION],
      ['npa_trace.table', table],
    ])
    for (const [k, v] of Object.entries(options.metadata ?? {})) metadata.set(k, String(v))
    this.schema = new Schema(fields, metadata)
    this.template = !options.arrowFraming && this.columns.every((c) => c.kind !== K.Utf8 && c.kind !== K.Bool) ? this.makeTemplate() : null
    this.resetRows(batchRows)
  }

  /** A one-row file of this schema, written by apache-arrow into memory: the template of every batch and file. */
  private makeTemplate(): IpcTemplate {
    this.resetRows(1)
    const sink = new MemorySink()
    const w = new RecordBatchFileWriter()
    w.reset(sink, this.schema)
    const children = this.columns.map((col) => toData(col, 1, columnBuffers(col, 1, null)))
    w.write(new RecordBatch(this.schema, makeData({type: new Struct(this.schema.fields), length: 1, nullCount: 0, children})))
    w.close()
    return new IpcTemplate(sink.bytes(), this.columns.length)
  }

  /** Rows written so far, including the batch being filled. */
  get rows(): number {
    return this.doneRows + this.n
  }

  /** Index of the next row to fill (flushes the batch first when it is full). */
  row(): number {
    if (this.n === this.limit) this.flush()
    return this.n++
  }

  /**
   * Rows 0..n-1 of `cols` were filled in bulk by the caller (the threaded event sink copies whole
   * batches in): write them as one record batch. No row may be in progress; n ≤ batchRows. The rows are
   * not reset to null afterwards: a bulk producer sets every column of every row.
   */
  writeBatch(n: number): void {
    if (this.n !== 0) throw new Error('TableWriter.writeBatch: a batch is already being filled through row()')
    if (n > this.limit) throw new Error(`TableWriter.writeBatch: ${n} rows exceed the batch limit ${this.limit}`)
    this.n = n
    this.flush(false)
  }

  /**
   * Like writeBatch, but the values are in `arrays` (same names and types as `cols`, e.g. a shared-memory
   * slot filled on another thread): no copy into `cols`. The arrays are read, and their null slots zeroed,
   * before this returns (the file sink is synchronous), so the caller may reuse them at once.
   */
  writeBatchFrom(arrays: Record<string, ColumnArray>, n: number): void {
    const own: (ColumnArray | null)[] = this.columns.map((c) => c.arr)
    for (const col of this.columns) {
      if (!col.arr) continue
      const a = arrays[col.spec.name]
      if (!a || a.constructor !== col.arr.constructor || a.length < n) {
        throw new Error(`TableWriter.writeBatchFrom: column ${col.spec.name} needs a ${col.arr.constructor.name} of ${n} rows`)
      }
    }
    if (n > this.batchRows) throw new Error(`TableWriter.writeBatchFrom: ${n} rows exceed batchRows ${this.batchRows}`)
    try {
      // Batches need not line up with file boundaries (maxRowsPerFile): what does not fit in this file's
      // rows goes, as views of the same arrays, into a batch of the next file.
      for (let off = 0; off < n; ) {
        const part = Math.min(n - off, this.limit)
        for (const col of this.columns) if (col.arr) col.arr = off === 0 ? arrays[col.spec.name] : arrays[col.spec.name].subarray(off, off + part)
        this.writeBatch(part)
        off += part
      }
    } finally {
      this.columns.forEach((c, i) => (c.arr = own[i]))
    }
  }

  /** Code of `value` in a dictionary column (for producers that resolve names once, up front). */
  code(column: string, value: string): number {
    const col = this.column(column)
    const c = col.dictIndex?.get(value)
    if (c === undefined) {
      if (!col.dictIndex) throw new Error(`TableWriter: column ${column} is not dictionary-encoded`)
      throw new Error(`TableWriter: "${value}" is not in the dictionary of column ${column} (${col.spec.type})`)
    }
    return c
  }

  /** Dictionary values of a dictionary column. */
  dictionary(column: string): readonly string[] {
    const col = this.column(column)
    if (!col.dictValues) throw new Error(`TableWriter: column ${column} is not dictionary-encoded`)
    return col.dictValues
  }

  /**
   * Append one row from a record (small tables: config, tests). Dictionary columns take the string
   * or its code; null, undefined, a missing key or (as in the arrays) -1 make a nullable column null;
   * a missing non-nullable column is an error.
   */
  append(values: Record<string, number | string | boolean | null | undefined>): void {
    for (const k of Object.keys(values)) if (!this.byName.has(k)) throw new Error(`TableWriter.append: unknown column ${k}`)
    for (const col of this.columns) {
      const v = values[col.spec.name]
      if ((v === null || v === undefined) && !col.nullable) {
        throw new Error(`TableWriter.append: column ${col.spec.name} is not nullable and has no value`)
      }
    }
    const r = this.row()
    try {
      for (const col of this.columns) {
        const v = values[col.spec.name]
        if (v === null || v === undefined) continue // the row starts null
        setValue(col, r, v)
      }
    } catch (err) {
      // Take the half-filled row back so the table stays consistent.
      for (const col of this.columns) {
        if (col.arr) col.arr[r] = col.nullable ? col.nullValue : 0
        else if (col.strs) col.strs[r] = col.nullable ? null : ''
      }
      this.n--
      throw err
    }
  }

  /** Flush the last batch and finish every file. */
  close(): TableWriterResult {
    if (this.closed) throw new Error('TableWriter: already closed')
    if (this.n > 0) this.flush()
    if (this.files.length === 0) this.openFile(true) // an empty table is still a file with its schema (apache-arrow's, as always)
    this.closeFile()
    this.closed = true
    this.limit = 0 // row() now reaches flush(), which refuses: no row is handed out after close
    return {rows: this.doneRows, files: [...this.files], bytes: this.doneBytes}
  }

  /** Close the open file without finishing it (the run is being aborted; the caller removes the files). */
  destroy(): void {
    if (this.sink) this.sink.close()
    this.sink = null
    this.writer = null
    this.closed = true
    this.n = 0
    this.limit = 0
  }

  private column(name: string): Col {
    const col = this.byName.get(name)
    if (!col) throw new Error(`TableWriter: unknown column ${name}`)
    return col
  }

  /** A new file: framed by the template (its prefix written now), or by apache-arrow's writer (`arrow`). */
  private openFile(arrow = this.template === null): void {
    const file = this.single ?? `${this.prefix}-${String(this.files.length).padStart(4, '0')}.arrow`
    this.sink = new FdSink(file)
    this.files.push(file)
    this.fileRows = 0
    if (arrow) {
      this.writer = new RecordBatchFileWriter()
      this.writer.reset(this.sink, this.schema)
    } else {
      this.sink.write(this.template!.prefix)
      this.position = this.template!.prefix.byteLength
      this.blocks = []
    }
  }

  private closeFile(): void {
    if (!this.sink) return
    if (this.writer) this.writer.close() // closes the sink too
    else {
      this.sink.write(this.template!.end(this.blocks!))
      this.sink.close()
    }
    this.doneBytes += this.sink.bytes
    this.writer = null
    this.blocks = null
    this.sink = null
  }

  /** Write rows 0..n-1 as a record batch; `reset` puts them back to null for row() producers (bulk producers set every row). */
  private flush(reset = true): void {
    if (this.closed) throw new Error('TableWriter: row() or flush after close()')
    const n = this.n
    if (n === 0) return
    if (!this.sink) this.openFile()
    const buffers = this.columns.map((col) => columnBuffers(col, n, this.kernels))
    if (this.blocks) {
      const b = this.template!.batch(n, buffers)
      // One write() per buffer, as apache-arrow does: a single writev() of the whole batch cost ~0.5 s more
      // system time per 1M frames here (ext4 page cache), measured.
      for (const c of b.chunks) this.sink!.write(c)
      this.blocks.push({offset: this.position, metaDataLength: b.metaLength, bodyLength: b.bodyLength})
      this.position += b.metaLength + b.bodyLength
    } else {
      const children = this.columns.map((col, i) => toData(col, n, buffers[i]))
      this.writer!.write(new RecordBatch(this.schema, makeData({type: new Struct(this.schema.fields), length: n, nullCount: 0, children})))
    }
    this.doneRows += n
    this.fileRows += n
    if (reset) this.resetRows(n)
    this.n = 0
    if (this.fileRows >= this.maxRowsPerFile) this.closeFile()
    this.limit = Math.min(this.batchRows, this.maxRowsPerFile - (this.sink ? this.fileRows : 0))
  }

  /** Rows 0..n-1 back to null (nullable) / 0 (others). */
  private resetRows(n: number): void {
    for (const col of this.columns) {
      if (col.arr) col.arr.fill(col.nullable ? col.nullValue : 0, 0, n)
      else if (col.strs) col.strs.fill(col.nullable ? null : '', 0, n)
    }
  }
}

/**
 * Typed arrays of `rows` rows for each numeric column, as a TableWriter would allocate them (same
 * types, same null sentinels), optionally over SharedArrayBuffers (for a producer on another thread) or
 * from a ColumnArena (shared too, and the SIMD kernels' memory: see TableWriterOptions.arena).
 */
export function allocColumnArrays(
  columns: readonly ColumnSpec[], dictionaries: Partial<Record<string, readonly string[]>>, rows: number, shared: boolean | ColumnArena = false,
): Record<string, ColumnArray> {
  const out: Record<string, ColumnArray> = {}
  const ctors = columns.map((spec) => arrayType(spec, dictionaries))
  if (typeof shared === 'object') {
    columns.forEach((spec, i) => {
      const Ctor = ctors[i]
      if (Ctor) out[spec.name] = shared.alloc(Ctor as unknown as {new (b: ArrayBufferLike, o: number, n: number): ColumnArray; BYTES_PER_ELEMENT: number}, rows)
    })
    return out
  }
  // One buffer carved into 8-byte-aligned columns: one (slow) SharedArrayBuffer allocation, not one per column.
  const size = (c: ArrayCtor) => (rows * c.BYTES_PER_ELEMENT + 7) & ~7
  const total = ctors.reduce((sum, c) => sum + (c ? size(c) : 0), 0)
  const buf = shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total)
  let off = 0
  columns.forEach((spec, i) => {
    const Ctor = ctors[i]
    if (!Ctor) return
    out[spec.name] = new (Ctor as unknown as new (b: ArrayBufferLike, o: number, n: number) => ColumnArray)(buf, off, rows)
    off += size(Ctor)
  })
  return out
}

type ArrayCtor = {BYTES_PER_ELEMENT: number} & (new (rows: number) => ColumnArray)

/** The typed array a column's values live in (null for utf8), as makeColumn allocates it, without building Arrow types. */
function arrayType(spec: ColumnSpec, runDicts: Partial<Record<string, readonly string[]>>): ArrayCtor | null {
  const t = spec.type
  if (t === 'i64') return Float64Array
  if (t === 'i32') return Int32Array
  if (t === 'i16') return Int16Array
  if (t === 'u32') return Uint32Array
  if (t === 'u16') return Uint16Array
  if (t === 'u8' || t === 'bool') return Uint8Array
  if (t === 'utf8') return null
  if (t.startsWith('dict:')) {
    const name = t.slice(5)
    const values = FIXED_DICTIONARIES[name] ?? runDicts[name]
    if (!values) throw new Error(`TableWriter: column ${spec.name} needs dictionary "${name}" (pass it in options.dictionaries)`)
    return dictWidth(values.length) === 8 ? Int8Array : dictWidth(values.length) === 16 ? Int16Array : Int32Array
  }
  throw new Error(`TableWriter: column ${spec.name} has unknown type ${t}`)
}

/** Narrowest index type that holds a dictionary: most fit Int8, which keeps a row small. */
function dictWidth(size: number): 8 | 16 | 32 {
  return size <= 127 ? 8 : size <= 32767 ? 16 : 32
}

/** Bytes allocColumnArrays takes from an arena for these columns and rows (each array 16-byte aligned). */
export function columnArraysBytes(columns: readonly ColumnSpec[], dictionaries: Partial<Record<string, readonly string[]>>, rows: number): number {
  let total = 0
  for (const spec of columns) {
    const Ctor = arrayType(spec, dictionaries)
    if (Ctor) total += (Ctor.BYTES_PER_ELEMENT * rows + 15) & ~15
  }
  return total
}

/**
 * Bytes a TableWriter of these columns and batch size takes from its arena (TableWriterOptions.arena):
 * a validity bitmap per nullable column and int64 words per i64 column, each 16-byte aligned.
 */
export function arenaBytes(columns: readonly ColumnSpec[], rows: number): number {
  const align = (b: number) => (b + 15) & ~15
  let total = 0
  for (const spec of columns) {
    if (spec.nullable) total += align(roundUp8(rows >> 3))
    if (spec.type === 'i64') total += align(8 * rows)
  }
  return total
}

function makeColumn(spec: ColumnSpec, id: number, rows: number, runDicts: Partial<Record<string, readonly string[]>>,
  arena: ColumnArena | null): Col {
  const col: Col = {
    spec,
    kind: K.I64,
    nullable: spec.nullable,
    nullValue: -1,
    arr: null,
    strs: null,
    i64: null,
    i64Words: null,
    validity: spec.nullable ? (arena ? arena.alloc(Uint8Array, roundUp8(rows >> 3)) : new Uint8Array(roundUp8(rows >> 3))) : null,
    bits: null,
    type: new Int64(),
    dictValues: null,
    dictVector: null,
    dictIndex: null,
  }
  const t = spec.type
  const Ctor = arrayType(spec, runDicts)
  col.arr = Ctor ? new Ctor(rows) : null
  if (t === 'i64') {
    col.i64 = arena ? arena.alloc(BigInt64Array, rows) : new BigInt64Array(rows)
    col.i64Words = new Uint32Array(col.i64.buffer, col.i64.byteOffset, 2 * rows)
  } else if (t === 'i32') Object.assign(col, {kind: K.I32, type: new Int32()})
  else if (t === 'i16') Object.assign(col, {kind: K.I16, type: new Int16()})
  else if (t === 'u32') Object.assign(col, {kind: K.U32, type: new Uint32(), nullValue: 0xffffffff})
  else if (t === 'u16') Object.assign(col, {kind: K.U16, type: new Uint16(), nullValue: 0xffff})
  else if (t === 'u8') Object.assign(col, {kind: K.U8, type: new Uint8(), nullValue: 0xff})
  else if (t === 'bool') {
    Object.assign(col, {kind: K.Bool, type: new Bool(), nullValue: 0xff})
    col.bits = new Uint8Array(roundUp8(rows >> 3))
  } else if (t === 'utf8') Object.assign(col, {kind: K.Utf8, strs: new Array<string | null>(rows).fill(null), type: new Utf8()})
  else if (t.startsWith('dict:')) {
    const name = t.slice(5)
    const values = (FIXED_DICTIONARIES[name] ?? runDicts[name])! // arrayType() checked it
    const index = new Map<string, number>()
    values.forEach((v, i) => {
      if (index.has(v)) throw new Error(`TableWriter: dictionary "${name}" lists "${v}" twice`)
      index.set(v, i)
    })
    const width = dictWidth(values.length)
    if (values.length > 2147483647) throw new Error(`TableWriter: dictionary "${name}" is too large`)
    const type = new Dictionary(new Utf8(), width === 8 ? new Int8() : width === 16 ? new Int16() : new Int32(), id, false)
    Object.assign(col, {
      kind: width === 8 ? K.Dict8 : width === 16 ? K.Dict16 : K.Dict32,
      type,
      dictValues: values,
      dictIndex: index,
      dictVector: vectorFromArray([...values], new Utf8()),
    })
  }
  return col
}

function setValue(col: Col, r: number, v: number | string | boolean): void {
  const name = col.spec.name
  if (col.kind === K.Utf8) {
    if (typeof v !== 'string') throw new Error(`TableWriter.append: column ${name} takes a string, got ${typeof v}`)
    col.strs![r] = v
    return
  }
  let x: number
  if (col.dictIndex && typeof v === 'string') {
    const c = col.dictIndex.get(v)
    if (c === undefined) throw new Error(`TableWriter.append: "${v}" is not in the dictionary of column ${name} (${col.spec.type})`)
    x = c
  } else if (typeof v === 'boolean') {
    if (col.kind !== K.Bool) throw new Error(`TableWriter.append: column ${name} is not boolean`)
    x = v ? 1 : 0
  } else if (typeof v === 'number') {
    x = v
  } else {
    throw new Error(`TableWriter.append: column ${name} takes a number, got a string`)
  }
  if (!Number.isSafeInteger(x)) throw new Error(`TableWriter.append: column ${name}: ${x} is not an integer below 2^53`)
  if (col.nullable && x === -1) return // -1 is null, as in the arrays; the row is already null
  const arr = col.arr!
  arr[r] = x
  if (arr[r] !== x || (col.nullable && x === col.nullValue)) {
    throw new Error(`TableWriter.append: column ${name} (${col.spec.type}) cannot hold ${x}${col.nullable && x === col.nullValue ? ' (the null sentinel)' : ''}`)
  }
  if (col.dictValues && (x < 0 || x >= col.dictValues.length)) throw new Error(`TableWriter.append: column ${name}: code ${x} is outside its dictionary`)
  if (col.kind === K.Bool && x > 1) throw new Error(`TableWriter.append: column ${name} takes 0/1, got ${x}`)
}

/** Set bits per byte value (null counts from validity bytes). */
const POP8 = (() => {
  const t = new Uint8Array(256)
  for (let i = 1; i < 256; i++) t[i] = (i & 1) + t[i >> 1]
  return t
})()

/**
 * Validity bitmap of rows 0..n-1 (1 = valid); null slots are zeroed so files carry no sentinel garbage.
 * Returns the null count. Every numeric null sentinel is all ones in its width (-1 signed, max unsigned),
 * so one branch-free loop per byte width serves all kinds: nulls follow the data, and a data-dependent
 * branch per value mispredicted often enough to make this the writer thread's top cost (27 % in a replay
 * profile; 2.4x slower than this form on random nulls).
 */
function buildValidity(col: Col, n: number, k: ColumnKernels | null): number {
  const bm = col.validity!
  let nulls: number
  const a = col.arr
  if (a !== null && k !== null && k.owns(a) && k.owns(bm)) nulls = k.validity(a, bm, n)
  else if (a === null) {
    // utf8 (small tables only)
    const s = col.strs!
    nulls = 0
    for (let i = 0; i < n; i += 8) {
      const end = i + 8 < n ? i + 8 : n
      let bits = 0
      for (let j = i; j < end; j++) {
        if (s[j] !== null) bits |= 1 << (j - i)
        else nulls++
      }
      bm[i >> 3] = bits
    }
  } else if (a.BYTES_PER_ELEMENT === 1) nulls = validity8(new Uint8Array(a.buffer, a.byteOffset, n), bm, n)
  else if (a.BYTES_PER_ELEMENT === 2) nulls = validity16(new Uint16Array(a.buffer, a.byteOffset, n), bm, n)
  else nulls = validity32(new Int32Array(a.buffer, a.byteOffset, n), bm, n)
  bm.fill(0, (n + 7) >> 3, roundUp8((n + 7) >> 3))
  return nulls
}

/**
 * Rows from..n-1 (from a multiple of 8) a value at a time: unaligned arrays and the ragged tail. Returns
 * the number of valid rows.
 */
function validityScalar(a: Uint8Array | Uint16Array, bm: Uint8Array, from: number, n: number, sentinel: number): number {
  let valid = 0
  for (let i = from; i < n; i += 8) {
    const end = i + 8 < n ? i + 8 : n
    let bits = 0
    for (let j = i; j < end; j++) {
      const ok = +(a[j] !== sentinel)
      a[j] &= -ok
      bits |= ok << (j - i)
    }
    bm[i >> 3] = bits
    valid += POP8[bits]
  }
  return valid
}

/**
 * 8- and 16-bit columns are scanned a 32-bit word at a time (SWAR): four (two) values per load, the null
 * sentinel (all ones) found with the exact zero-lane test on the complement, null lanes zeroed with one
 * AND, and the lanes' valid bits gathered by one multiply. About 3× fewer operations than a value at a
 * time on the ~10 nullable dictionary columns of the events table (`npm run bench:trace`).
 */
function validity8(a: Uint8Array, bm: Uint8Array, n: number): number {
  const full = n & ~7
  let valid = 0
  if ((a.byteOffset & 3) === 0 && full > 0) {
    const w = new Int32Array(a.buffer, a.byteOffset, full >> 2)
    for (let i = 0, k = 0; k < full >> 2; i++, k += 2) {
      const lo = w[k]
      const hi = w[k + 1]
      const tl = ~lo
      const th = ~hi
      // high bit of each byte set iff that byte of `lo`/`hi` is not 0xff (the null sentinel)
      const ml = (((tl & 0x7f7f7f7f) + 0x7f7f7f7f) | tl) & 0x80808080
      const mh = (((th & 0x7f7f7f7f) + 0x7f7f7f7f) | th) & 0x80808080
      w[k] = lo & Math.imul(ml >>> 7, 0xff)
      w[k + 1] = hi & Math.imul(mh >>> 7, 0xff)
      const bits = ((Math.imul(ml >>> 7, 0x204081) >>> 21) & 0xf) | (((Math.imul(mh >>> 7, 0x204081) >>> 21) & 0xf) << 4)
      bm[i] = bits
      valid += POP8[bits]
    }
    return n - valid - validityScalar(a, bm, full, n, 0xff)
  }
  return n - validityScalar(a, bm, 0, n, 0xff)
}

function validity16(a: Uint16Array, bm: Uint8Array, n: number): number {
  const full = n & ~7
  let valid = 0
  if ((a.byteOffset & 3) === 0 && full > 0) {
    const w = new Int32Array(a.buffer, a.byteOffset, full >> 1)
    for (let i = 0, k = 0; k < full >> 1; i++, k += 4) {
      const w0 = w[k]
      const w1 = w[k + 1]
      const w2 = w[k + 2]
      const w3 = w[k + 3]
      const t0 = ~w0
      const t1 = ~w1
      const t2 = ~w2
      const t3 = ~w3
      // bit 15 / bit 31 set iff that half is not 0xffff (the null sentinel)
      const m0 = ((((t0 & 0x7fff7fff) + 0x7fff7fff) | t0) & 0x80008000) >>> 15
      const m1 = ((((t1 & 0x7fff7fff) + 0x7fff7fff) | t1) & 0x80008000) >>> 15
      const m2 = ((((t2 & 0x7fff7fff) + 0x7fff7fff) | t2) & 0x80008000) >>> 15
      const m3 = ((((t3 & 0x7fff7fff) + 0x7fff7fff) | t3) & 0x80008000) >>> 15
      w[k] = w0 & Math.imul(m0, 0xffff)
      w[k + 1] = w1 & Math.imul(m1, 0xffff)
      w[k + 2] = w2 & Math.imul(m2, 0xffff)
      w[k + 3] = w3 & Math.imul(m3, 0xffff)
      const bits = (m0 & 1) | ((m0 >>> 15) & 2) | ((m1 & 1) << 2) | ((m1 >>> 13) & 8) |
        ((m2 & 1) << 4) | ((m2 >>> 11) & 32) | ((m3 & 1) << 6) | ((m3 >>> 9) & 128)
      bm[i] = bits
      valid += POP8[bits]
    }
    return n - valid - validityScalar(a, bm, full, n, 0xffff)
  }
  return n - validityScalar(a, bm, 0, n, 0xffff)
}

function validity32(a: Int32Array, bm: Uint8Array, n: number): number {
  const full = n & ~7
  let valid = 0
  for (let i = 0; i < full; i += 8) {
    const o0 = +(a[i] !== -1), o1 = +(a[i + 1] !== -1), o2 = +(a[i + 2] !== -1), o3 = +(a[i + 3] !== -1)
    const o4 = +(a[i + 4] !== -1), o5 = +(a[i + 5] !== -1), o6 = +(a[i + 6] !== -1), o7 = +(a[i + 7] !== -1)
    a[i] &= -o0, a[i + 1] &= -o1, a[i + 2] &= -o2, a[i + 3] &= -o3, a[i + 4] &= -o4, a[i + 5] &= -o5, a[i + 6] &= -o6, a[i + 7] &= -o7
    const bits = o0 | (o1 << 1) | (o2 << 2) | (o3 << 3) | (o4 << 4) | (o5 << 5) | (o6 << 6) | (o7 << 7)
    bm[i >> 3] = bits
    valid += POP8[bits]
  }
  let bits = 0
  for (let j = full; j < n; j++) {
    const ok = +(a[j] !== -1)
    a[j] &= -ok
    bits |= ok << (j - full)
    valid += ok
  }
  if (full < n) bm[full >> 3] = bits
  return n - valid
}

/** Float64 integers → little-endian int64 words, two 32-bit stores per value (no BigInt). */
function fillI64(src: Float64Array, words: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = src[i]
    const hi = Math.floor(v / TWO_POW_32)
    words[2 * i] = v - hi * TWO_POW_32
    words[2 * i + 1] = hi // a negative hi wraps to its two's complement
  }
}

/** fillI64 and buildValidity in one pass, for nullable i64 columns (-1 = null, written as 0); branch-free as buildValidity. */
function fillI64Nullable(src: Float64Array, words: Uint32Array, bm: Uint8Array, n: number): number {
  let valid = 0
  for (let i = 0; i < n; i += 8) {
    const end = i + 8 < n ? i + 8 : n
    let bits = 0
    for (let j = i; j < end; j++) {
      const v = src[j]
      const ok = +(v !== -1)
      const hi = Math.floor(v / TWO_POW_32)
      words[2 * j] = (v - hi * TWO_POW_32) * ok
      words[2 * j + 1] = hi & -ok
      bits |= ok << (j - i)
    }
    bm[i >> 3] = bits
    valid += POP8[bits]
  }
  bm.fill(0, (n + 7) >> 3, roundUp8((n + 7) >> 3))
  return n - valid
}

/**
 * A column's buffers for rows 0..n-1, computed (validity, int64 words, bool bits) in the column's own
 * arrays: its null count, validity bitmap (null when it has no nulls) and values, as the record batch
 * carries them. Valid until the next batch.
 */
function columnBuffers(col: Col, n: number, k: ColumnKernels | null): BatchColumn {
  const bitmap = () => col.validity!.subarray(0, roundUp8((n + 7) >> 3))
  if (col.kind === K.I64) {
    const src = col.arr as Float64Array
    let nullCount = 0
    if (k !== null && k.owns(src) && k.owns(col.i64!)) {
      if (col.nullable) nullCount = k.i64Nullable(src, col.i64!, col.validity!, n)
      else k.i64(src, col.i64!, n)
      if (col.nullable) col.validity!.fill(0, (n + 7) >> 3, roundUp8((n + 7) >> 3))
    } else if (col.nullable) nullCount = fillI64Nullable(src, col.i64Words!, col.validity!, n)
    else fillI64(src, col.i64Words!, n)
    return {nullCount, validity: nullCount > 0 ? bitmap() : null, values: col.i64!.subarray(0, n)}
  }
  const nullCount = col.nullable ? buildValidity(col, n, k) : 0
  const validity = nullCount > 0 ? bitmap() : null
  if (col.kind === K.Bool) {
    const a = col.arr as Uint8Array
    const bits = col.bits!
    for (let i = 0; i < n; i += 8) {
      const end = i + 8 < n ? i + 8 : n
      let b = 0
      for (let j = i; j < end; j++) if (a[j] !== 0) b |= 1 << (j - i)
      bits[i >> 3] = b
    }
    const used = (n + 7) >> 3
    bits.fill(0, used, roundUp8(used))
    return {nullCount, validity, values: bits.subarray(0, roundUp8(used))}
  }
  if (col.kind === K.Utf8) return {nullCount, validity, values: EMPTY_BYTES} // toData encodes the strings
  return {nullCount, validity, values: col.arr!.subarray(0, n)}
}
const EMPTY_BYTES = new Uint8Array(0)

/** The column's Data for apache-arrow's writer, from columnBuffers(). */
function toData(col: Col, n: number, b: BatchColumn): Data {
  const type = col.type
  const {nullCount} = b
  const nullBitmap = b.validity ?? undefined
  switch (col.kind) {
    case K.I64:
      return makeData({type: type as Int64, length: n, nullCount, nullBitmap, data: col.i64!})
    case K.Bool:
      return makeData({type: type as Bool, length: n, nullCount, nullBitmap, data: b.values as Uint8Array})
    case K.Utf8: {
      const strs = col.strs!
      const encoded: Buffer[] = []
      const offsets = new Int32Array(n + 1)
      let total = 0
      for (let i = 0; i < n; i++) {
        const e = Buffer.from(strs[i] ?? '', 'utf8')
        encoded.push(e)
        total += e.byteLength
        offsets[i + 1] = total
      }
      const bytes = new Uint8Array(total)
      let off = 0
      for (const e of encoded) bytes.set(e, off), (off += e.byteLength)
      return makeData({type: type as Utf8, length: n, nullCount, nullBitmap, valueOffsets: offsets, data: bytes})
    }
    case K.Dict8:
    case K.Dict16:
    case K.Dict32:
      return makeData({type: type as Dictionary, length: n, nullCount, nullBitmap, data: col.arr as Int8Array | Int16Array | Int32Array, dictionary: col.dictVector!})
    default:
      return makeData({type: type as Int32, length: n, nullCount, nullBitmap, data: col.arr as Int32Array})
  }
}
