/**
 * Arrow IPC file framing for the trace writer's record batches, without apache-arrow's per-batch
 * machinery (Data and RecordBatch objects, the vector assembler's visitors, a flatbuffer builder per
 * message): on the replay's I/O thread that machinery cost ~0.1 s of TurboFan compiling and ~0.1 s of
 * running per 1M frames, for ~250 batches whose shape never changes.
 *
 * apache-arrow still writes what it writes once: IpcTemplate takes a one-row file it wrote for the
 * table's schema and keeps (1) its prefix — magic and dictionary batches, the same in every file of the
 * table; (2) its record batch message, whose flatbuffer has the same layout for every batch of the schema
 * (every column has a validity and a data buffer; only numbers differ), so a batch's message is that one
 * with its numbers overwritten; (3) its footer, into which the file's record batch blocks are put by
 * appending a new vector and pointing the footer's field at it (flatbuffer offsets are relative; the old
 * vector stays, unreferenced). Bodies are laid out as apache-arrow lays them out (each buffer padded to
 * 8 bytes, a validity buffer of length 0 when a column has no nulls), so record batches are byte for
 * byte what it would write; test/trace/ipc.test.ts checks that and that readers see the same table.
 *
 * Format: https://arrow.apache.org/docs/format/Columnar.html#ipc-file-format (Message.fbs, File.fbs).
 */

const CONTINUATION = 0xffffffff
const HEADER_RECORD_BATCH = 3
const MAGIC = Uint8Array.of(0x41, 0x52, 0x52, 0x4f, 0x57, 0x31) // ARROW1

/** Where a record batch lies in a file (File.fbs Block). */
export interface FileBlock {
  offset: number
  metaDataLength: number
  bodyLength: number
}

/** A column of one batch: its null count, validity bitmap (when it has nulls) and values. */
export interface BatchColumn {
  nullCount: number
  validity: Uint8Array | null
  values: ArrayBufferView
}

/** Flatbuffer navigation: the absolute position of field `i` of the table at `table`, or 0 when absent. */
function field(dv: DataView, table: number, i: number): number {
  const vtable = table - dv.getInt32(table, true)
  const vlen = dv.getUint16(vtable, true)
  const o = 4 + 2 * i
  const rel = o < vlen ? dv.getUint16(vtable + o, true) : 0
  return rel === 0 ? 0 : table + rel
}

/** The table or vector an offset field at `at` points to. */
function deref(dv: DataView, at: number): number {
  return at + dv.getUint32(at, true)
}

function fail(what: string): never {
  throw new Error(`IpcTemplate: apache-arrow's file does not have the expected layout (${what})`)
}

export class IpcTemplate {
  /** Magic, padding and dictionary batches: the first bytes of every file. */
  readonly prefix: Uint8Array
  /** The record batch message's flatbuffer, padded (written after the continuation and length words). */
  private readonly meta: Uint8Array
  private readonly metaView: DataView
  private readonly lengthAt: number
  private readonly nodesAt: number
  private readonly buffersAt: number
  private readonly bodyLengthAt: number
  readonly columns: number
  private readonly footer: Uint8Array
  /** Position in `footer` of the uoffset of the recordBatches field. */
  private readonly batchesFieldAt: number

  /** `file`: a whole Arrow IPC file apache-arrow wrote for the schema, holding exactly one record batch. */
  constructor(bytes: Uint8Array, columns: number) {
    const file = new Uint8Array(bytes) // a copy of its own: slice() below copies (a Buffer's would not)
    const dv = new DataView(file.buffer)
    for (let i = 0; i < MAGIC.length; i++) if (file[i] !== MAGIC[i]) fail('magic')
    this.columns = columns
    // Messages from byte 8 until the record batch.
    let pos = 8
    for (;;) {
      if (pos + 8 > file.byteLength || dv.getUint32(pos, true) !== CONTINUATION) fail(`message at ${pos}`)
      const metaLen = dv.getInt32(pos + 4, true)
      const m = pos + 8
      const root = deref(dv, m)
      const typeAt = field(dv, root, 1)
      const type = typeAt === 0 ? 0 : dv.getUint8(typeAt)
      const bodyAt = field(dv, root, 3)
      const body = bodyAt === 0 ? 0 : dv.getUint32(bodyAt, true) + 4294967296 * dv.getUint32(bodyAt + 4, true)
      if (type === HEADER_RECORD_BATCH) {
        this.prefix = file.slice(0, pos)
        this.meta = file.slice(m, m + metaLen)
        this.metaView = new DataView(this.meta.buffer)
        const mv = this.metaView
        const mroot = deref(mv, 0)
        const headerAt = field(mv, mroot, 2)
        const bodyLengthAt = field(mv, mroot, 3)
        if (headerAt === 0 || bodyLengthAt === 0) fail('record batch message fields')
        const rb = deref(mv, headerAt)
        const lengthAt = field(mv, rb, 0)
        const nodesField = field(mv, rb, 1)
        const buffersField = field(mv, rb, 2)
        if (lengthAt === 0 || nodesField === 0 || buffersField === 0 || field(mv, rb, 3) !== 0) fail('record batch fields')
        const nodes = deref(mv, nodesField)
        const buffers = deref(mv, buffersField)
        if (mv.getUint32(nodes, true) !== columns || mv.getUint32(buffers, true) !== 2 * columns) fail('nodes and buffers per column')
        this.lengthAt = lengthAt
        this.nodesAt = nodes + 4
        this.buffersAt = buffers + 4
        this.bodyLengthAt = bodyLengthAt
        pos = m + metaLen + body
        break
      }
      pos = m + metaLen + body
    }
    // End of stream, footer, its length, magic.
    if (dv.getUint32(pos, true) !== CONTINUATION || dv.getUint32(pos + 4, true) !== 0) fail('end of stream')
    const footerLen = dv.getInt32(file.byteLength - 10, true)
    const footerAt = file.byteLength - 10 - footerLen
    if (footerAt !== pos + 8) fail('footer position')
    this.footer = file.slice(footerAt, footerAt + footerLen)
    const fv = new DataView(this.footer.buffer)
    const froot = deref(fv, 0)
    const batchesField = field(fv, froot, 3)
    if (batchesField === 0 || fv.getUint32(deref(fv, batchesField), true) !== 1) fail('footer record batches')
    this.batchesFieldAt = batchesField
  }

  /**
   * The message of a batch of `n` rows (continuation, length, flatbuffer) and its body's buffers with their
   * padding, in file order, and the body's length. The message bytes are shared: write them before the
   * next call.
   */
  batch(n: number, cols: readonly BatchColumn[]): {chunks: Uint8Array[]; metaLength: number; bodyLength: number} {
    if (cols.length !== this.columns) throw new Error(`IpcTemplate.batch: ${cols.length} columns, the schema has ${this.columns}`)
    const mv = this.metaView
    setI64(mv, this.lengthAt, n)
    const chunks: Uint8Array[] = [HEADER, this.meta]
    let off = 0
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]
      setI64(mv, this.nodesAt + 16 * i, n)
      setI64(mv, this.nodesAt + 16 * i + 8, c.nullCount)
      const bufs = [c.nullCount > 0 ? c.validity! : EMPTY, c.values]
      for (let j = 0; j < 2; j++) {
        const b = bufs[j]
        const padded = (b.byteLength + 7) & ~7
        const at = this.buffersAt + 16 * (2 * i + j)
        setI64(mv, at, off)
        setI64(mv, at + 8, padded)
        if (b.byteLength > 0) chunks.push(b instanceof Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength))
        if (padded > b.byteLength) chunks.push(ZEROS.subarray(0, padded - b.byteLength))
        off += padded
      }
    }
    setI64(mv, this.bodyLengthAt, off)
    HEADER_WORDS[1] = this.meta.byteLength
    return {chunks, metaLength: 8 + this.meta.byteLength, bodyLength: off}
  }

  /** End of stream, the footer listing `blocks` (the file's record batches), its length and the magic. */
  end(blocks: readonly FileBlock[]): Uint8Array {
    const base = this.footer.byteLength
    // The new vector: its length word at ≡ 4 (mod 8), so its 24-byte blocks are 8-byte aligned.
    const lenAt = base + ((12 - (base % 8)) % 8)
    const footerLen = lenAt + 4 + 24 * blocks.length
    const out = new Uint8Array(8 + footerLen + 4 + MAGIC.length)
    const dv = new DataView(out.buffer)
    dv.setUint32(0, CONTINUATION, true) // end of stream: continuation, length 0
    out.set(this.footer, 8)
    const f = 8 // the footer's start in `out`
    dv.setUint32(f + this.batchesFieldAt, lenAt - this.batchesFieldAt, true)
    dv.setUint32(f + lenAt, blocks.length, true)
    blocks.forEach((b, i) => {
      const at = f + lenAt + 4 + 24 * i
      setI64(dv, at, b.offset)
      dv.setInt32(at + 8, b.metaDataLength, true)
      setI64(dv, at + 16, b.bodyLength)
    })
    dv.setInt32(f + footerLen, footerLen, true)
    out.set(MAGIC, f + footerLen + 4)
    return out
  }
}

/** A non-negative integer below 2^53 as a little-endian int64 (no BigInt). */
function setI64(dv: DataView, at: number, v: number): void {
  dv.setUint32(at, v % 4294967296, true)
  dv.setUint32(at + 4, Math.floor(v / 4294967296), true)
}

const EMPTY = new Uint8Array(0)
const ZEROS = new Uint8Array(8)
const HEADER_WORDS = Uint32Array.of(CONTINUATION, 0)
const HEADER = new Uint8Array(HEADER_WORDS.buffer)
