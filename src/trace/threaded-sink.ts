/**
 * Event sink whose Arrow encoding and file writes run on a worker thread.
 *
 * The replay thread fills typed arrays (the same columns a TableWriter has) that live in one of a few
 * shared-memory slots; when a batch is full the slot is handed to the worker, which turns it into a
 * record batch and writes it through its own TableWriter, straight from the slot (no copy on either
 * side), and the producer moves on to the next free slot. On the two cores of our machines this takes
 * validity bitmaps, IPC encoding and write(2) off the model's thread.
 *
 * Flow control: a slot is free (0) or full (1); the producer waits (Atomics.wait) for its next slot, so
 * at most SLOTS batches are in flight and memory stays flat. A worker error is stored in a shared flag
 * (and its message in shared memory) and surfaces on the producer's next flush or at close(), never as
 * a hang. The producer does not wait for the worker to load its modules (~0.25 s): it fills the first
 * slots meanwhile; a worker that never starts is reported after START_TIMEOUT_MS of waiting.
 *
 * Contract: the producer sets every column of every row (the Tracer does); rows are not reset between
 * batches. `cols` are the current slot's arrays: a producer that caches them must fetch them again
 * whenever row() returns 0 (a new batch, possibly in another slot).
 */
import type {Worker} from 'node:worker_threads'
import type {ColumnSpec} from './schema.js'
import {allocColumnArrays, type ColumnArray, type TableWriterOptions, type TableWriterResult} from './writer.js'
import {startWorker} from '../worker-thread.js'

const SLOTS = 3
/** state[] layout: SLOTS full flags, then the error flag, then the worker's "started" flag. */
const ERR = SLOTS
const STARTED = SLOTS + 1
const START_TIMEOUT_MS = 60_000
/**
 * The first batch is short, so the batch-boundary path (flush, and the producer re-reading `cols`) runs
 * while the model is still warming up. Met for the first time in optimized code, it would deoptimize
 * every model function that inlined the producer's row() — then recompile each (~0.4 s of compiler
 * threads on a 1M-frame replay, measured with --trace-deopt / --trace-opt).
 */
const FIRST_BATCH_ROWS = 512
const ERROR_BYTES = 4096

export interface WorkerInit {
  target: string
  columns: readonly ColumnSpec[]
  options: TableWriterOptions
  slots: Record<string, ColumnArray>[]
  state: Int32Array
  /** UTF-8 error message, NUL-terminated, written by the worker before it sets the error flag. */
  errorText: Uint8Array
}

export class ThreadedSink {
  /** Column arrays the producer fills (rows 0..row()): the current slot's; re-read when row() returns 0. */
  cols: Record<string, ColumnArray>
  private readonly slots: Record<string, ColumnArray>[]
  private readonly state: Int32Array
  private readonly errorText: Uint8Array
  private readonly worker: Worker
  private readonly batchRows: number
  /** Rows of the batch being filled; the first batch is short (see FIRST_BATCH_ROWS). */
  private limit: number
  private n = 0
  private next = 0
  private rows = 0
  private failed: string | null = null
  private done: Promise<TableWriterResult>

  private constructor(target: string, columns: readonly ColumnSpec[], options: TableWriterOptions) {
    this.batchRows = options.batchRows ?? 65536
    this.limit = Math.min(FIRST_BATCH_ROWS, this.batchRows)
    const dicts = options.dictionaries ?? {}
    this.slots = Array.from({length: SLOTS}, () => allocColumnArrays(columns, dicts, this.batchRows, true))
    this.cols = this.slots[0]
    this.state = new Int32Array(new SharedArrayBuffer(4 * (STARTED + 1)))
    this.errorText = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES))
    const init: WorkerInit = {
      target, columns, options: {...options, batchRows: this.batchRows}, slots: this.slots, state: this.state, errorText: this.errorText,
    }
    this.worker = startWorker(new URL('./event-worker.js', import.meta.url), init)
    this.done = new Promise((resolve, reject) => {
      const failWith = (msg: string) => {
        this.failed ??= msg
        Atomics.store(this.state, ERR, 1)
        reject(new Error(msg))
      }
      this.worker.on('message', (m: {result?: TableWriterResult; error?: string}) => {
        if (m.error !== undefined) failWith(m.error)
        else if (m.result) resolve(m.result)
      })
      this.worker.once('error', (e) => failWith(e.message))
      // After a result this rejection is a no-op; before one, close() would otherwise wait forever.
      this.worker.once('exit', (code) => failWith(`its thread exited (code ${code}) before finishing the file`))
    })
    this.done.catch(() => {}) // surfaced by flush()/close()
  }

  /** Start the worker; rows can be filled at once (its load errors surface at flush() or close()). */
  static open(target: string, columns: readonly ColumnSpec[], options: TableWriterOptions): ThreadedSink {
    return new ThreadedSink(target, columns, options)
  }

  /** Index of the next row to fill. */
  row(): number {
    if (this.n === this.limit) this.flush()
    return this.n++
  }

  /** Rows handed out so far. */
  get rowCount(): number {
    return this.rows + this.n
  }

  private flush(): void {
    const n = this.n
    if (n === 0) return
    const k = this.next
    this.check()
    Atomics.store(this.state, k, 1)
    this.worker.postMessage({slot: k, n})
    this.rows += n
    this.n = 0
    this.limit = this.batchRows
    // Wait for the worker to free the next slot (or fail), then fill that one.
    const next = (k + 1) % SLOTS
    const t0 = Date.now()
    while (Atomics.load(this.state, next) === 1) {
      if (Atomics.load(this.state, ERR) !== 0) break
      Atomics.wait(this.state, next, 1, 1000)
      if (Atomics.load(this.state, STARTED) === 0 && Date.now() - t0 > START_TIMEOUT_MS) {
        throw new Error(`event writer failed: its thread did not start within ${START_TIMEOUT_MS / 1000} s`)
      }
    }
    this.check()
    this.next = next
    this.cols = this.slots[next]
  }

  private check(): void {
    if (Atomics.load(this.state, ERR) === 0 && !this.failed) return
    let msg = this.failed
    if (msg === null) {
      const end = this.errorText.indexOf(0)
      msg = new TextDecoder().decode(this.errorText.slice(0, end < 0 ? ERROR_BYTES : end)) || 'worker error'
    }
    throw new Error(`event writer failed: ${msg}`)
  }

  /** Flush the last batch, let the worker finish its files, and return what it wrote. */
  async close(): Promise<TableWriterResult> {
    this.flush()
    this.worker.postMessage({close: true})
    try {
      return await this.done
    } finally {
      await this.worker.terminate()
    }
  }

  /** Stop without finishing (errors, Ctrl-C): the worker is terminated, its file closed by the OS. */
  async destroy(): Promise<void> {
    await this.worker.terminate()
  }
}
