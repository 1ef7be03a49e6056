/**
 * Event rows in shared memory, for a writer on another thread (the replay's I/O thread, see
 * src/replay/frame-source.ts).
 *
 * The producer (the model's Tracer) fills typed arrays — the same columns a TableWriter has — that live
 * in one of EVENT_SLOTS shared slots; when a batch is full the slot is marked full and the writer thread
 * is woken, which encodes it straight from the slot (TableWriter.writeBatchFrom: no copy on either side)
 * and frees it, while the producer moves on to the next free slot. At most EVENT_SLOTS batches are in
 * flight, so memory stays flat; the producer waits (Atomics.wait) only when the writer is behind.
 *
 * Contract: the producer sets every column of every row (the Tracer does); rows are not reset between
 * batches. `cols` are the current slot's arrays: a producer that caches them must fetch them again
 * whenever row() returns 0 (a new batch, possibly in another slot).
 */
import {EV, EVENT_NAMES, REASONS, SIDES, type ColumnSpec} from './schema.js'
import {ColumnArena, type SharedArena} from './simd.js'
import {allocColumnArrays, arenaBytes, type ColumnArray, type TableWriterOptions} from './writer.js'

export const EVENT_SLOTS = 6
/** state[] layout: EVENT_SLOTS full flags, EVENT_SLOTS row counts, then the producer's "finished" flag. */
export const EV_ROWS = EVENT_SLOTS
export const EV_FINISHED = 2 * EVENT_SLOTS
const STATE_LEN = EV_FINISHED + 1
const DEFAULT_BATCH_ROWS = 65536
/**
 * The first batch is short, so the batch-boundary path (flush, and the producer re-reading `cols`) runs
 * while the model is still warming up. Met for the first time in optimized code, it would deoptimize
 * every model function that inlined the producer's row() — then recompile each (~0.4 s of compiler
 * threads on a 1M-frame replay, measured with --trace-deopt / --trace-opt).
 */
const FIRST_BATCH_ROWS = 512

/** What the writer thread needs (structured-cloneable: typed arrays over SharedArrayBuffers). */
export interface EventSlotsShared {
  target: string
  columns: readonly ColumnSpec[]
  options: TableWriterOptions & {batchRows: number}
  slots: Record<string, ColumnArray>[]
  state: Int32Array
  /**
   * The slots live in a ColumnArena (a shared WebAssembly.Memory); this range of it is the writer's, for
   * its bitmaps and int64 words (TableWriterOptions.arena), so the SIMD kernels run on the slots in place.
   * Null where WebAssembly SIMD is unavailable: the slots are then plain shared memory.
   */
  arena: SharedArena | null
}

export class EventSlots {
  /** Column arrays the producer fills (rows 0..row()): the current slot's; re-read when row() returns 0. */
  cols: Record<string, ColumnArray>
  readonly shared: EventSlotsShared
  /** The writer counts the rows (tallyBatch), not the producer (see Tracer). */
  readonly tallied = true
  private readonly slots: Record<string, ColumnArray>[]
  private readonly state: Int32Array
  private readonly batchRows: number
  private limit: number
  private n = 0
  private next = 0
  private rows = 0

  /**
   * `wake` tells the writer thread there is work; `check` throws if that thread has failed (called
   * before waiting on it, so a dead writer surfaces as its error, never as a hang); after `stallMs`
   * without a free slot the producer gives up.
   */
  constructor(target: string, columns: readonly ColumnSpec[], options: TableWriterOptions, private readonly wake: () => void,
    private readonly check: () => void, private readonly stallMs = 60_000) {
    this.batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS
    this.limit = Math.min(FIRST_BATCH_ROWS, this.batchRows)
    const dicts = options.dictionaries ?? {}
    const slot = allocColumnArrays(columns, dicts, this.batchRows, true) // one to size the arena by
    const slotBytes = Object.values(slot).reduce((sum, a) => sum + ((a.byteLength + 15) & ~15), 0)
    const writerBytes = arenaBytes(columns, this.batchRows)
    const arena = ColumnArena.create(EVENT_SLOTS * slotBytes + writerBytes)
    this.slots = Array.from({length: EVENT_SLOTS}, (_, k) => (arena ? allocColumnArrays(columns, dicts, this.batchRows, arena) : k === 0 ? slot : allocColumnArrays(columns, dicts, this.batchRows, true)))
    this.cols = this.slots[0]
    this.state = new Int32Array(new SharedArrayBuffer(4 * STATE_LEN))
    const {arena: _, ...opts} = options // an arena of this thread does not travel; the writer gets its range below
    this.shared = {target, columns, options: {...opts, batchRows: this.batchRows}, slots: this.slots, state: this.state,
      arena: arena ? arena.reserve(writerBytes) : null}
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

  /** Hand the last batch over and tell the writer that no more rows come. */
  finish(): void {
    this.flush()
    Atomics.store(this.state, EV_FINISHED, 1)
    this.wake()
  }

  private flush(): void {
    const n = this.n
    // After the short first batch, one that brings the row count back to a multiple of batchRows: batches
    // then line up with the events files' boundaries (multiples of batchRows) as if none were short.
    this.limit = this.rows === 0 && n > 0 && n < this.batchRows ? this.batchRows - n : this.batchRows
    if (n === 0) return
    const k = this.next
    this.check()
    Atomics.store(this.state, EV_ROWS + k, n)
    Atomics.store(this.state, k, 1)
    this.wake()
    this.rows += n
    this.n = 0
    // Wait for the writer to free the next slot (or fail), then fill that one.
    const next = (k + 1) % EVENT_SLOTS
    const t0 = Date.now()
    while (Atomics.load(this.state, next) === 1) {
      this.check()
      Atomics.wait(this.state, next, 1, 100)
      // Fail, never hang, if the writer stops taking batches.
      if (Date.now() - t0 > this.stallMs) throw new Error(`event writer took no batch for ${this.stallMs / 1000} s`)
    }
    this.next = next
    this.cols = this.slots[next]
  }
}

/** Counts per event code, drops per reason code and cpu_ns per side (the replay's summary and run.json). */
export interface EventTally {
  events: Float64Array
  drops: Float64Array
  cpuBySide: Float64Array
}

export function newEventTally(): EventTally {
  return {events: new Float64Array(EVENT_NAMES.length), drops: new Float64Array(REASONS.length), cpuBySide: new Float64Array(SIDES.length)}
}

/** Count rows 0..n-1 of an event batch (before encoding: null slots still hold -1). */
export function tallyBatch(cols: Record<string, ColumnArray>, n: number, t: EventTally): void {
  const ev = cols.event
  const reason = cols.reason
  const cpu = cols.cpu_ns
  const side = cols.side
  const events = t.events
  const drops = t.drops
  const bySide = sideScratch
  bySide.fill(0)
  const drop = EV.drop
  for (let i = 0; i < n; i++) {
    const e = ev[i]
    events[e]++
    if (e === drop && reason[i] >= 0) drops[reason[i]]++
    // Branch-free: a null side (-1) lands in the spare fourth lane; cpu_ns 0 adds nothing.
    bySide[side[i] & 3] += cpu[i]
  }
  for (let k = 0; k < t.cpuBySide.length; k++) t.cpuBySide[k] += bySide[k]
}
/** Per-batch CPU sums: lanes 0..2 are SIDES, lane 3 takes the null side (-1 & 3). */
const sideScratch = new Float64Array(4)
if (SIDES.length > 3) throw new Error('tallyBatch: SIDES has more than the three lanes of sideScratch')

/**
 * Writer side: tally and encode every full slot, in order, with `write` (a TableWriter's writeBatchFrom)
 * and free it. Returns the next slot to look at and whether anything was written.
 */
export function drainEventSlots(sh: EventSlotsShared, from: number, write: (cols: Record<string, ColumnArray>, n: number) => void,
  tally: EventTally): {next: number; wrote: boolean} {
  let k = from
  let wrote = false
  while (Atomics.load(sh.state, k) === 1) {
    const n = Atomics.load(sh.state, EV_ROWS + k)
    tallyBatch(sh.slots[k], n, tally)
    write(sh.slots[k], n)
    Atomics.store(sh.state, k, 0)
    Atomics.notify(sh.state, k)
    k = (k + 1) % EVENT_SLOTS
    wrote = true
  }
  return {next: k, wrote}
}

/** True once the producer finished and every slot is written. */
export function eventSlotsDone(sh: EventSlotsShared): boolean {
  if (Atomics.load(sh.state, EV_FINISHED) === 0) return false
  for (let k = 0; k < EVENT_SLOTS; k++) if (Atomics.load(sh.state, k) !== 0) return false
  return true
}
