/**
 * Synchronous, random-access reading of an Arrow IPC file, one record batch in memory at a time.
 *
 * Why: DuckDB calls a table function's scan callback synchronously on the JS thread, so the
 * `events`/`frames` scans (table functions, see session.ts) cannot await a read. apache-arrow 21 only
 * reads files synchronously from a buffer holding the whole file (806 MB for a 1M-frame run) or
 * asynchronously from a FileHandle. This module gives its synchronous file reader an fd-backed
 * `RandomAccessFile` instead: the footer and dictionaries are read once, then each batch with a few
 * `readSync` calls (measured in ../shared/reference/arrow-duckdb.md §2 i-b: 0.4 GB RSS instead of 0.9).
 *
 * Fragile part, kept here only: the synchronous file-reader implementation class is not exported by
 * apache-arrow; it is taken from a reader of a tiny in-memory file (`_impl.constructor`). Pinned to
 * apache-arrow 21; test/analysis/arrow-file.test.ts covers it.
 */
import * as fs from 'node:fs'
import {RecordBatchReader, Table, tableToIPC, vectorFromArray} from 'apache-arrow'
import type {RecordBatch, Schema, Vector} from 'apache-arrow'
import {RandomAccessFile} from 'apache-arrow/io/file'
import {UserError} from '../errors.js'

/** Two reusable buffers for batch bodies, owned by one sequential reader of a file. */
export interface BatchBuffers {
  bufs: Uint8Array[]
  next: number
}

/** Small reads (message lengths, metadata) are served from a read-ahead block of this size. */
const READ_AHEAD = 64 * 1024

/** A RandomAccessFile over a file descriptor: every read is a positional `readSync`. */
class FdFile extends RandomAccessFile {
  private readonly fd: number
  private ahead: Uint8Array = new Uint8Array(0)
  private aheadPos = -1
  /** Buffers for the batch bodies of the current ArrowFile.batch() call (null: fresh buffers). */
  pool: BatchBuffers | null = null

  constructor(fd: number, size: number) {
    super(new Uint8Array(0), size)
    this.fd = fd
  }

  private pread(position: number, n: number): Uint8Array {
    // 8-byte aligned (offset 0): the record batch's vectors are views of it
    let out: Uint8Array
    const pool = this.pool
    if (pool !== null && n > READ_AHEAD) out = takeBuffer(pool, n)
    else out = new Uint8Array(n)
    let got = 0
    while (got < n) {
      const k = fs.readSync(this.fd, out, got, n - got, position + got)
      if (k <= 0) break
      got += k
    }
    return got === n ? out : out.subarray(0, got)
  }

  override readAt(position: number, nBytes: number): Uint8Array {
    const end = Math.min(this.size, position + nBytes)
    const n = Math.max(0, end - position)
    if (n <= READ_AHEAD) {
      if (this.aheadPos < 0 || position < this.aheadPos || end > this.aheadPos + this.ahead.byteLength) {
        this.ahead = this.pread(position, Math.min(READ_AHEAD, this.size - position))
        this.aheadPos = position
      }
      return this.ahead.subarray(position - this.aheadPos, end - this.aheadPos)
    }
    return this.pread(position, n)
  }

  override read(nBytes?: number | null): Uint8Array | null {
    const position = this.position
    if (position >= this.size) return null
    const n = typeof nBytes === 'number' ? Math.min(nBytes, this.size - position) : this.size - position
    this.position = position + n
    return this.readAt(position, n)
  }

  override close(): void {
    // the fd belongs to ArrowFile
  }
}

/** The next of the two buffers, at least n bytes (offset 0). */
function takeBuffer(pool: BatchBuffers, n: number): Uint8Array {
  const k = pool.next
  pool.next ^= 1
  if ((pool.bufs[k]?.byteLength ?? 0) < n) pool.bufs[k] = new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n)
  return pool.bufs[k].subarray(0, n)
}

interface SyncFileReaderImpl {
  open(): unknown
  schema: Schema
  dictionaries: Map<number, Vector>
  numRecordBatches: number
  readRecordBatch(index: number): RecordBatch | null
}

let implClass: (new (source: RandomAccessFile) => SyncFileReaderImpl) | null = null

function fileReaderImpl(): new (source: RandomAccessFile) => SyncFileReaderImpl {
  if (implClass) return implClass
  const tiny = tableToIPC(new Table({x: vectorFromArray([1])}), 'file')
  const reader = RecordBatchReader.from(tiny) as unknown as {_impl?: {constructor: unknown; isFile?: () => boolean}}
  if (!reader._impl || !reader._impl.isFile?.()) throw new Error('apache-arrow: the synchronous file reader is not where npa-trace expects it (version change?)')
  implClass = reader._impl.constructor as new (source: RandomAccessFile) => SyncFileReaderImpl
  return implClass
}

/** An open Arrow IPC file: schema, dictionaries, and its record batches by index. */
export class ArrowFile {
  readonly path: string
  readonly schema: Schema
  readonly numBatches: number
  /** Dictionary vectors by dictionary id (shared by every batch of the file). */
  readonly dictionaries: Map<number, Vector>
  private fd: number
  private readonly file: FdFile
  private readonly impl: SyncFileReaderImpl

  private constructor(path: string, fd: number, file: FdFile, impl: SyncFileReaderImpl) {
    this.path = path
    this.fd = fd
    this.file = file
    this.impl = impl
    this.schema = impl.schema
    this.numBatches = impl.numRecordBatches
    this.dictionaries = impl.dictionaries
  }

  /** Open `path` (UserError when it is missing or not an Arrow IPC file). */
  static open(path: string): ArrowFile {
    let fd: number
    try {
      fd = fs.openSync(path, 'r')
    } catch (err) {
      throw new UserError(`cannot open ${path}: ${(err as Error).message}`)
    }
    try {
      const size = fs.fstatSync(fd).size
      const head = Buffer.alloc(6)
      fs.readSync(fd, head, 0, 6, 0)
      if (size < 12 || head.toString('latin1') !== 'ARROW1') {
        throw new UserError(`${path}: not an Arrow IPC file`, {hint: 'replay the capture again'})
      }
      const Impl = fileReaderImpl()
      const file = new FdFile(fd, size)
      const impl = new Impl(file)
      impl.open()
      return new ArrowFile(path, fd, file, impl)
    } catch (err) {
      fs.closeSync(fd)
      if (err instanceof UserError) throw err
      throw new UserError(`${path}: not a readable Arrow IPC file (${(err as Error).message})`, {hint: 'replay the capture again'})
    }
  }

  /**
   * Record batch `index`, read from disk now. Its body goes into one of the two buffers of `buffers`,
   * which are reused: faulting in fresh memory for every 3 MB body costs 0.6 s per 800 MB read against
   * 0.09 s. So a batch is valid until the next but one read with the same `buffers` (one per reader of
   * the file, e.g. per scan); keep no views of it beyond that. Without `buffers`, fresh memory.
   */
  batch(index: number, buffers: BatchBuffers | null = null): RecordBatch {
    let b: RecordBatch | null
    this.file.pool = buffers
    try {
      b = this.impl.readRecordBatch(index)
    } catch (err) {
      throw new UserError(`${this.path}: record batch ${index} is unreadable (${(err as Error).message})`, {hint: 'replay the capture again'})
    }
    finally {
      this.file.pool = null
    }
    if (!b) throw new UserError(`${this.path}: record batch ${index} is missing`, {hint: 'replay the capture again'})
    return b
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd)
    this.fd = -1
  }
}
