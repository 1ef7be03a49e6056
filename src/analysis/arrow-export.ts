/**
 * A query result as an Arrow IPC file, without JS row objects for the bulk: DuckDB's node client has no
 * Arrow export (duckdb-node-neo#45), so result chunks are read as raw vectors (`vector_get_data`,
 * `vector_get_validity`, a memcpy each; ../shared/reference/arrow-duckdb.md §4: 0.12–0.32 s for 1.3M
 * rows × 4 columns against ~1 s through JS values) into growing typed arrays, and the Arrow columns
 * are made over them with `makeData`. ENUM columns become Dictionary<Int16|Int32, Utf8> with the ENUM's
 * members as the dictionary. Types without a fixed-width layout (VARCHAR, lists, structs, HUGEINT,
 * DECIMAL...) go through DuckDB's JS values column by column: strings, or numbers for numeric ones.
 */
import * as fs from 'node:fs'
import duckdb from '@duckdb/node-bindings'
import {DuckDBEnumType, DuckDBTypeId} from '@duckdb/node-api'
import type {DuckDBConnection, DuckDBType} from '@duckdb/node-api'
import {
  Bool, Dictionary, Field, Float32, Float64, Int8, Int16, Int32, Int64, RecordBatch, Schema, Struct, Table, Uint8, Uint16, Uint32, Uint64,
  Utf8, makeData, tableToIPC, vectorFromArray,
} from 'apache-arrow'
import type {Data, DataType} from 'apache-arrow'

type TypedArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array

type Ctor = {new (n: number): TypedArray; BYTES_PER_ELEMENT: number}

interface FixedKind {
  ctor: Ctor
  arrow: () => DataType
}

const FIXED: Partial<Record<DuckDBTypeId, FixedKind>> = {
  [DuckDBTypeId.BIGINT]: {ctor: BigInt64Array as unknown as Ctor, arrow: () => new Int64()},
  [DuckDBTypeId.INTEGER]: {ctor: Int32Array, arrow: () => new Int32()},
  [DuckDBTypeId.SMALLINT]: {ctor: Int16Array, arrow: () => new Int16()},
  [DuckDBTypeId.TINYINT]: {ctor: Int8Array, arrow: () => new Int8()},
  [DuckDBTypeId.UBIGINT]: {ctor: BigUint64Array as unknown as Ctor, arrow: () => new Uint64()},
  [DuckDBTypeId.UINTEGER]: {ctor: Uint32Array, arrow: () => new Uint32()},
  [DuckDBTypeId.USMALLINT]: {ctor: Uint16Array, arrow: () => new Uint16()},
  [DuckDBTypeId.UTINYINT]: {ctor: Uint8Array, arrow: () => new Uint8()},
  [DuckDBTypeId.DOUBLE]: {ctor: Float64Array, arrow: () => new Float64()},
  [DuckDBTypeId.FLOAT]: {ctor: Float32Array, arrow: () => new Float32()},
  [DuckDBTypeId.BOOLEAN]: {ctor: Uint8Array, arrow: () => new Bool()},
}

const NUMERIC_JS = new Set([DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT, DuckDBTypeId.DECIMAL])

/** A growable byte buffer. */
class Grow {
  bytes = new Uint8Array(1 << 16)
  length = 0
  push(src: Uint8Array): void {
    if (this.length + src.length > this.bytes.length) {
      let cap = this.bytes.length * 2
      while (cap < this.length + src.length) cap *= 2
      const b = new Uint8Array(cap)
      b.set(this.bytes.subarray(0, this.length))
      this.bytes = b
    }
    this.bytes.set(src, this.length)
    this.length += src.length
  }
}

interface Col {
  name: string
  type: DuckDBType
  kind: 'fixed' | 'enum' | 'js'
  width: number
  values: Grow
  /** Validity bits, LSB first, one per row. */
  valid: Uint8Array
  nulls: number
  js: unknown[]
}

/** Run `sql` on `con` and write its result to `file` as an Arrow IPC file. Returns the row count. */
export async function writeArrowFile(con: DuckDBConnection, sql: string, file: string): Promise<number> {
  const result = await con.stream(sql)
  const names = result.columnNames()
  const types = result.columnTypes()
  const cols: Col[] = names.map((name, j) => {
    const t = types[j]
    const f = FIXED[t.typeId]
    const en = t.typeId === DuckDBTypeId.ENUM ? (t as DuckDBEnumType) : null
    const width = f ? f.ctor.BYTES_PER_ELEMENT : en ? (en.internalTypeId === DuckDBTypeId.UTINYINT ? 1 : en.internalTypeId === DuckDBTypeId.USMALLINT ? 2 : 4) : 0
    return {name, type: t, kind: f ? 'fixed' : en ? 'enum' : 'js', width, values: new Grow(), valid: new Uint8Array(1024), nulls: 0, js: []}
  })
  let rows = 0
  for (;;) {
    const chunk = await result.fetchChunk()
    if (!chunk || chunk.rowCount === 0) break
    const n = chunk.rowCount
    for (let j = 0; j < cols.length; j++) {
      const c = cols[j]
      if (c.kind === 'js') {
        const vals = chunk.getColumnValues(j)
        for (const v of vals) c.js.push(v)
        continue
      }
      const vec = duckdb.data_chunk_get_vector(chunk.chunk, j)
      // copies: the views point into DuckDB memory that goes away with the chunk
      c.values.push(duckdb.vector_get_data(vec, n * c.width).slice())
      const validity = duckdb.vector_get_validity(vec, Math.ceil(n / 64) * 8) as Uint8Array | null // null: all valid
      growValid(c, rows + n)
      for (let i = 0; i < n; i++) {
        const ok = validity === null || ((validity[i >> 3] >> (i & 7)) & 1) === 1
        if (ok) c.valid[(rows + i) >> 3] |= 1 << ((rows + i) & 7)
        else c.nulls++
      }
    }
    rows += n
  }
  const fields: Field[] = []
  const data: Data[] = []
  for (const c of cols) {
    const [f, d] = column(c, rows)
    fields.push(f)
    data.push(d)
  }
  const schema = new Schema(fields)
  const batch = new RecordBatch(schema, makeData({type: new Struct(fields), length: rows, nullCount: 0, children: data}))
  fs.writeFileSync(file, tableToIPC(new Table(schema, [batch]), 'file'))
  return rows
}

function growValid(c: Col, rows: number): void {
  const need = (rows + 7) >> 3
  if (need <= c.valid.length) return
  let cap = c.valid.length * 2
  while (cap < need) cap *= 2
  const b = new Uint8Array(cap)
  b.set(c.valid)
  c.valid = b
}

function column(c: Col, rows: number): [Field, Data] {
  const nullBitmap = c.nulls > 0 ? c.valid.slice(0, (rows + 7) >> 3) : undefined
  if (c.kind === 'fixed') {
    const f = FIXED[c.type.typeId]!
    const bytes = c.values.bytes.slice(0, c.values.length)
    let values: TypedArray
    if (c.type.typeId === DuckDBTypeId.BOOLEAN) {
      values = new Uint8Array((rows + 7) >> 3)
      for (let i = 0; i < rows; i++) if (bytes[i]) values[i >> 3] |= 1 << (i & 7)
    } else values = new (f.ctor as unknown as {new (b: ArrayBuffer): TypedArray})(bytes.buffer)
    const type = f.arrow()
    return [new Field(c.name, type, true), makeData({type, length: rows, nullCount: c.nulls, nullBitmap, data: values} as never)]
  }
  if (c.kind === 'enum') {
    const en = c.type as DuckDBEnumType
    const bytes = c.values.bytes.slice(0, c.values.length)
    // Arrow dictionary indices are signed: widen uint8 codes to int16, uint16 to int32.
    const codes = c.width === 1 ? Int16Array.from(bytes) : c.width === 2 ? Int32Array.from(new Uint16Array(bytes.buffer)) : new Int32Array(bytes.buffer)
    const indexType = c.width === 1 ? new Int16() : new Int32()
    const dictionary = vectorFromArray([...en.values], new Utf8())
    const type = new Dictionary(new Utf8(), indexType)
    return [new Field(c.name, type, true), makeData({type, length: rows, nullCount: c.nulls, nullBitmap, data: codes, dictionary} as never)]
  }
  // through JS values
  if (NUMERIC_JS.has(c.type.typeId)) {
    const v = vectorFromArray(c.js.map((x) => (x === null ? null : Number(x))), new Float64())
    return [new Field(c.name, v.type, true), v.data[0]]
  }
  const v = vectorFromArray(c.js.map((x) => (x === null ? null : typeof x === 'string' ? x : String(x))), new Utf8())
  return [new Field(c.name, v.type, true), v.data[0]]
}
