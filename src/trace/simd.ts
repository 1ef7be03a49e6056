/**
 * WebAssembly SIMD kernels for the trace writer's per-batch column work (src/trace/wasm/columns.wat):
 * validity bitmaps with null counts (and null slots zeroed), float64 → int64 conversion, and unpacking
 * the event slots' packed words (src/trace/event-slots.ts). The replay's I/O thread runs them on every
 * events batch; they take 8–16 rows per step where the JavaScript versions in writer.ts and
 * event-slots.ts take one to four (`npm run bench:trace`).
 *
 * WebAssembly reads only its own memory, so the arrays must live in one: a ColumnArena is a shared
 * WebAssembly.Memory carved into typed arrays. The event slots the model fills are allocated from one
 * (src/trace/event-slots.ts), and a range of it is reserved for the writer's bitmaps and int64 buffers on
 * the I/O thread, so nothing is copied. Arrays outside an arena take the JavaScript path.
 */
import {COLUMNS_WASM_BASE64} from './wasm/columns-wasm.js'

const WASM_PAGE = 65536

let compiled: WebAssembly.Module | null | undefined
/** The kernels' module, compiled once per thread; null where this V8 lacks WebAssembly SIMD. */
function columnsModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = Buffer.from(COLUMNS_WASM_BASE64, 'base64')
    compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null
  }
  return compiled
}

/** An arena's range as another thread receives it (structured-cloneable: the Memory is shared). */
export interface SharedArena {
  memory: WebAssembly.Memory
  from: number
  to: number
}

/** Typed arrays carved, 16-byte aligned, from a byte range of a shared WebAssembly.Memory. */
export class ColumnArena {
  private next: number

  private constructor(readonly memory: WebAssembly.Memory, from: number, private readonly end: number) {
    this.next = from
  }

  /**
   * A new shared memory of at least `bytes` (fixed size); null where the kernels cannot run, or when the
   * environment says NPA_TRACE_SIMD=0 (the JavaScript path: to rule the kernels out when chasing a bug).
   */
  static create(bytes: number): ColumnArena | null {
    if (process.env.NPA_TRACE_SIMD === '0' || columnsModule() === null) return null
    const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE))
    const memory = new WebAssembly.Memory({initial: pages, maximum: pages, shared: true})
    return new ColumnArena(memory, 0, pages * WASM_PAGE)
  }

  /** The arena of a range reserved on another thread (see reserve). */
  static from(s: SharedArena): ColumnArena {
    return new ColumnArena(s.memory, s.from, s.to)
  }

  /** Bytes not yet handed out. */
  get free(): number {
    return this.end - this.next
  }

  /** `length` elements of `Ctor`, zeroed (fresh memory) and 16-byte aligned. */
  alloc<T extends ArrayBufferView>(Ctor: {new (b: ArrayBufferLike, off: number, len: number): T; BYTES_PER_ELEMENT: number}, length: number): T {
    const off = this.take(length * Ctor.BYTES_PER_ELEMENT)
    return new Ctor(this.memory.buffer, off, length)
  }

  /** Hand `bytes` of this arena to another thread's arena (ColumnArena.from). */
  reserve(bytes: number): SharedArena {
    const from = this.take(bytes)
    return {memory: this.memory, from, to: from + bytes}
  }

  private take(bytes: number): number {
    const off = this.next
    if (off + bytes > this.end) throw new Error(`ColumnArena: ${bytes} bytes asked, ${this.end - off} left`)
    this.next = (off + bytes + 15) & ~15
    return off
  }
}

interface ColumnExports {
  v8(src: number, bm: number, n: number): number
  v16(src: number, bm: number, n: number): number
  v32(src: number, bm: number, n: number): number
  i64(src: number, dst: number, n: number): void
  i64n(src: number, dst: number, bm: number, n: number): number
  u8x4(src: number, d0: number, d1: number, d2: number, d3: number, n: number): void
  u16x2(src: number, d0: number, d1: number, n: number): void
  u16x2to8(src: number, d0: number, d1: number, n: number): void
  tally(ev: number, reason: number, side: number, cpu: number, n: number, drop: number, counts: number, drops: number, sides: number): void
}

/** Per-batch counts the tally kernel adds to (in an arena: ColumnKernels.tally). */
export interface TallyScratch {
  /** Rows per event code (256: every 8-bit code). */
  counts: Int32Array
  /** Drops per reason code (256). */
  drops: Int32Array
  /** cpu_ns per side: lanes 0..2 are the sides, lane 3 the null side. */
  sides: Float64Array
}

/**
 * The kernels over one arena's memory. Every array passed must be a view of that memory (owns()); the
 * writer checks and falls back to JavaScript otherwise. Null sentinels are as in writer.ts: all ones in
 * the value's width (-1 signed, the maximum unsigned), and -1 for int64 columns held as float64.
 */
export class ColumnKernels {
  private static readonly byMemory = new WeakMap<WebAssembly.Memory, ColumnKernels>()
  private readonly x: ColumnExports
  private readonly buffer: ArrayBufferLike

  private constructor(memory: WebAssembly.Memory, module: WebAssembly.Module) {
    this.x = new WebAssembly.Instance(module, {env: {memory}}).exports as unknown as ColumnExports
    this.buffer = memory.buffer // a fixed-size shared memory: the same buffer for its whole life
  }

  /** The kernels for an arena's memory (one instance per memory and thread). */
  static for(arena: ColumnArena): ColumnKernels {
    let k = ColumnKernels.byMemory.get(arena.memory)
    if (!k) {
      k = new ColumnKernels(arena.memory, columnsModule()!) // an arena exists only where the module compiled
      ColumnKernels.byMemory.set(arena.memory, k)
    }
    return k
  }

  /** True when `a` is a view of this memory. */
  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.buffer
  }

  /**
   * Validity of rows 0..n-1 of an integer column of 1, 2 or 4 bytes per value into bm (bits of rows 0..n-1,
   * bytes up to (n + 7) >> 3; 1 = valid), null slots zeroed in place. Returns the null count.
   */
  validity(a: ArrayBufferView & {BYTES_PER_ELEMENT: number}, bm: Uint8Array, n: number): number {
    const w = a.BYTES_PER_ELEMENT
    if (w === 1) return this.x.v8(a.byteOffset, bm.byteOffset, n)
    if (w === 2) return this.x.v16(a.byteOffset, bm.byteOffset, n)
    if (w === 4) return this.x.v32(a.byteOffset, bm.byteOffset, n)
    throw new Error(`ColumnKernels.validity: ${w}-byte values`)
  }

  /** Rows 0..n-1 of float64 integers as int64 into dst. */
  i64(src: Float64Array, dst: BigInt64Array, n: number): void {
    this.x.i64(src.byteOffset, dst.byteOffset, n)
  }

  /** i64 with validity: -1 is null (written 0, bit cleared). Returns the null count. */
  i64Nullable(src: Float64Array, dst: BigInt64Array, bm: Uint8Array, n: number): number {
    return this.x.i64n(src.byteOffset, dst.byteOffset, bm.byteOffset, n)
  }

  /** Rows 0..n-1 of words holding four 8-bit lanes (least significant first) into four byte arrays. */
  unpack8x4(src: Int32Array, d0: ArrayBufferView, d1: ArrayBufferView, d2: ArrayBufferView, d3: ArrayBufferView, n: number): void {
    this.x.u8x4(src.byteOffset, d0.byteOffset, d1.byteOffset, d2.byteOffset, d3.byteOffset, n)
  }

  /**
   * Count rows 0..n-1 into `t` (adding to what it holds): per event code, per reason of the rows whose event
   * is `dropCode` (reason 0xff is null), and cpu_ns per side (side & 3). Event, reason and side are 8-bit.
   */
  tally(event: ArrayBufferView, reason: ArrayBufferView, side: ArrayBufferView, cpu: Uint32Array, n: number, dropCode: number, t: TallyScratch): void {
    this.x.tally(event.byteOffset, reason.byteOffset, side.byteOffset, cpu.byteOffset, n, dropCode, t.counts.byteOffset, t.drops.byteOffset, t.sides.byteOffset)
  }

  /** Rows 0..n-1 of words holding two 16-bit lanes (least significant first) into two 16-bit arrays. */
  unpack16x2(src: Int32Array, d0: ArrayBufferView, d1: ArrayBufferView, n: number): void {
    this.x.u16x2(src.byteOffset, d0.byteOffset, d1.byteOffset, n)
  }

  /** unpack16x2 into two byte arrays (the values fit 8 bits; -1 stays -1). */
  unpack16x2to8(src: Int32Array, d0: ArrayBufferView, d1: ArrayBufferView, n: number): void {
    this.x.u16x2to8(src.byteOffset, d0.byteOffset, d1.byteOffset, n)
  }
}
