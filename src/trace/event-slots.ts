/**
 * Event rows in shared memory, for a writer on another thread (the replay's I/O thread, see
 * src/replay/frame-source.ts).
 *
 * The producer (the model's PackedTracer) fills typed arrays that live in one of EVENT_SLOTS shared slots;
 * when a batch is full the slot is marked full and the writer thread is woken, which unpacks the packed
 * words (PACKED_WORDS), counts the rows and encodes the batch from the slot (EventSlotsDrain, then
 * TableWriter.writeBatchFrom: the other columns are not copied) and frees it, while the producer moves on
 * to the next free slot. At most EVENT_SLOTS batches are in flight, so memory stays flat; the producer
 * waits (Atomics.wait) only when the writer is behind.
 *
 * The slots are a ColumnArena (a shared WebAssembly.Memory) where WebAssembly SIMD runs, so the unpacking,
 * validity bitmaps and int64 words are SIMD kernels working in place (src/trace/simd.ts).
 *
 * Contract: the producer sets every column of every row (the tracer does); rows are not reset between
 * batches. `cols` are the current slot's arrays (slotColumns()): a producer that caches them must fetch
 * them again whenever row() returns 0 (a new batch, possibly in another slot).
 */
import {UserError} from '../errors.js'
import {EV, EVENT_NAMES, FIXED_DICTIONARIES, REASONS, SIDES, type ColumnSpec} from './schema.js'
import {ColumnArena, ColumnKernels, type SharedArena, type TallyScratch} from './simd.js'
import {allocColumnArrays, arenaBytes, columnArraysBytes, type ColumnArray, type TableWriterOptions} from './writer.js'

/**
 * Small columns travel packed, one 32-bit word per row for several columns (lanes, least significant
 * first: 8-bit dictionary codes or 16-bit values; a null -1 is all ones in its lane). Every store costs the
 * model's thread about the same (~0.03 s per column per 1M frames), so 20 column stores per event became
 * 11 (PackedTracer, which writes these lanes by hand: keep the two in step; a test checks them against
 * CountingTracer). The run's dictionaries (host, vm, plugin, target) take 16-bit lanes: a run may name at
 * most 32767 of each (the drain narrows them to the column's 8 bits when the dictionary has ≤ 127 names).
 */
export const PACKED_WORDS: readonly {name: string; bits: 8 | 16; lanes: readonly string[]}[] = [
  {name: 'pk_event_component_mode_ring', bits: 8, lanes: ['event', 'component', 'mode', 'ring']},
  {name: 'pk_reason_detail_side', bits: 8, lanes: ['reason', 'detail', 'side']},
  {name: 'pk_replica_queue', bits: 16, lanes: ['replica', 'queue']},
  {name: 'pk_desc_idx_vlan', bits: 16, lanes: ['desc_idx', 'vlan']},
  {name: 'pk_host_vm', bits: 16, lanes: ['host', 'vm']},
  {name: 'pk_plugin_target', bits: 16, lanes: ['plugin', 'target']},
]

/** The columns PACKED_WORDS carries. */
const PACKED_LANES = new Set(PACKED_WORDS.flatMap((p) => p.lanes))

/** Most names a run dictionary may have in a 16-bit lane (codes 0..32766; -1 is null). */
export const MAX_PACKED_DICTIONARY = 32767

/**
 * The slots' columns: those of `columns` that are not packed, then one Int32 word column per PACKED_WORDS
 * entry. Throws a UserError when a run dictionary is too large for its lane (a scenario with over 32767 VMs).
 */
export function slotColumns(columns: readonly ColumnSpec[], dicts: Partial<Record<string, readonly string[]>>): ColumnSpec[] {
  for (const p of PACKED_WORDS) {
    for (const name of p.lanes) {
      const spec = columns.find((c) => c.name === name)
      if (!spec) throw new Error(`event slots: packed column ${name} is not a column`)
      const size = spec.type.startsWith('dict:') ? (FIXED_DICTIONARIES[spec.type.slice(5)] ?? dicts[spec.type.slice(5)])?.length : undefined
      if (p.bits === 16 && size !== undefined && size > MAX_PACKED_DICTIONARY) {
        throw new UserError(`the run has ${size} ${spec.type.slice(5)} names: the trace holds at most ${MAX_PACKED_DICTIONARY}`, {
          hint: 'split the scenario into runs of fewer VMs',
        })
      }
      const fits = p.bits === 8 ? size !== undefined && size <= 127 : size !== undefined || spec.type === 'i16' || spec.type === 'u16'
      if (!fits) throw new Error(`event slots: column ${name} (${spec.type}) does not fit a ${p.bits}-bit lane`)
    }
  }
  return [
    ...columns.filter((c) => !PACKED_LANES.has(c.name)),
    ...PACKED_WORDS.map((p): ColumnSpec => ({name: p.name, type: 'i32', nullable: false, description: `packed ${p.lanes.join(', ')}`})),
  ]
}

/**
 * Batches in flight (65536 rows, ~3 MB each). 12, not 6: the I/O thread takes ~150 ms to start (a Node
 * environment and its modules), and with 6 slots the model filled them all first and then waited ~50 ms
 * for it on every replay (measured with timers around the Atomics.wait below).
 */
export const EVENT_SLOTS = 12
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
  /** The slot layout (slotColumns: PACKED_WORDS), counted by the writer thread: see PackedTracer. */
  readonly packed = true
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
    const layout = slotColumns(columns, dicts)
    const slotBytes = columnArraysBytes(layout, dicts, this.batchRows)
    // The writer thread's part: the unpacked lanes (EventSlotsDrain) and the writer's bitmaps and int64 words.
    const writerBytes = drainBytes(columns, dicts, this.batchRows) + arenaBytes(columns, this.batchRows)
    const arena = ColumnArena.create(EVENT_SLOTS * slotBytes + writerBytes)
    this.slots = Array.from({length: EVENT_SLOTS}, () => allocColumnArrays(layout, dicts, this.batchRows, arena ?? true))
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

/** Bytes EventSlotsDrain takes from its arena: one array per packed column, a spare byte lane, the tally's counts. */
function drainBytes(columns: readonly ColumnSpec[], dicts: Partial<Record<string, readonly string[]>>, rows: number): number {
  return columnArraysBytes(columns.filter((c) => PACKED_LANES.has(c.name)), dicts, rows) + ((rows + 15) & ~15) + TALLY_BYTES
}
const TALLY_BYTES = 4 * 256 + 4 * 256 + 8 * 4

/**
 * Writer side: each full slot, in order, has its packed words unpacked (into arrays of this thread that
 * every batch reuses), its rows counted (tally) and the batch encoded by `write` (a TableWriter's
 * writeBatchFrom), then is freed for the producer.
 */
export class EventSlotsDrain {
  readonly tally = newEventTally()
  private next = 0
  /** Per slot: the slot's own columns, with the packed ones replaced by `lanes`. */
  private readonly batches: Record<string, ColumnArray>[]
  /** The unpacked columns, shared by every batch; per PACKED_WORDS entry, its lanes' arrays (a spare for a missing fourth). */
  private readonly lanes: Record<string, ColumnArray>
  private readonly laneArrays: ColumnArray[][]
  /** The SIMD kernels, when the slots and this thread's arrays are all in the arena; null: JavaScript. */
  private readonly kernels: ColumnKernels | null
  /** The tally kernel's per-batch counts. */
  private readonly scratch: TallyScratch | null

  /** `arena`: the range of the slots' arena reserved for this thread (EventSlotsShared.arena), if any. */
  constructor(private readonly sh: EventSlotsShared, arena: ColumnArena | null) {
    const rows = sh.options.batchRows
    const dicts = sh.options.dictionaries ?? {}
    this.lanes = allocColumnArrays(sh.columns.filter((c) => PACKED_LANES.has(c.name)), dicts, rows, arena ?? false)
    const spare = arena ? arena.alloc(Uint8Array, rows) : new Uint8Array(rows)
    this.laneArrays = PACKED_WORDS.map((p) => [...p.lanes.map((name) => this.lanes[name]), ...(p.bits === 8 && p.lanes.length < 4 ? [spare] : [])])
    const k = arena ? ColumnKernels.for(arena) : null
    this.kernels = k !== null && sh.slots.every((slot) => Object.values(slot).every((a) => k.owns(a))) ? k : null
    this.scratch = arena ? {counts: arena.alloc(Int32Array, 256), drops: arena.alloc(Int32Array, 256), sides: arena.alloc(Float64Array, 4)} : null
    const words = new Set(PACKED_WORDS.map((p) => p.name))
    this.batches = sh.slots.map((slot) => {
      const b: Record<string, ColumnArray> = {}
      for (const [name, a] of Object.entries(slot)) if (!words.has(name)) b[name] = a
      return Object.assign(b, this.lanes)
    })
  }

  /** Unpack, count and write every full slot; true if any was written. */
  drain(write: (cols: Record<string, ColumnArray>, n: number) => void): boolean {
    const sh = this.sh
    let wrote = false
    while (Atomics.load(sh.state, this.next) === 1) {
      const k = this.next
      const n = Atomics.load(sh.state, EV_ROWS + k)
      this.unpack(sh.slots[k], n)
      this.count(this.batches[k], n)
      write(this.batches[k], n)
      Atomics.store(sh.state, k, 0)
      Atomics.notify(sh.state, k)
      this.next = (k + 1) % EVENT_SLOTS
      wrote = true
    }
    return wrote
  }

  /** True once the producer finished and every slot is written. */
  get done(): boolean {
    const sh = this.sh
    if (Atomics.load(sh.state, EV_FINISHED) === 0) return false
    for (let k = 0; k < EVENT_SLOTS; k++) if (Atomics.load(sh.state, k) !== 0) return false
    return true
  }

  /** tallyBatch, by the tally kernel where it runs (event, reason and side are 8-bit lanes: slotColumns). */
  private count(b: Record<string, ColumnArray>, n: number): void {
    const k = this.kernels
    const sc = this.scratch
    if (k === null || sc === null) {
      tallyBatch(b, n, this.tally)
      return
    }
    sc.counts.fill(0)
    sc.drops.fill(0)
    sc.sides.fill(0)
    k.tally(b.event, b.reason, b.side, b.cpu_ns as Uint32Array, n, EV.drop, sc)
    const t = this.tally
    for (let e = 0; e < t.events.length; e++) t.events[e] += sc.counts[e]
    for (let r = 0; r < t.drops.length; r++) t.drops[r] += sc.drops[r]
    for (let s = 0; s < t.cpuBySide.length; s++) t.cpuBySide[s] += sc.sides[s]
  }

  private unpack(slot: Record<string, ColumnArray>, n: number): void {
    const k = this.kernels
    PACKED_WORDS.forEach((p, i) => {
      const src = slot[p.name] as Int32Array
      const d = this.laneArrays[i]
      if (p.bits === 8) {
        if (k !== null) k.unpack8x4(src, d[0], d[1], d[2], d[3], n)
        else unpack8x4(src, d[0], d[1], d[2], d[3], n)
      } else if (k !== null && d[0].BYTES_PER_ELEMENT === d[1].BYTES_PER_ELEMENT) {
        if (d[0].BYTES_PER_ELEMENT === 1) k.unpack16x2to8(src, d[0], d[1], n)
        else k.unpack16x2(src, d[0], d[1], n)
      } else unpack16x2(src, d[0], d[1], n) // into any widths (8-bit host, 16-bit vm codes): typed-array stores keep the low bits
    })
  }
}

/** Four 8-bit lanes of each word into four arrays (typed-array stores keep the low 8 bits). */
function unpack8x4(src: Int32Array, d0: ColumnArray, d1: ColumnArray, d2: ColumnArray, d3: ColumnArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const w = src[i]
    d0[i] = w
    d1[i] = w >> 8
    d2[i] = w >> 16
    d3[i] = w >> 24
  }
}

/** Two 16-bit lanes of each word into two arrays (typed-array stores keep the low 16 bits). */
function unpack16x2(src: Int32Array, d0: ColumnArray, d1: ColumnArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const w = src[i]
    d0[i] = w
    d1[i] = w >> 16
  }
}
