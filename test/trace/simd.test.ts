import {mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {EVENT_COLUMNS, type ColumnSpec} from '../../src/trace/schema.js'
import {ColumnArena, ColumnKernels} from '../../src/trace/simd.js'
import {allocColumnArrays, arenaBytes, TableWriter, type ColumnArray} from '../../src/trace/writer.js'
import {COLUMNS_WASM_BASE64} from '../../src/trace/wasm/columns-wasm.js'

const s = suite('SIMD column kernels')
const dirs: string[] = []
s.after(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

// A seeded generator (xorshift32): the same cases every run.
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

s('the committed module is the assembly of columns.wat (node scripts/build-wasm.mjs regenerates it)', async () => {
  // @ts-expect-error: a plain .mjs script without types
  const {assemble, render} = await import('../../scripts/build-wasm.mjs')
  const bytes: Buffer = await assemble()
  assert.is(Buffer.from(COLUMNS_WASM_BASE64, 'base64').equals(bytes), true)
  const committed = readFileSync(new URL('../../src/trace/wasm/columns-wasm.ts', import.meta.url), 'utf8')
  assert.is(committed, render(bytes))
})

s('this Node runs the kernels (WebAssembly SIMD): the replay would otherwise fall back to JavaScript', () => {
  assert.ok(ColumnArena.create(1024) !== null)
})

/** Reference: bit per row (1 = valid), null slots zeroed, null count. */
function refValidity(a: ColumnArray, n: number): {bm: number[]; nulls: number; zeroed: number[]} {
  const sentinel = a instanceof Int32Array ? -1 : a instanceof Uint32Array ? 0xffffffff : a instanceof Uint16Array ? 0xffff : a instanceof Int16Array ? -1 : a instanceof Int8Array ? -1 : 0xff
  const bm = new Array<number>((n + 7) >> 3).fill(0)
  const zeroed = Array.from(a.subarray(0, n) as ArrayLike<number>)
  let nulls = 0
  for (let i = 0; i < n; i++) {
    if (a[i] === sentinel) {
      nulls++
      zeroed[i] = 0
    } else bm[i >> 3] |= 1 << (i & 7)
  }
  return {bm, nulls, zeroed}
}

s('validity of 1-, 2- and 4-byte columns: bits, null count, nulls zeroed, every tail length, from any offset', () => {
  const arena = ColumnArena.create(1 << 20)!
  const k = ColumnKernels.for(arena)
  const r = rng(7)
  const ctors = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array] as const
  for (const Ctor of ctors) {
    const a = arena.alloc(Ctor as unknown as {new (b: ArrayBufferLike, o: number, n: number): ColumnArray; BYTES_PER_ELEMENT: number}, 300)
    const bm = arena.alloc(Uint8Array, 48)
    for (const n of [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 100, 255, 256, 299]) {
      for (const off of [0, 1, 3]) {
        const view = a.subarray(off, off + n) as ColumnArray
        for (let i = 0; i < n; i++) view[i] = r() < 0.35 ? -1 : Math.floor(r() * 100)
        const want = refValidity(view, n)
        bm.fill(0xaa)
        const nulls = k.validity(view, bm, n)
        const label = `${Ctor.name} n=${n} off=${off}`
        assert.is(nulls, want.nulls, label)
        assert.equal(Array.from(bm.subarray(0, (n + 7) >> 3)), want.bm, label)
        assert.equal(Array.from(view as ArrayLike<number>), want.zeroed, label)
        assert.is(bm[(n + 7) >> 3], 0xaa, `${label}: no byte past the last row's is written`)
      }
    }
  }
})

s('float64 → int64: small, negative, -0, beyond 2^51 (the scalar fallback) and up to 2^53; -1 as null', () => {
  const arena = ColumnArena.create(1 << 16)!
  const k = ColumnKernels.for(arena)
  const vals = [0, -0, 1, 2 ** 32, 2 ** 40 + 5, -(2 ** 40), 2 ** 51 - 1, 2 ** 51, -(2 ** 51), 2 ** 53 - 1, -(2 ** 53 - 1), -1, 123456789, 7]
  for (const n of [vals.length, vals.length - 1, 1]) {
    const src = arena.alloc(Float64Array, n)
    const dst = arena.alloc(BigInt64Array, n)
    src.set(vals.slice(0, n))
    k.i64(src, dst, n)
    assert.equal([...dst], vals.slice(0, n).map((v) => BigInt(v)), `i64 n=${n}`)
    const bm = arena.alloc(Uint8Array, 8).fill(0xaa)
    dst.fill(99n)
    const nulls = k.i64Nullable(src, dst, bm, n)
    const isNull = vals.slice(0, n).map((v) => v === -1)
    assert.is(nulls, isNull.filter(Boolean).length)
    assert.equal([...dst], vals.slice(0, n).map((v) => (v === -1 ? 0n : BigInt(v))), `i64n n=${n}`)
    for (let i = 0; i < n; i++) assert.is((bm[i >> 3] >> (i & 7)) & 1, isNull[i] ? 0 : 1, `bit ${i} n=${n}`)
    if (n % 8 !== 0) assert.is(bm[(n + 7) >> 3], 0xaa)
  }
})

s('unpacking words of four 8-bit and two 16-bit lanes (into 16- or 8-bit arrays), every tail length', () => {
  const arena = ColumnArena.create(1 << 16)!
  const k = ColumnKernels.for(arena)
  const r = rng(3)
  const src = arena.alloc(Int32Array, 100)
  const b = [0, 1, 2, 3].map(() => arena.alloc(Uint8Array, 101))
  const h = [0, 1].map(() => arena.alloc(Uint16Array, 101))
  for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 33, 100]) {
    for (let i = 0; i < n; i++) src[i] = (r() * 2 ** 32) | 0
    for (const a of b) a.fill(0xab)
    for (const a of h) a.fill(0xabab)
    k.unpack8x4(src, b[0], b[1], b[2], b[3], n)
    k.unpack16x2(src, h[0], h[1], n)
    for (let i = 0; i < n; i++) {
      const w = src[i] >>> 0
      assert.equal(b.map((a) => a[i]), [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24], `u8x4 n=${n} row ${i}`)
      assert.equal(h.map((a) => a[i]), [w & 65535, w >>> 16], `u16x2 n=${n} row ${i}`)
    }
    assert.ok(b.every((a) => a[n] === 0xab) && h.every((a) => a[n] === 0xabab), `nothing past row ${n}`)
    // 16-bit halves that fit a byte (dictionary codes, -1 null) into Int8 arrays
    const codes = (i: number) => [Math.floor(r() * 128) - 1, Math.floor(r() * 128) - 1, i]
    const want = Array.from({length: n}, (_, i) => codes(i))
    for (let i = 0; i < n; i++) src[i] = (want[i][0] & 65535) | (want[i][1] << 16)
    const c = [0, 1].map(() => arena.alloc(Int8Array, 101).fill(99))
    k.unpack16x2to8(src, c[0], c[1], n)
    for (let i = 0; i < n; i++) assert.equal([c[0][i], c[1][i]], want[i].slice(0, 2), `u16x2to8 n=${n} row ${i}`)
    assert.ok(c.every((a) => a[n] === 99))
  }
})

s('arena: 16-byte aligned views of one shared memory; running out is an error; a reserved range is another arena', () => {
  const arena = ColumnArena.create(100)!
  assert.ok(arena.memory.buffer instanceof SharedArrayBuffer)
  const a = arena.alloc(Uint8Array, 3)
  const b = arena.alloc(Float64Array, 2)
  assert.is(a.byteOffset % 16, 0)
  assert.is(b.byteOffset, 16)
  const range = arena.reserve(32)
  const other = ColumnArena.from(range)
  assert.is(other.free, 32)
  assert.is(other.alloc(Uint8Array, 32).byteOffset, range.from)
  assert.throws(() => other.alloc(Uint8Array, 1), /1 bytes asked, 0 left/)
  assert.throws(() => arena.alloc(Uint8Array, 1 << 20), /bytes asked/)
})

/** Random events (every nullable column ~30 % null) written by writers with and without an arena. */
function writeRandom(dir: string, withArena: boolean, rows: number, batchRows: number): Buffer[] {
  const dicts = {host: ['h0', 'h1'], vm: ['a', 'b', 'c'], plugin: ['p@1', 'q@2'], target: ['a', 'b', 'c', 'pf', 'uplink', 'external']}
  const cols: readonly ColumnSpec[] = EVENT_COLUMNS
  const arena = withArena ? ColumnArena.create(2 * 64 * batchRows + arenaBytes(cols, batchRows) + 4096)! : null
  const slot = allocColumnArrays(cols, dicts, batchRows, arena ?? true)
  const writerArena = arena ? ColumnArena.from(arena.reserve(arenaBytes(cols, batchRows))) : undefined
  const tw = new TableWriter(join(dir, 'events'), cols, {dictionaries: dicts, batchRows, maxRowsPerFile: 3 * batchRows - 5, arena: writerArena})
  const r = rng(42)
  for (let done = 0; done < rows; ) {
    const n = Math.min(batchRows - (done % 3), rows - done) // ragged batches
    for (const spec of cols) {
      const a = slot[spec.name]
      for (let i = 0; i < n; i++) {
        const isNull = spec.nullable && r() < 0.3
        a[i] = isNull ? -1 : spec.type === 'i64' ? Math.floor(r() * 2 ** 45) : Math.floor(r() * (spec.type.startsWith('dict:') ? 2 : 1000))
      }
    }
    tw.writeBatchFrom(slot, n)
    done += n
  }
  const res = tw.close()
  return res.files.map((f) => readFileSync(f))
}

s('a writer with an arena (kernels) writes the same bytes as one without (JavaScript), across batch and file splits', () => {
  const a = mkdtempSync(join(tmpdir(), 'npa-simd-a-'))
  const b = mkdtempSync(join(tmpdir(), 'npa-simd-b-'))
  dirs.push(a, b)
  const js = writeRandom(a, false, 1000, 128)
  const simd = writeRandom(b, true, 1000, 128)
  assert.is(readdirSync(a).length, readdirSync(b).length)
  assert.ok(js.length >= 3, 'several files (a batch split across a file boundary)')
  js.forEach((f, i) => assert.ok(f.equals(simd[i]), `file ${i} identical`))
})

s.run()
