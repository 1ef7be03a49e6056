/**
 * The per-replica stage table (`_replica_stage`), built by the loader in the same pass that copies the
 * events into DuckDB.
 *
 * Why not in SQL: the pivot of each (packet, replica)'s events into one row of ~15 stage times is a
 * hash aggregate with ~25 FILTER aggregates over every packet event; measured on the 1M-frame bench run
 * (15.8M events, this 2-core machine) it takes 8-14 s in DuckDB, against ≈ 1 s here over the typed
 * arrays the loader already holds, plus ≈ 1 s to append the 1.1M rows. The SQL definition stays in
 * sql/packet_path.sql as `_replica_stage_sql`; test/analysis/stages.test.ts checks both agree row for row.
 *
 * Hot loop: typed arrays only, one open-addressing hash (packet, replica) → slot, no allocation per event,
 * no BigInt (Int64 columns are read as two 32-bit words).
 */
import duckdb from '@duckdb/node-bindings'
import {DuckDBDataChunk, DuckDBEnumType, DuckDBTypeId} from '@duckdb/node-api'
import type {DuckDBConnection, DuckDBType} from '@duckdb/node-api'
import type {Data} from 'apache-arrow'

/** Time columns, in table order (min of the event's times unless marked max). */
export const STAGE_TIMES = [
  't_in', 't_stack_tx', 't_tx_post', 't_tx_fetch', 't_tx_dma_done', 't_tx_writeback', 't_tx_complete',
  't_vswitch_first', 't_vswitch_last', 't_eswitch_first', 't_eswitch_last', 't_wire_tx', 't_wire_rx',
  't_rx_dma_done', 't_rx_writeback', 't_rx_complete', 't_end',
] as const
const T = Object.fromEntries(STAGE_TIMES.map((n, i) => [n, i])) as Record<(typeof STAGE_TIMES)[number], number>
const NT = STAGE_TIMES.length

/** ENUM columns: [name, ENUM type]. */
export const STAGE_ENUMS = [
  ['end_event', 'npa_event'], ['end_reason', 'npa_reason'], ['end_vm', 'npa_endpoint'], ['end_host', 'npa_host'],
  ['end_mode', 'npa_mode'], ['end_plugin', 'npa_plugin'], ['src_mode', 'npa_mode'], ['src_plugin', 'npa_plugin'],
  ['last_target', 'npa_endpoint'],
] as const
const E_EVENT = 0, E_REASON = 1, E_VM = 2, E_HOST = 3, E_MODE = 4, E_PLUGIN = 5, E_SRC_MODE = 6, E_SRC_PLUGIN = 7, E_TARGET = 8
const NE = STAGE_ENUMS.length

/** CREATE TABLE column list of a stage table (same names and order as _replica_stage_sql). */
export function stageTableColumns(packetType: string): string {
  return [
    `packet_id ${packetType}`, 'replica USMALLINT',
    ...STAGE_TIMES.slice(0, NT - 1).map((n) => `${n} BIGINT`), 't_end BIGINT',
    ...STAGE_ENUMS.map(([n, t]) => `${n} ${t}`), 'first_forward_aux BIGINT',
    // from frames.arrow (FrameInfo), so that packet_path needs no join with frames
    'src_vm npa_endpoint', 'src_host npa_host', 'dst_kind npa_dst_kind', 'frame_vlan SMALLINT', 'frame_len UINTEGER',
  ].join(', ')
}

/** Per input frame (indexed by packet_id), what packet_path needs from frames.arrow; ENUM indices, -1 = null. */
export class FrameInfo {
  srcVm = new Int32Array(0)
  host = new Int32Array(0)
  dstKind = new Int32Array(0)
  vlan = new Int32Array(0)
  len = new Float64Array(0)

  constructor(expected: number) {
    this.ensure(Math.max(1024, expected))
  }

  private ensure(n: number): void {
    if (n <= this.srcVm.length) return
    let cap = Math.max(1024, this.srcVm.length)
    while (cap < n) cap *= 2
    const g = <T extends Int32Array | Float64Array>(a: T, fill: number): T => {
      const b = new (a.constructor as {new (n: number): T})(cap)
      b.fill(fill)
      b.set(a)
      return b
    }
    this.srcVm = g(this.srcVm, -1)
    this.host = g(this.host, -1)
    this.dstKind = g(this.dstKind, -1)
    this.vlan = g(this.vlan, -1)
    this.len = g(this.len, -1)
  }

  /** Rows of a frames batch; maps: dictionary code → ENUM index of src_vm, host, dst_kind. */
  add(cols: {packet_id: Data; src_vm: Data; host: Data; dst_kind: Data; vlan: Data; len: Data}, maps: {src_vm: Int32Array; host: Int32Array; dst_kind: Int32Array}, length: number): void {
    const pk = cols.packet_id.values as BigInt64Array | Uint32Array
    const pw = pk instanceof BigInt64Array ? new Int32Array(pk.buffer, pk.byteOffset, pk.length * 2) : null
    const vl = cols.vlan.values as Int16Array
    const ln = cols.len.values as Uint32Array
    for (let r = 0; r < length; r++) {
      const ip = cols.packet_id.offset + r
      const p = pw !== null ? (pw[2 * ip + 1] >>> 0) * TWO32 + (pw[2 * ip] >>> 0) : (pk as Uint32Array)[ip]
      if (p >= this.srcVm.length) this.ensure(p + 1)
      this.srcVm[p] = code(cols.src_vm, maps.src_vm, r)
      this.host[p] = code(cols.host, maps.host, r)
      this.dstKind[p] = code(cols.dst_kind, maps.dst_kind, r)
      const iv = cols.vlan.offset + r
      this.vlan[p] = cols.vlan.nullCount > 0 && ((cols.vlan.nullBitmap![iv >> 3] >> (iv & 7)) & 1) === 0 ? -1 : vl[iv]
      this.len[p] = ln[cols.len.offset + r]
    }
  }
}

// Stage kinds by event (and ring).
const K_NONE = 0, K_IN = 1, K_STACK = 2, K_POST = 3, K_FETCH = 4, K_PROCESS = 5, K_WB = 6, K_COMPLETE = 7, K_VSW = 8, K_ESW_LOOKUP = 9,
  K_WIRE_TX = 10, K_WIRE_RX = 11, K_END = 12, K_ESW_FWD = 13, K_PHYS_FWD = 14
const KIND_OF: Record<string, number> = {
  frame_in: K_IN, stack_tx: K_STACK, desc_post: K_POST, desc_fetch: K_FETCH, desc_process: K_PROCESS, desc_writeback: K_WB,
  desc_complete: K_COMPLETE, vswitch_forward: K_VSW, eswitch_lookup: K_ESW_LOOKUP, wire_tx: K_WIRE_TX, wire_rx: K_WIRE_RX,
  shell_rx_deliver: K_END, ext_deliver: K_END, drop: K_END, eswitch_forward: K_ESW_FWD, phys_forward: K_PHYS_FWD,
}

const TWO32 = 4294967296

/** A column of a batch as the collector reads it: values + validity + (enums) code → ENUM index. */
export interface StageInput {
  t_ns: Data
  event: Data
  packet_id: Data
  replica: Data
  host: Data
  vm: Data
  mode: Data
  plugin: Data
  ring: Data
  target: Data
  reason: Data
  aux: Data
  /** Arrow dictionary code → ENUM index, per dictionary column. */
  maps: {event: Int32Array; host: Int32Array; vm: Int32Array; mode: Int32Array; plugin: Int32Array; ring: Int32Array; target: Int32Array; reason: Int32Array}
}

export class StageCollector {
  private cap: number
  private n = 0
  // hash: key = packet * 65536 + replica (exact below 2^53) → slot + 1 (0 = empty)
  private hKeys: Float64Array
  private hSlot: Int32Array
  private hMask: number
  private keyOf: Float64Array
  private times: Float64Array
  private enums: Int32Array
  private fwdAux: Float64Array
  private auxW: Int32Array = new Int32Array(0)
  private readonly kindByEvent: Int8Array
  private readonly ringTx: number
  private readonly ringRx: number

  /**
   * eventType/ringType: the ENUM types (their member order gives the indices the maps produce).
   * expectedRows: replicas expected (frames × 1.25 from run.json): sizing up front avoids regrowing
   * arrays of hundreds of MB on a machine whose memory bandwidth is the bottleneck.
   */
  constructor(eventType: DuckDBEnumType, ringType: DuckDBEnumType, expectedRows = 1 << 16) {
    this.cap = Math.max(1024, Math.ceil(expectedRows))
    let h = 1024
    while (h < this.cap * 2) h *= 2
    this.hKeys = new Float64Array(h)
    this.hSlot = new Int32Array(h)
    this.hMask = h - 1
    this.keyOf = new Float64Array(this.cap)
    this.times = new Float64Array(this.cap * NT).fill(NaN)
    this.enums = new Int32Array(this.cap * NE).fill(-1)
    this.fwdAux = new Float64Array(this.cap).fill(NaN)
    this.kindByEvent = new Int8Array(eventType.values.length)
    eventType.values.forEach((name, i) => (this.kindByEvent[i] = KIND_OF[name] ?? K_NONE))
    this.ringTx = ringType.valueIndexes.tx ?? -2
    this.ringRx = ringType.valueIndexes.rx ?? -2
  }

  get rows(): number {
    return this.n
  }

  private grow(): void {
    const cap = this.cap * 2
    const k = new Float64Array(cap)
    k.set(this.keyOf)
    this.keyOf = k
    const t = new Float64Array(cap * NT).fill(NaN)
    t.set(this.times)
    this.times = t
    const e = new Int32Array(cap * NE).fill(-1)
    e.set(this.enums)
    this.enums = e
    const f = new Float64Array(cap).fill(NaN)
    f.set(this.fwdAux)
    this.fwdAux = f
    this.cap = cap
  }

  private rehash(): void {
    const size = this.hKeys.length * 2
    this.hKeys = new Float64Array(size)
    this.hSlot = new Int32Array(size)
    this.hMask = size - 1
    for (let s = 0; s < this.n; s++) this.insert(this.keyOf[s], s)
  }

  private insert(key: number, slot: number): void {
    const keys = this.hKeys
    let i = hash(key) & this.hMask
    while (this.hSlot[i] !== 0) i = (i + 1) & this.hMask
    keys[i] = key
    this.hSlot[i] = slot + 1
  }

  private slotFor(key: number): number {
    const keys = this.hKeys
    const slots = this.hSlot
    const mask = this.hMask
    let i = hash(key) & mask
    for (;;) {
      const s = slots[i]
      if (s === 0) break
      if (keys[i] === key) return s - 1
      i = (i + 1) & mask
    }
    if (this.n === this.cap) this.grow()
    const slot = this.n++
    this.keyOf[slot] = key
    if (this.n * 2 > keys.length) this.rehash()
    else {
      keys[i] = key
      slots[i] = slot + 1
    }
    return slot
  }

  /** Fold the rows [0, length) of one record batch in (rows in emission order). */
  add(b: StageInput, length: number): void {
    const ev = b.event.values as Int8Array | Int16Array
    const evMap = b.maps.event
    const kind = this.kindByEvent
    const tw = words(b.t_ns)
    const pkt = b.packet_id.values as Uint32Array | BigInt64Array
    const pktW = pkt instanceof BigInt64Array ? new Int32Array(pkt.buffer, pkt.byteOffset, pkt.length * 2) : null
    const pktU = pkt instanceof BigInt64Array ? null : (pkt as Uint32Array)
    const pktValid = b.packet_id.nullBitmap
    const pktHasNulls = b.packet_id.nullCount > 0
    const rep = b.replica.values as Uint16Array
    const ring = b.ring.values as Int8Array | Int16Array
    const ringValid = b.ring.nullBitmap
    const ringMap = b.maps.ring
    const times = this.times
    const enums = this.enums
    const off = b.event.offset
    this.auxW = words(b.aux)
    for (let r = 0; r < length; r++) {
      const ip = b.packet_id.offset + r
      if (pktHasNulls && ((pktValid![ip >> 3] >> (ip & 7)) & 1) === 0) continue
      const k = kind[evMap[ev[off + r]]] // every packet event makes its replica's row, as GROUP BY does
      const p = pktU !== null ? pktU[ip] : (pktW![2 * ip + 1] >>> 0) * TWO32 + (pktW![2 * ip] >>> 0)
      const s = this.slotFor(p * 65536 + rep[b.replica.offset + r])
      const it = b.t_ns.offset + r
      const t = tw[2 * it + 1] * TWO32 + (tw[2 * it] >>> 0)
      const base = s * NT
      let col = -1
      switch (k) {
        case K_IN:
          col = T.t_in
          if (enums[s * NE + E_SRC_MODE] < 0) {
            enums[s * NE + E_SRC_MODE] = code(b.mode, b.maps.mode, r)
            enums[s * NE + E_SRC_PLUGIN] = code(b.plugin, b.maps.plugin, r)
          }
          break
        case K_STACK:
          col = T.t_stack_tx
          break
        case K_POST:
        case K_FETCH:
        case K_PROCESS:
        case K_WB:
        case K_COMPLETE: {
          const ir = b.ring.offset + r
          if (b.ring.nullCount > 0 && ((ringValid![ir >> 3] >> (ir & 7)) & 1) === 0) break
          const rg = ringMap[ring[ir]]
          const tx = rg === this.ringTx
          if (!tx && rg !== this.ringRx) break
          if (k === K_POST) col = tx ? T.t_tx_post : -1
          else if (k === K_FETCH) col = tx ? T.t_tx_fetch : -1
          else if (k === K_PROCESS) col = tx ? T.t_tx_dma_done : T.t_rx_dma_done
          else if (k === K_WB) col = tx ? T.t_tx_writeback : T.t_rx_writeback
          else col = tx ? T.t_tx_complete : T.t_rx_complete
          break
        }
        case K_VSW:
          minMax(times, base + T.t_vswitch_first, base + T.t_vswitch_last, t)
          this.forward(b, s, r)
          break
        case K_ESW_LOOKUP:
          minMax(times, base + T.t_eswitch_first, base + T.t_eswitch_last, t)
          break
        case K_ESW_FWD:
        case K_PHYS_FWD:
          this.forward(b, s, r)
          break
        case K_WIRE_TX:
          col = T.t_wire_tx
          break
        case K_WIRE_RX:
          col = T.t_wire_rx
          break
        case K_END:
          if (times[base + T.t_end] !== times[base + T.t_end] || t < times[base + T.t_end]) {
            times[base + T.t_end] = t
            const e = s * NE
            enums[e + E_EVENT] = evMap[ev[off + r]]
            enums[e + E_REASON] = code(b.reason, b.maps.reason, r)
            enums[e + E_VM] = code(b.vm, b.maps.vm, r)
            enums[e + E_HOST] = code(b.host, b.maps.host, r)
            enums[e + E_MODE] = code(b.mode, b.maps.mode, r)
            enums[e + E_PLUGIN] = code(b.plugin, b.maps.plugin, r)
          }
          break
      }
      if (col >= 0) {
        const v = times[base + col]
        if (v !== v || t < v) times[base + col] = t // NaN = not seen yet
      }
    }
  }

  /** A forward event: the first one's aux (parent replica), the last one's target. */
  private forward(b: StageInput, s: number, r: number): void {
    if (this.fwdAux[s] !== this.fwdAux[s]) {
      const ia = b.aux.offset + r
      const valid = b.aux.nullCount === 0 || ((b.aux.nullBitmap![ia >> 3] >> (ia & 7)) & 1) === 1
      if (valid) {
        const w = this.auxW
        this.fwdAux[s] = w[2 * ia + 1] * TWO32 + (w[2 * ia] >>> 0)
      } else this.fwdAux[s] = Infinity // seen, but null
    }
    const c = code(b.target, b.maps.target, r)
    if (c >= 0) this.enums[s * NE + E_TARGET] = c
  }

  /** Append every slot to `table` (created with stageTableColumns), with the frame's columns from `frames`. */
  async appendTo(con: DuckDBConnection, table: string, frames: FrameInfo): Promise<void> {
    const appender = await con.createAppender(table)
    try {
      const types: DuckDBType[] = []
      for (let c = 0; c < appender.columnCount; c++) types.push(appender.columnType(c))
      const chunk = DuckDBDataChunk.create(types)
      const raw = chunk.chunk
      const V = 2048
      const i64 = new Int32Array(V * 2)
      const u32 = new Uint32Array(V)
      const u16 = new Uint16Array(V)
      const e8 = new Uint8Array(V)
      const e16 = new Uint16Array(V)
      const e32 = new Uint32Array(V)
      const valid = new Uint8Array(V / 8)
      const packet32 = types[0].typeId === DuckDBTypeId.UINTEGER
      for (let start = 0; start < this.n; start += V) {
        const len = Math.min(V, this.n - start)
        duckdb.data_chunk_reset(raw)
        duckdb.data_chunk_set_size(raw, len)
        // packet_id, replica
        for (let i = 0; i < len; i++) {
          const key = this.keyOf[start + i]
          const p = Math.floor(key / 65536)
          u16[i] = key - p * 65536
          if (packet32) u32[i] = p
          else {
            i64[2 * i] = p % TWO32
            i64[2 * i + 1] = Math.floor(p / TWO32)
          }
        }
        const v0 = duckdb.data_chunk_get_vector(raw, 0)
        if (packet32) duckdb.copy_data_to_vector(v0, 0, u32.buffer, 0, len * 4)
        else duckdb.copy_data_to_vector(v0, 0, i64.buffer, 0, len * 8)
        duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(raw, 1), 0, u16.buffer, 0, len * 2)
        // times
        for (let c = 0; c < NT; c++) {
          const times = this.times
          putI64(duckdb.data_chunk_get_vector(raw, 2 + c), len, i64, valid, (i) => times[(start + i) * NT + c])
        }
        // enums
        for (let c = 0; c < NE; c++) {
          const t = types[2 + NT + c] as DuckDBEnumType
          const w = t.internalTypeId === DuckDBTypeId.UTINYINT ? 1 : t.internalTypeId === DuckDBTypeId.USMALLINT ? 2 : 4
          const out = w === 1 ? e8 : w === 2 ? e16 : e32
          let nulls = 0
          valid.fill(0)
          for (let i = 0; i < len; i++) {
            const v = this.enums[(start + i) * NE + c]
            if (v >= 0) {
              out[i] = v
              valid[i >> 3] |= 1 << (i & 7)
            } else {
              out[i] = 0
              nulls++
            }
          }
          const vec = duckdb.data_chunk_get_vector(raw, 2 + NT + c)
          duckdb.copy_data_to_vector(vec, 0, out.buffer, 0, len * w)
          setValidity(vec, nulls, valid, len)
        }
        // first_forward_aux (Infinity: no forward)
        const fwdAux = this.fwdAux
        putI64(duckdb.data_chunk_get_vector(raw, 2 + NT + NE), len, i64, valid, (i) => fwdAux[start + i])
        // the frame's columns
        const fc = 2 + NT + NE + 1
        const fcols = [frames.srcVm, frames.host, frames.dstKind, frames.vlan, frames.len]
        for (let c = 0; c < fcols.length; c++) {
          const src = fcols[c]
          const t = types[fc + c]
          const w = t.typeId === DuckDBTypeId.ENUM
            ? ((t as DuckDBEnumType).internalTypeId === DuckDBTypeId.UTINYINT ? 1 : (t as DuckDBEnumType).internalTypeId === DuckDBTypeId.USMALLINT ? 2 : 4)
            : t.typeId === DuckDBTypeId.SMALLINT ? 2 : 4
          const out = w === 1 ? e8 : w === 2 ? e16 : e32
          let nulls = 0
          valid.fill(0)
          for (let i = 0; i < len; i++) {
            const p = Math.floor(this.keyOf[start + i] / 65536)
            const v = p < src.length ? src[p] : -1
            if (v >= 0) {
              out[i] = v
              valid[i >> 3] |= 1 << (i & 7)
            } else {
              out[i] = 0
              nulls++
            }
          }
          const vec = duckdb.data_chunk_get_vector(raw, fc + c)
          duckdb.copy_data_to_vector(vec, 0, out.buffer, 0, len * w)
          if (nulls > 0) {
            duckdb.vector_ensure_validity_writable(vec)
            duckdb.copy_data_to_vector_validity(vec, 0, valid.buffer, 0, (len + 7) >> 3)
          }
        }
        appender.appendDataChunk(chunk)
      }
    } finally {
      appender.closeSync()
    }
  }
}

/** An Int64 column's values as 32-bit words (little-endian: lo, hi). */
function words(d: Data): Int32Array {
  const v = d.values as BigInt64Array
  return new Int32Array(v.buffer, v.byteOffset, v.length * 2)
}

/** ENUM index of a dictionary column at batch row r, or -1 for null. */
function code(d: Data, map: Int32Array, r: number): number {
  const i = d.offset + r
  if (d.nullCount > 0 && ((d.nullBitmap![i >> 3] >> (i & 7)) & 1) === 0) return -1
  return map[(d.values as Int8Array)[i]]
}

function minMax(times: Float64Array, iMin: number, iMax: number, t: number): void {
  const a = times[iMin]
  if (a !== a || t < a) times[iMin] = t
  const b = times[iMax]
  if (b !== b || t > b) times[iMax] = t
}

/** 32-bit mix of a key held in a double (exact integer below 2^53). */
function hash(key: number): number {
  const lo = key >>> 0
  const hi = (key / TWO32) | 0
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b)
  h ^= h >>> 15
  return h
}

/** Mark the nulls of a vector (only when there are any: DuckDB vectors start all-valid). */
function setValidity(vec: ReturnType<typeof duckdb.data_chunk_get_vector>, nulls: number, valid: Uint8Array<ArrayBuffer>, len: number): void {
  if (nulls === 0) return
  duckdb.vector_ensure_validity_writable(vec)
  duckdb.copy_data_to_vector_validity(vec, 0, valid.buffer, 0, (len + 7) >> 3)
}

/**
 * Fill a BIGINT vector with `len` integer values (exact below 2^53) written as two 32-bit words each,
 * no BigInt; NaN and ±Infinity become NULL.
 */
function putI64(vec: ReturnType<typeof duckdb.data_chunk_get_vector>, len: number, i64: Int32Array<ArrayBuffer>, valid: Uint8Array<ArrayBuffer>, at: (i: number) => number): void {
  let nulls = 0
  valid.fill(0)
  for (let i = 0; i < len; i++) {
    const v = at(i)
    if (Number.isFinite(v)) {
      i64[2 * i] = v % TWO32
      i64[2 * i + 1] = Math.floor(v / TWO32)
      valid[i >> 3] |= 1 << (i & 7)
    } else {
      i64[2 * i] = 0
      i64[2 * i + 1] = 0
      nulls++
    }
  }
  duckdb.copy_data_to_vector(vec, 0, i64.buffer, 0, len * 8)
  setValidity(vec, nulls, valid, len)
}
