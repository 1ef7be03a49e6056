/**
 * Event sink whose Arrow encoding and file writes run on a worker thread.
 *
 * The replay thread only fills typed arrays (the same columns a TableWriter has); when a batch is full
 * it is copied (one memcpy per column) into one of a few shared-memory slots and handed to the worker,
 * which turns it into a record batch and writes it through its own TableWriter. On the two cores of
 * our machines this takes validity bitmaps, IPC encoding and write(2) off the model's thread.
 *
 * Flow control: a slot is free (0) or full (1); the producer waits (Atomics.wait) for its next slot, so
 * at most SLOTS batches are in flight and memory stays flat. A worker error is stored in a shared flag
 * and surfaces on the producer's next flush or at close(), never as a hang.
 *
 * Contract: the producer sets every column of every row (the Tracer does); rows are not reset between
 * batches.
 */
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import type {ColumnSpec} from './schema.js'
import {allocColumnArrays, type ColumnArray, type TableWriterOptions, type TableWriterResult} from './writer.js'

const SLOTS = 3

export interface WorkerInit {
  target: string
  columns: readonly ColumnSpec[]
  options: TableWriterOptions
  slots: Record<string, ColumnArray>[]
  state: Int32Array
}

export class ThreadedSink {
  /** Column arrays the producer fills (rows 0..row()). */
  readonly cols: Record<string, ColumnArray>
  private readonly names: string[]
  private readonly slots: Record<string, ColumnArray>[]
  private readonly state: Int32Array
  private readonly worker: Worker
  private readonly batchRows: number
  private n = 0
  private next = 0
  private rows = 0
  private failed: string | null = null
  private done: Promise<TableWriterResult>
  private ready: Promise<void>

  private constructor(target: string, columns: readonly ColumnSpec[], options: TableWriterOptions) {
    this.batchRows = options.batchRows ?? 65536
    const dicts = options.dictionaries ?? {}
    this.cols = allocColumnArrays(columns, dicts, this.batchRows)
    this.names = Object.keys(this.cols)
    this.slots = Array.from({length: SLOTS}, () => allocColumnArrays(columns, dicts, this.batchRows, true))
    // state[0..SLOTS-1]: slot full flags; state[SLOTS]: worker error flag
    this.state = new Int32Array(new SharedArrayBuffer(4 * (SLOTS + 1)))
    const init: WorkerInit = {target, columns, options: {...options, batchRows: this.batchRows}, slots: this.slots, state: this.state}
    const js = new URL('./event-worker.js', import.meta.url)
    if (existsSync(fileURLToPath(js))) this.worker = new Worker(js, {workerData: init})
    else {
      // From the TypeScript sources (tests, bin/dev.js): tsx's ESM hooks are not active in a worker on
      // Node 20, so the worker is started as CommonJS with tsx's require hook, which compiles the .ts.
      const tsxCjs = fileURLToPath(import.meta.resolve('tsx/cjs'))
      const ts = fileURLToPath(new URL('./event-worker.ts', import.meta.url))
      this.worker = new Worker(`require(${JSON.stringify(tsxCjs)}); require(${JSON.stringify(ts)})`, {eval: true, workerData: init})
    }
    let readyResolve: () => void
    let readyReject: (e: Error) => void
    this.ready = new Promise((res, rej) => {
      readyResolve = res
      readyReject = rej
    })
    this.done = new Promise((resolve, reject) => {
      this.worker.on('message', (m: {ready?: boolean; result?: TableWriterResult; error?: string}) => {
        if (m.ready) readyResolve()
        else if (m.error !== undefined) {
          this.failed = m.error
          readyReject(new Error(m.error))
          reject(new Error(m.error))
        } else if (m.result) resolve(m.result)
      })
      this.worker.once('exit', (code) => {
        readyReject(new Error(`event writer thread exited (${code}) before it was ready`))
      })
      this.worker.once('error', (e) => {
        readyReject(e)
        this.failed = e.message
        Atomics.store(this.state, SLOTS, 1)
        reject(e)
      })
    })
    this.done.catch(() => {}) // surfaced by flush()/close()
    this.ready.catch(() => {})
  }

  /** Start the worker and wait until it can take batches (its load errors surface here). */
  static async open(target: string, columns: readonly ColumnSpec[], options: TableWriterOptions): Promise<ThreadedSink> {
    const s = new ThreadedSink(target, columns, options)
    try {
      await s.ready
    } catch (err) {
      await s.worker.terminate()
      throw err
    }
    return s
  }

  /** Index of the next row to fill. */
  row(): number {
    if (this.n === this.batchRows) this.flush()
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
    // Wait for the worker to free this slot (or fail).
    while (Atomics.load(this.state, k) === 1) {
      if (Atomics.load(this.state, SLOTS) !== 0) break
      Atomics.wait(this.state, k, 1, 1000)
    }
    if (Atomics.load(this.state, SLOTS) !== 0 || this.failed) throw new Error(`event writer failed: ${this.failed ?? 'worker error'}`)
    const slot = this.slots[k]
    for (const name of this.names) {
      const src = this.cols[name]
      slot[name].set(n === src.length ? src : src.subarray(0, n) as never)
    }
    Atomics.store(this.state, k, 1)
    this.worker.postMessage({slot: k, n})
    this.next = (k + 1) % SLOTS
    this.rows += n
    this.n = 0
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
