/**
 * The replay's capture pipeline: a worker thread reads the capture, hashes it in the same pass (SHA-256
 * for run.json), decodes each frame's L2 header, paces it, and fills batches of `frames.arrow` rows in
 * shared memory; the replay thread takes the frames from there in order and hands each finished batch
 * back, and the worker writes it to frames.arrow. The model's thread thus never touches the file: on
 * two cores this moves reading, decoding and the frames table off the thread that sets the pace.
 *
 * Slots (shared memory, SLOTS of them, each a frames batch of `batchRows` rows plus an `ok` flag per
 * row) cycle empty → filled (worker) → consumed (replay thread) → empty (worker, after writing it).
 * Both sides take them strictly in order, so frames.arrow is in capture order. The replay thread writes
 * only the `host` column (the sending VM's host at injection) before it hands a slot back.
 *
 * A worker takes ~70–100 ms to boot here; meanwhile the replay thread fills slots itself with the same
 * code (frame-fill.ts), and hands over at a slot boundary once the worker has caught up with it
 * (frame-slots.ts), so neither waits for the other.
 *
 * Errors: a damaged capture stops the filler after it has published every frame before the damage; the
 * replay thread gets them, then the error (the reader's own message: file, place, problem, hint) as a
 * UserError when it asks for the next frame, exactly where reading in-thread would have thrown.
 */
import type {Worker} from 'node:worker_threads'
import {UserError} from '../errors.js'
import {openCapture, type CaptureReader} from '../capture/reader.js'
import {FrameFiller, type FillConfig} from './frame-fill.js'
import {
  CAUGHT, CLOSE, CONSUMED, DOORBELL, EMPTY, EOF, ERR, FILLED, HANDED, HANDOFF_FRAMES, HANDOFF_SLOT, MAIN_FRAMES, publishEof, publishSlot, ROWS, SLOTS,
  STARTED, STATE_LEN,
  type FrameSourceInit, type FrameSourceResult,
} from './frame-slots.js'
import {EventSlots} from '../trace/event-slots.js'
import {FRAME_COLUMNS, type ColumnSpec} from '../trace/schema.js'
import {allocColumnArrays, type ColumnArray, type TableWriterOptions} from '../trace/writer.js'
import {startWorker} from '../worker-thread.js'

const DEFAULT_BATCH_ROWS = 8192
const FIRST_SLOT_ROWS = 64
/** No frame from the I/O thread for this long (it did not start, or a wake-up was lost): fail, never hang. */
const STALL_TIMEOUT_MS = 60_000
const ERROR_BYTES = 4096

export interface FrameSourceOptions extends FillConfig {
  capture: string
  framesPath: string
  dictionaries: Partial<Record<string, readonly string[]>>
  metadata: Record<string, string>
  batchRows?: number
  /** The events table, written on the same thread (omit for none). */
  events?: {target: string; columns: readonly ColumnSpec[]; options: TableWriterOptions}
  /** Tests: give up waiting for the I/O thread after this long (default 60 s). */
  stallTimeoutMs?: number
}

export class FrameSource {
  /** The current slot's frames columns (re-read after next() returns 0: a new slot). */
  cols: Record<string, ColumnArray>
  /** The current slot's ok flags. */
  ok: Uint8Array
  /** Frames taken so far. */
  count = 0
  /** The event rows' sink (the model's Tracer fills it), or null without an events table. */
  readonly events: EventSlots | null
  private readonly slots: Record<string, ColumnArray>[]
  private readonly oks: Uint8Array[]
  private readonly batchRows: number
  private readonly state: Int32Array
  private readonly stats: Float64Array
  private readonly errorText: Uint8Array
  private readonly worker: Worker
  /** In-thread filling until the hand-over (then null). */
  private reader: CaptureReader | null
  private filler: FrameFiller | null
  private fillError: unknown = null
  private cur = -1
  private row = 0
  private rows = 0
  private ended = false
  private failed: string | null = null
  private readonly done: Promise<FrameSourceResult>
  private readonly stallMs: number

  constructor(opts: FrameSourceOptions) {
    this.stallMs = opts.stallTimeoutMs ?? STALL_TIMEOUT_MS
    const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS
    this.batchRows = batchRows
    this.slots = Array.from({length: SLOTS}, () => allocColumnArrays(FRAME_COLUMNS, opts.dictionaries, batchRows, true))
    this.oks = Array.from({length: SLOTS}, () => new Uint8Array(new SharedArrayBuffer(batchRows)))
    this.cols = this.slots[0]
    this.ok = this.oks[0]
    this.state = new Int32Array(new SharedArrayBuffer(4 * STATE_LEN))
    this.stats = new Float64Array(new SharedArrayBuffer(16))
    this.errorText = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES))
    const fill: FillConfig = {
      pacing: opts.pacing, topGbps: opts.topGbps, fcsBytes: opts.fcsBytes, ethOverheadBytes: opts.ethOverheadBytes,
      vmMacs: opts.vmMacs, vmIndex: opts.vmIndex,
    }
    this.events = opts.events
      ? new EventSlots(opts.events.target, opts.events.columns, opts.events.options, () => this.ring(), () => this.checkWorker(), this.stallMs)
      : null
    const init: FrameSourceInit = {
      capture: opts.capture, framesPath: opts.framesPath,
      options: {table: 'frames', dictionaries: opts.dictionaries, metadata: opts.metadata, batchRows},
      slots: this.slots, ok: this.oks, state: this.state, stats: this.stats, errorText: this.errorText, fill,
      events: this.events?.shared ?? null,
    }
    this.worker = startWorker(new URL('./frame-worker.js', import.meta.url), init)
    this.done = new Promise<FrameSourceResult>((resolve, reject) => {
      const failWith = (msg: string) => {
        this.failed ??= msg
        reject(new Error(msg))
      }
      this.worker.on('message', (m: {result?: FrameSourceResult}) => {
        if (m.result) resolve(m.result)
      })
      this.worker.once('error', (e) => failWith(e.message))
      this.worker.once('exit', (code) => failWith(`its thread exited (code ${code}) before finishing`))
    })
    this.done.catch(() => {}) // surfaced by next()/close()
    this.reader = openCapture(opts.capture, {bufferSize: 1 << 20})
    this.filler = new FrameFiller(this.reader, fill)
    this.stats[1] = this.reader.fileSize
  }

  /** Bytes of the capture read so far and its size (for progress). */
  get bytesRead(): number {
    return this.stats[0]
  }

  get fileSize(): number {
    return this.stats[1]
  }

  /**
   * Take the next frame: its row index in `cols` (0 means a new slot: re-read `cols` and `ok`), or -1
   * when the capture is exhausted. Throws the reader's UserError where the capture is damaged.
   */
  next(): number {
    if (this.row < this.rows) {
      this.count++
      return this.row++
    }
    if (this.ended) return -1
    const st = this.state
    if (this.cur >= 0) this.release(this.cur)
    if (this.fillError !== null) throw this.fillError
    const k = (this.cur + 1) % SLOTS
    const t0 = Date.now()
    for (;;) {
      if (this.filler !== null) {
        if (Atomics.load(st, CAUGHT) === this.filler.count + 1) this.handOver(k)
        else if (Atomics.load(st, k) === EMPTY && !this.filler.eof) this.fillHere(k)
      }
      const v = Atomics.load(st, k)
      if (v === FILLED) break
      this.checkWorker()
      if (Atomics.load(st, EOF) !== 0) {
        this.ended = true
        this.cur = k
        this.rows = this.row = 0
        return -1
      }
      Atomics.wait(st, k, v, 100)
      if (Date.now() - t0 > this.stallMs) {
        throw new Error(`replay I/O thread ${Atomics.load(st, STARTED) === 0 ? 'did not start' : 'sent no frames'} within ${this.stallMs / 1000} s`)
      }
    }
    this.cur = k
    this.cols = this.slots[k]
    this.ok = this.oks[k]
    this.rows = Atomics.load(st, ROWS + k)
    this.row = 1
    this.count++
    return 0
  }

  /**
   * After the last frame: hand the last slot back and the last event batch over, let the worker finish
   * frames.arrow and the events files, and return what it found and wrote.
   */
  async close(): Promise<FrameSourceResult> {
    if (!this.ended) throw new Error('FrameSource.close: frames are left (read until next() returns -1)')
    this.events?.finish()
    if (this.filler !== null) this.handOver((this.cur + 1) % SLOTS)
    Atomics.store(this.state, CLOSE, 1)
    this.ring()
    try {
      return await this.done
    } catch (err) {
      if (Atomics.load(this.state, ERR) !== 0) this.throwWorkerError()
      throw err
    } finally {
      await this.worker.terminate()
    }
  }

  /** Stop without finishing (errors, Ctrl-C). */
  async destroy(): Promise<void> {
    this.reader?.close()
    await this.worker.terminate()
  }

  /** Fill slot k on this thread (the worker is still booting). */
  private fillHere(k: number): void {
    const filler = this.filler!
    try {
      // The first slot is short: the slot-boundary path then runs before the replay loop is optimized
      // (first met in optimized code it would deoptimize the functions that inlined next()).
      filler.fill(this.slots[k], this.oks[k], filler.count === 0 ? Math.min(FIRST_SLOT_ROWS, this.batchRows) : this.batchRows)
    } catch (err) {
      this.fillError = err // thrown after the frames before it
    }
    this.stats[0] = this.reader!.bytesRead
    if (filler.filled > 0) {
      publishSlot(this.state, k, filler.filled)
      Atomics.store(this.state, MAIN_FRAMES, filler.count)
      this.ring()
    }
    if (filler.eof) publishEof(this.state)
    if (filler.filled === 0 && this.fillError !== null) throw this.fillError
  }

  /** The worker is ready: it fills from slot `first` on, after the frames filled here. */
  private handOver(first: number): void {
    Atomics.store(this.state, HANDOFF_FRAMES, this.filler!.count)
    Atomics.store(this.state, HANDOFF_SLOT, first)
    Atomics.store(this.state, HANDED, 1)
    this.ring()
    this.reader!.close()
    this.reader = null
    this.filler = null
  }

  private release(k: number): void {
    Atomics.store(this.state, k, CONSUMED)
    this.ring()
  }

  private ring(): void {
    Atomics.add(this.state, DOORBELL, 1)
    Atomics.notify(this.state, DOORBELL)
  }

  private checkWorker(): void {
    if (Atomics.load(this.state, ERR) !== 0) this.throwWorkerError()
    if (this.failed) throw new Error(`replay I/O thread failed: ${this.failed}`)
  }

  private throwWorkerError(): never {
    const end = this.errorText.indexOf(0)
    const text = new TextDecoder().decode(this.errorText.slice(0, end < 0 ? ERROR_BYTES : end))
    let e: {message: string; hint?: string; user?: boolean}
    try {
      e = JSON.parse(text) as typeof e
    } catch {
      e = {message: text || 'no message'}
    }
    if (e.user) throw new UserError(e.message, {hint: e.hint})
    throw new Error(`replay I/O thread failed: ${e.message}`)
  }
}
