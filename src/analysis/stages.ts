/**
 * The loader's one pass over a run's events: everything the SQL library needs from the 15.8M raw
 * events of a 1M-frame run, folded while the Arrow batches stream by, so that no library view (and
 * no `analyze` section) scans the raw events again:
 *
 *  - `_replica_stage`: per (packet, replica), the time of each stage and how the replica ended;
 *  - `_path_base`: per ended replica, those stages merged with its ancestors' (replication lineage),
 *    where it went (dst), and the doorbell and interrupt that served it (packet_path's ASOF joins);
 *  - `_cpu_cost`, `_cpu_frames`: CPU ns by (VM, mode, side) and frames by (VM, mode) (the cpu view);
 *  - `_events_ctl`: the rare control events (mode switches, migrations...) with every column.
 *
 * Each has its definition in SQL over `_events` beside the view that reads it (`_replica_stage_sql`,
 * `_path_base_sql`, `_cpu_cost_sql`, `_cpu_frames_sql`; `_events_ctl` is `_events` filtered on
 * CONTROL_EVENTS), and test/analysis/library.test.ts checks that each equals its SQL twin row for row.
 *
 * Why in JS: the same folds in DuckDB (hash aggregates with ~25 FILTER aggregates, a recursive CTE,
 * two ASOF joins over 1.1M rows) took 8-14 s on the bench run; here one pass costs ≈ 1 s.
 * Hot loop: typed arrays only, no allocation per event, no BigInt (Int64 columns are read as two
 * 32-bit words). A replica's slot is found by packet id (dense: frames are numbered 0..n-1) for
 * replica 0 and by a short per-packet chain for the others (a frame has a handful of replicas).
 */
import duckdb from '@duckdb/node-bindings'
import {DuckDBDataChunk} from '@duckdb/node-api'
import type {DuckDBAppender, DuckDBEnumType, DuckDBType} from '@duckdb/node-api'
import type {Data} from 'apache-arrow'
import {UserError} from '../errors.js'
import {
  ColumnSource, Kind, VECTOR_SIZE, enumWidth, intWidth, newScratch, putI64, putInt, setValidity,
  type ColPlan, type ColumnFill, type RawVector, type Remap, type Scratch,
} from './scan.js'

/** Events `_events_ctl` holds (every column): the ones the SQL library reads besides the packet path. */
export const CONTROL_EVENTS = [
  'ctrl_trap', 'ctrl_apply', 'ctrl_reject', 'vf_alloc', 'vf_free', 'plugin_inject', 'plugin_load', 'plugin_reject',
  'mode_switch_begin', 'mode_quiesce', 'mode_switch_end', 'mig_begin', 'mig_phase_begin', 'mig_phase_end', 'mig_end',
  'vm_pause', 'vm_resume', 'mig_buffer',
] as const

/** Time columns of `_replica_stage`, in table order (min of the event's times unless marked max). */
export const STAGE_TIMES = [
  't_in', 't_stack_tx', 't_tx_post', 't_tx_fetch', 't_tx_dma_done', 't_tx_writeback', 't_tx_complete',
  't_vswitch_first', 't_vswitch_last', 't_eswitch_first', 't_eswitch_last', 't_wire_tx', 't_wire_rx',
  't_rx_dma_done', 't_rx_writeback', 't_rx_complete', 't_end',
] as const
const T = Object.fromEntries(STAGE_TIMES.map((n, i) => [n, i])) as Record<(typeof STAGE_TIMES)[number], number>
const NT = STAGE_TIMES.length

/** ENUM columns of `_replica_stage`: [name, ENUM type]. */
export const STAGE_ENUMS = [
  ['end_event', 'npa_event'], ['end_reason', 'npa_reason'], ['end_vm', 'npa_endpoint'], ['end_host', 'npa_host'],
  ['end_mode', 'npa_mode'], ['end_plugin', 'npa_plugin'], ['src_mode', 'npa_mode'], ['src_plugin', 'npa_plugin'],
  ['last_target', 'npa_endpoint'],
] as const
const E_EVENT = 0, E_REASON = 1, E_VM = 2, E_HOST = 3, E_MODE = 4, E_PLUGIN = 5, E_SRC_MODE = 6, E_SRC_PLUGIN = 7, E_TARGET = 8
const NE = STAGE_ENUMS.length

/** Column [name, SQL type] lists of the pass's tables; PACKET = the type of events.packet_id. */
export type TableSpec = readonly (readonly [string, string])[]

const FRAME_COLS = [['src_vm', 'npa_endpoint'], ['src_host', 'npa_host'], ['dst_kind', 'npa_dst_kind'], ['frame_vlan', 'SMALLINT'], ['frame_len', 'UINTEGER']] as const

export const STAGE_TABLE: TableSpec = [
  ['packet_id', 'PACKET'], ['replica', 'USMALLINT'], ...STAGE_TIMES.map((n) => [n, 'BIGINT'] as const), ...STAGE_ENUMS,
  ['first_forward_aux', 'BIGINT'], ...FRAME_COLS,
]

/** Times of `_path_base` (= _path_core): the stage times under their packet_path names, t_end apart. */
const PATH_TIMES = [
  ['t_in', T.t_in], ['t_stack_tx', T.t_stack_tx], ['t_tx_post', T.t_tx_post], ['t_tx_fetch', T.t_tx_fetch], ['t_tx_dma_done', T.t_tx_dma_done],
  ['t_tx_writeback', T.t_tx_writeback], ['t_tx_complete', T.t_tx_complete], ['t_vswitch', T.t_vswitch_first], ['t_vswitch_last', T.t_vswitch_last],
  ['t_eswitch', T.t_eswitch_first], ['t_eswitch_last', T.t_eswitch_last], ['t_wire_tx', T.t_wire_tx], ['t_wire_rx', T.t_wire_rx],
  ['t_rx_dma_done', T.t_rx_dma_done], ['t_rx_writeback', T.t_rx_writeback], ['t_rx_complete', T.t_rx_complete],
] as const
const NPT = PATH_TIMES.length

export const PATH_TABLE: TableSpec = [
  ['packet_id', 'PACKET'], ['replica', 'USMALLINT'], ['parent_replica', 'USMALLINT'], ...PATH_TIMES.map(([n]) => [n, 'BIGINT'] as const),
  ['src_mode', 'npa_mode'], ['src_plugin', 'npa_plugin'], ['t_end', 'BIGINT'], ['end_event', 'npa_event'], ['end_reason', 'npa_reason'],
  ['end_vm', 'npa_endpoint'], ['end_host', 'npa_host'], ['end_mode', 'npa_mode'], ['end_plugin', 'npa_plugin'], ['last_target', 'npa_endpoint'],
  ...FRAME_COLS, ['dst', 'npa_endpoint'], ['t_doorbell', 'BIGINT'], ['t_irq', 'BIGINT'],
]

export const CPU_COST_TABLE: TableSpec = [['vm', 'npa_endpoint'], ['mode', 'npa_mode'], ['side', 'npa_side'], ['cpu_ns', 'BIGINT'], ['packet_cpu_ns', 'BIGINT']]
export const CPU_FRAMES_TABLE: TableSpec = [['vm', 'npa_endpoint'], ['mode', 'npa_mode'], ['tx_frames', 'BIGINT'], ['rx_frames', 'BIGINT']]

/** CREATE TABLE column list of a spec. */
export function tableColumns(spec: TableSpec, packetType: string): string {
  return spec.map(([n, t]) => `${n} ${t === 'PACKET' ? packetType : t}`).join(', ')
}

const TWO32 = 4294967296

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

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
    this.srcVm = grown(this.srcVm, cap, -1)
    this.host = grown(this.host, cap, -1)
    this.dstKind = grown(this.dstKind, cap, -1)
    this.vlan = grown(this.vlan, cap, -1)
    this.len = grown(this.len, cap, -1)
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

function grown<A extends Int32Array | Float64Array | Int8Array>(a: A, cap: number, fill: number): A {
  const b = new (a.constructor as {new (n: number): A})(cap)
  if (fill !== 0) b.fill(fill)
  b.set(a)
  return b
}

/** ENUM index of a dictionary column at batch row r, or -1 for null. */
function code(d: Data, map: Int32Array, r: number): number {
  const i = d.offset + r
  if (d.nullCount > 0 && ((d.nullBitmap![i >> 3] >> (i & 7)) & 1) === 0) return -1
  return map[(d.values as Int8Array)[i]]
}

// ---------------------------------------------------------------------------------------------
// Growable typed arrays (for the few rows that are kept: control events, doorbells, interrupts)
// ---------------------------------------------------------------------------------------------

class GrowF64 {
  a = new Float64Array(1024)
  n = 0
  push(v: number): void {
    if (this.n === this.a.length) this.a = grown(this.a, this.n * 2, 0)
    this.a[this.n++] = v
  }
}

class GrowI32 {
  a = new Int32Array(1024)
  n = 0
  push(v: number): void {
    if (this.n === this.a.length) this.a = grown(this.a, this.n * 2, 0)
    this.a[this.n++] = v
  }
}

/** Whole rows of the events table, gathered column by column (values as in Arrow; ENUMs remapped). */
class RowGather {
  readonly n: {v: number} = {v: 0}
  private cap = 64
  private readonly bytes: Uint8Array[]
  private readonly valid: Uint8Array[]
  private seq = new Float64Array(64)

  constructor(private readonly plans: ColPlan[]) {
    this.bytes = plans.map((p) => new Uint8Array(64 * (p.kind === Kind.Enum ? 4 : p.width)))
    this.valid = plans.map(() => new Uint8Array(64))
  }

  get rows(): number {
    return this.n.v
  }

  add(cols: Data[], maps: (Remap | null)[], r: number, seq: number): void {
    const k = this.n.v
    if (k === this.cap) {
      this.cap *= 2
      for (let j = 0; j < this.plans.length; j++) {
        const b = new Uint8Array(this.bytes[j].length * 2)
        b.set(this.bytes[j])
        this.bytes[j] = b
        const v = new Uint8Array(this.cap)
        v.set(this.valid[j])
        this.valid[j] = v
      }
      this.seq = grown(this.seq, this.cap, 0)
    }
    this.seq[k] = seq
    for (let j = 0; j < this.plans.length; j++) {
      const p = this.plans[j]
      const d = cols[j]
      const i = d.offset + r
      this.valid[j][k] = d.nullCount > 0 && ((d.nullBitmap![i >> 3] >> (i & 7)) & 1) === 0 ? 0 : 1
      if (p.kind === Kind.Enum) {
        new Int32Array(this.bytes[j].buffer)[k] = maps[j]!.map[(d.values as Int8Array)[i]]
      } else if (p.kind === Kind.Copy) {
        const v = d.values as Uint8Array
        const src = new Uint8Array(v.buffer, v.byteOffset + i * p.width, p.width)
        this.bytes[j].set(src, k * p.width)
      } else {
        throw new Error(`loader: events column ${p.name} has a type the control-event table does not copy`)
      }
    }
    this.n.v = k + 1
  }

  /** Append every row to a table with columns (seq, ...plans). */
  append(appender: DuckDBAppender, types: DuckDBType[]): void {
    const chunk = DuckDBDataChunk.create(types)
    const raw = chunk.chunk
    const s = newScratch()
    for (let start = 0; start < this.n.v; start += VECTOR_SIZE) {
      const len = Math.min(VECTOR_SIZE, this.n.v - start)
      duckdb.data_chunk_reset(raw)
      duckdb.data_chunk_set_size(raw, len)
      putI64(duckdb.data_chunk_get_vector(raw, 0), this.seq, null, start, len, s)
      for (let j = 0; j < this.plans.length; j++) {
        const p = this.plans[j]
        const vec = duckdb.data_chunk_get_vector(raw, j + 1)
        if (p.kind === Kind.Enum) {
          const v = new Int32Array(this.bytes[j].buffer)
          putInt(vec, intWidth(types[j + 1]) as 1 | 2 | 4, v, null, start, len, 0, s)
        } else {
          duckdb.copy_data_to_vector(vec, 0, this.bytes[j].buffer as ArrayBuffer, start * p.width, len * p.width)
        }
        let nulls = 0
        s.valid.fill(0)
        const va = this.valid[j]
        for (let i = 0; i < len; i++) {
          if (va[start + i]) s.valid[i >> 3] |= 1 << (i & 7)
          else nulls++
        }
        if (nulls > 0) setValidity(vec, nulls, s.valid, len)
      }
      appender.appendDataChunk(chunk)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The pass
// ---------------------------------------------------------------------------------------------

// Stage kinds by event (and ring).
const K_NONE = 0, K_IN = 1, K_STACK = 2, K_POST = 3, K_FETCH = 4, K_PROCESS = 5, K_WB = 6, K_COMPLETE = 7, K_VSW = 8, K_ESW_LOOKUP = 9,
  K_WIRE_TX = 10, K_WIRE_RX = 11, K_END = 12, K_ESW_FWD = 13, K_PHYS_FWD = 14
const KIND_OF: Record<string, number> = {
  frame_in: K_IN, stack_tx: K_STACK, desc_post: K_POST, desc_fetch: K_FETCH, desc_process: K_PROCESS, desc_writeback: K_WB,
  desc_complete: K_COMPLETE, vswitch_forward: K_VSW, eswitch_lookup: K_ESW_LOOKUP, wire_tx: K_WIRE_TX, wire_rx: K_WIRE_RX,
  shell_rx_deliver: K_END, ext_deliver: K_END, drop: K_END, eswitch_forward: K_ESW_FWD, phys_forward: K_PHYS_FWD,
}
// Other roles of an event (bit flags).
const F_CTL = 1, F_DOORBELL = 2, F_IRQ = 4, F_FRAME_IN = 8, F_RX_DELIVER = 16

/** The ENUM types the pass writes (member order = the indices the remaps produce). */
export interface PassTypes {
  event: DuckDBEnumType
  ring: DuckDBEnumType
  endpoint: DuckDBEnumType
  mode: DuckDBEnumType
  side: DuckDBEnumType
  /** Every type a table column may name (BIGINT, npa_host, PACKET...). */
  byName: Record<string, DuckDBType>
}

/** The columns of an events batch, in plan order, with their remaps. */
export interface PassBatch {
  cols: Data[]
  maps: (Remap | null)[]
  length: number
  /** Row number of the batch's first row in the run (events.seq). */
  rowBase: number
}

export class EventPass {
  // slots: one per (packet, replica)
  private cap: number
  private n = 0
  private slot0: Int32Array // packet → slot of replica 0, -1 none
  private extraHead: Int32Array // packet → first slot of another replica, -1 none
  private nextExtra: Int32Array
  private slotPacket: Float64Array
  private slotReplica: Int32Array
  private times: Float64Array[]
  private enums: Int32Array[]
  private fwdAux: Float64Array
  // cpu
  private readonly nV: number
  private readonly nM: number
  private readonly nS: number
  private readonly cpuAll: Float64Array
  private readonly cpuPkt: Float64Array
  private readonly cntAll: Float64Array
  private readonly cntPkt: Float64Array
  private readonly txFrames: Float64Array
  private readonly rxFrames: Float64Array
  private readonly frameSeen: Uint8Array
  private pktMode: Int8Array // packet → mode of its frame_in: -2 not seen, -1 null
  private readonly defPkt = new GrowF64()
  private readonly defKey = new GrowI32()
  private readonly defCpu = new GrowF64()
  // doorbells (TX ring) and interrupts: vm, time
  private readonly dbVm = new GrowI32()
  private readonly dbT = new GrowF64()
  private readonly irqVm = new GrowI32()
  private readonly irqT = new GrowF64()
  private readonly ctl: RowGather
  // per event dictionary: code → kind / flags
  private lastEvMap: Int32Array | null = null
  private kindOfCode = new Int8Array(0)
  private flagOfCode = new Int8Array(0)
  private readonly kindByEvent: Int8Array
  private readonly flagByEvent: Int8Array
  private readonly ringTx: number
  private readonly ringRx: number
  private readonly col: Record<string, number>

  /**
   * plans: the events files' columns. frames: the run's frames (sizes the per-packet arrays).
   * expectedRows: replicas expected (frames × 1.25): sizing up front avoids regrowing arrays of
   * hundreds of MB on a machine whose memory bandwidth is the bottleneck.
   */
  constructor(private readonly plans: ColPlan[], private readonly types: PassTypes, private readonly frames: FrameInfo, expectedRows: number) {
    this.col = Object.fromEntries(plans.map((p, j) => [p.name, j]))
    for (const need of ['t_ns', 'event', 'packet_id', 'replica', 'host', 'vm', 'mode', 'plugin', 'ring', 'target', 'reason', 'aux', 'cpu_ns', 'side']) {
      if (this.col[need] === undefined) throw new UserError(`events: column ${need} is missing`, {hint: 'replay the capture again'})
    }
    for (const e of ['event', 'host', 'vm', 'mode', 'plugin', 'ring', 'target', 'reason', 'side']) {
      if (plans[this.col[e]].kind !== Kind.Enum) throw new UserError(`events: column ${e} is not dictionary-encoded`, {hint: 'replay the capture again'})
    }
    this.cap = Math.max(1024, Math.ceil(expectedRows))
    const nPk = Math.max(1024, frames.srcVm.length)
    this.slot0 = new Int32Array(nPk).fill(-1)
    this.extraHead = new Int32Array(nPk).fill(-1)
    this.pktMode = new Int8Array(nPk).fill(-2)
    this.nextExtra = new Int32Array(this.cap)
    this.slotPacket = new Float64Array(this.cap)
    this.slotReplica = new Int32Array(this.cap)
    this.times = STAGE_TIMES.map(() => new Float64Array(this.cap).fill(NaN))
    this.enums = STAGE_ENUMS.map(() => new Int32Array(this.cap).fill(-1))
    this.fwdAux = new Float64Array(this.cap).fill(NaN)
    const ev = types.event
    this.kindByEvent = new Int8Array(ev.values.length)
    this.flagByEvent = new Int8Array(ev.values.length)
    const ctl = new Set<string>(CONTROL_EVENTS)
    ev.values.forEach((name, i) => {
      this.kindByEvent[i] = KIND_OF[name] ?? K_NONE
      this.flagByEvent[i] = (ctl.has(name) ? F_CTL : 0) | (name === 'doorbell' ? F_DOORBELL : 0) | (name === 'irq_raise' ? F_IRQ : 0) |
        (name === 'frame_in' ? F_FRAME_IN : 0) | (name === 'shell_rx_deliver' ? F_RX_DELIVER : 0)
    })
    this.ringTx = types.ring.valueIndexes.tx ?? -2
    this.ringRx = types.ring.valueIndexes.rx ?? -2
    this.nV = types.endpoint.values.length + 1
    this.nM = types.mode.values.length + 1
    this.nS = types.side.values.length + 1
    const nKey = this.nV * this.nM * this.nS
    this.cpuAll = new Float64Array(nKey)
    this.cpuPkt = new Float64Array(nKey)
    this.cntAll = new Float64Array(nKey)
    this.cntPkt = new Float64Array(nKey)
    this.txFrames = new Float64Array(this.nV * this.nM)
    this.rxFrames = new Float64Array(this.nV * this.nM)
    this.frameSeen = new Uint8Array(this.nV * this.nM)
    this.ctl = new RowGather(plans)
  }

  get replicas(): number {
    return this.n
  }

  private growSlots(): void {
    const cap = this.cap * 2
    this.nextExtra = grown(this.nextExtra, cap, 0)
    this.slotPacket = grown(this.slotPacket, cap, 0)
    this.slotReplica = grown(this.slotReplica, cap, 0)
    this.times = this.times.map((a) => grown(a, cap, NaN))
    this.enums = this.enums.map((a) => grown(a, cap, -1))
    this.fwdAux = grown(this.fwdAux, cap, NaN)
    this.cap = cap
  }

  private growPackets(p: number): void {
    let n = this.slot0.length
    while (n <= p) n *= 2
    this.slot0 = grown(this.slot0, n, -1)
    this.extraHead = grown(this.extraHead, n, -1)
    this.pktMode = grown(this.pktMode, n, -2)
  }

  /** Slot of (p, rep), -1 when the replica has no event. */
  slotOf(p: number, rep: number): number {
    if (p >= this.slot0.length) return -1
    if (rep === 0) return this.slot0[p]
    let s = this.extraHead[p]
    while (s >= 0 && this.slotReplica[s] !== rep) s = this.nextExtra[s]
    return s
  }

  private newSlot(p: number, rep: number): number {
    if (this.n === this.cap) this.growSlots()
    const s = this.n++
    this.slotPacket[s] = p
    this.slotReplica[s] = rep
    if (rep === 0) this.slot0[p] = s
    else {
      this.nextExtra[s] = this.extraHead[p]
      this.extraHead[p] = s
    }
    return s
  }

  private codesFor(evMap: Int32Array): void {
    if (evMap === this.lastEvMap) return
    this.lastEvMap = evMap
    this.kindOfCode = new Int8Array(evMap.length)
    this.flagOfCode = new Int8Array(evMap.length)
    for (let c = 0; c < evMap.length; c++) {
      this.kindOfCode[c] = this.kindByEvent[evMap[c]]
      this.flagOfCode[c] = this.flagByEvent[evMap[c]]
    }
  }

  /** Fold the rows of one record batch in (rows in emission order). */
  add(b: PassBatch): void {
    const C = this.col
    const cols = b.cols
    const dEv = cols[C.event], dT = cols[C.t_ns], dPk = cols[C.packet_id], dRep = cols[C.replica], dRing = cols[C.ring]
    const dVm = cols[C.vm], dMode = cols[C.mode], dSide = cols[C.side], dCpu = cols[C.cpu_ns]
    const evMap = b.maps[C.event]!.map
    this.codesFor(evMap)
    const kindOf = this.kindOfCode
    const flagOf = this.flagOfCode
    const ev = dEv.values as Int8Array
    const evOff = dEv.offset
    const tv = dT.values as BigInt64Array
    const tw = new Int32Array(tv.buffer, tv.byteOffset, tv.length * 2)
    const tOff = dT.offset
    const pkt = dPk.values as Uint32Array | BigInt64Array
    const pktW = pkt instanceof BigInt64Array ? new Int32Array(pkt.buffer, pkt.byteOffset, pkt.length * 2) : null
    const pktU = pkt instanceof BigInt64Array ? new Uint32Array(0) : (pkt as Uint32Array)
    const pkOff = dPk.offset
    const pkValid = dPk.nullBitmap
    const pkNulls = dPk.nullCount > 0
    const rep = dRep.values as Uint16Array
    const repOff = dRep.offset
    const ring = dRing.values as Int8Array
    const ringOff = dRing.offset
    const ringValid = dRing.nullBitmap
    const ringNulls = dRing.nullCount > 0
    const ringMap = b.maps[C.ring]!.map
    const vmv = dVm.values as Int8Array, vmOff = dVm.offset, vmValid = dVm.nullBitmap, vmNulls = dVm.nullCount > 0, vmMap = b.maps[C.vm]!.map
    const mdv = dMode.values as Int8Array, mdOff = dMode.offset, mdValid = dMode.nullBitmap, mdNulls = dMode.nullCount > 0, mdMap = b.maps[C.mode]!.map
    const sdv = dSide.values as Int8Array, sdOff = dSide.offset, sdValid = dSide.nullBitmap, sdNulls = dSide.nullCount > 0, sdMap = b.maps[C.side]!.map
    const cpuv = dCpu.values as Uint32Array
    const cpuOff = dCpu.offset
    const cpuValid = dCpu.nullBitmap
    const cpuNulls = dCpu.nullCount > 0
    const times = this.times
    const enums = this.enums
    const tIn = times[T.t_in], tEnd = times[T.t_end]
    const eSrcMode = enums[E_SRC_MODE]
    const nM = this.nM, nS = this.nS
    const ringTx = this.ringTx, ringRx = this.ringRx
    const len = b.length
    for (let r = 0; r < len; r++) {
      const ec = ev[evOff + r]
      const k = kindOf[ec]
      const fl = flagOf[ec]
      const it = tOff + r
      const t = tw[2 * it + 1] * TWO32 + (tw[2 * it] >>> 0)
      const ip = pkOff + r
      const hasPkt = !pkNulls || ((pkValid![ip >> 3] >> (ip & 7)) & 1) === 1
      const p = hasPkt ? (pktW === null ? pktU[ip] : (pktW[2 * ip + 1] >>> 0) * TWO32 + (pktW[2 * ip] >>> 0)) : -1
      const ic = cpuOff + r
      const cpu = cpuNulls && ((cpuValid![ic >> 3] >> (ic & 7)) & 1) === 0 ? 0 : cpuv[ic]
      if (cpu > 0 || (fl & (F_FRAME_IN | F_RX_DELIVER | F_DOORBELL | F_IRQ)) !== 0) {
        const iv = vmOff + r
        const vm = vmNulls && ((vmValid![iv >> 3] >> (iv & 7)) & 1) === 0 ? -1 : vmMap[vmv[iv]]
        const im = mdOff + r
        const mode = mdNulls && ((mdValid![im >> 3] >> (im & 7)) & 1) === 0 ? -1 : mdMap[mdv[im]]
        if (cpu > 0) {
          const is = sdOff + r
          const side = sdNulls && ((sdValid![is >> 3] >> (is & 7)) & 1) === 0 ? -1 : sdMap[sdv[is]]
          if (mode < 0 && p >= 0) {
            // mode of the packet's frame_in (it usually came first; else resolved in finish())
            if (p >= this.pktMode.length) this.growPackets(p)
            const fm = this.pktMode[p]
            if (fm === -2) {
              this.defPkt.push(p)
              this.defKey.push((vm + 1) * nS + side + 1)
              this.defCpu.push(cpu)
            } else this.addCpu(vm, fm, side, cpu, true)
          } else this.addCpu(vm, mode, side, cpu, p >= 0)
        }
        if ((fl & (F_FRAME_IN | F_RX_DELIVER)) !== 0 && vm >= 0) {
          const key = (vm + 1) * nM + mode + 1
          this.frameSeen[key] = 1
          if ((fl & F_FRAME_IN) !== 0) this.txFrames[key]++
          else this.rxFrames[key]++
        }
        if ((fl & F_FRAME_IN) !== 0 && p >= 0) {
          if (p >= this.pktMode.length) this.growPackets(p)
          if (this.pktMode[p] === -2 || (this.pktMode[p] === -1 && mode >= 0)) this.pktMode[p] = mode
        }
        if ((fl & F_DOORBELL) !== 0 && vm >= 0) {
          const ir = ringOff + r
          if ((!ringNulls || ((ringValid![ir >> 3] >> (ir & 7)) & 1) === 1) && ringMap[ring[ir]] === ringTx) {
            this.dbVm.push(vm)
            this.dbT.push(t)
          }
        } else if ((fl & F_IRQ) !== 0 && vm >= 0) {
          this.irqVm.push(vm)
          this.irqT.push(t)
        }
      }
      if ((fl & F_CTL) !== 0) this.ctl.add(cols, b.maps, r, b.rowBase + r)
      if (p < 0) continue
      // every packet event makes its replica's row, as GROUP BY does
      const rp = rep[repOff + r]
      let s: number
      if (p >= this.slot0.length) this.growPackets(p)
      if (rp === 0) {
        s = this.slot0[p]
        if (s < 0) s = this.newSlot(p, 0)
      } else {
        s = this.extraHead[p]
        while (s >= 0 && this.slotReplica[s] !== rp) s = this.nextExtra[s]
        if (s < 0) s = this.newSlot(p, rp)
      }
      let c = -1
      switch (k) {
        case K_NONE:
          break
        case K_IN:
          c = T.t_in
          if (eSrcMode[s] < 0) {
            eSrcMode[s] = code(cols[C.mode], b.maps[C.mode]!.map, r)
            this.enums[E_SRC_PLUGIN][s] = code(cols[C.plugin], b.maps[C.plugin]!.map, r)
          }
          break
        case K_STACK:
          c = T.t_stack_tx
          break
        case K_POST:
        case K_FETCH:
        case K_PROCESS:
        case K_WB:
        case K_COMPLETE: {
          const ir = ringOff + r
          if (ringNulls && ((ringValid![ir >> 3] >> (ir & 7)) & 1) === 0) break
          const rg = ringMap[ring[ir]]
          const tx = rg === ringTx
          if (!tx && rg !== ringRx) break
          if (k === K_POST) c = tx ? T.t_tx_post : -1
          else if (k === K_FETCH) c = tx ? T.t_tx_fetch : -1
          else if (k === K_PROCESS) c = tx ? T.t_tx_dma_done : T.t_rx_dma_done
          else if (k === K_WB) c = tx ? T.t_tx_writeback : T.t_rx_writeback
          else c = tx ? T.t_tx_complete : T.t_rx_complete
          break
        }
        case K_VSW:
          minMax(times[T.t_vswitch_first], times[T.t_vswitch_last], s, t)
          this.forward(cols, b.maps, s, r)
          break
        case K_ESW_LOOKUP:
          minMax(times[T.t_eswitch_first], times[T.t_eswitch_last], s, t)
          break
        case K_ESW_FWD:
        case K_PHYS_FWD:
          this.forward(cols, b.maps, s, r)
          break
        case K_WIRE_TX:
          c = T.t_wire_tx
          break
        case K_WIRE_RX:
          c = T.t_wire_rx
          break
        case K_END: {
          const v = tEnd[s]
          if (v !== v || t < v) {
            tEnd[s] = t
            enums[E_EVENT][s] = evMap[ec]
            enums[E_REASON][s] = code(cols[C.reason], b.maps[C.reason]!.map, r)
            enums[E_VM][s] = code(cols[C.vm], b.maps[C.vm]!.map, r)
            enums[E_HOST][s] = code(cols[C.host], b.maps[C.host]!.map, r)
            enums[E_MODE][s] = code(cols[C.mode], b.maps[C.mode]!.map, r)
            enums[E_PLUGIN][s] = code(cols[C.plugin], b.maps[C.plugin]!.map, r)
          }
          break
        }
      }
      if (c >= 0) {
        const a = times[c]
        const v = a[s]
        if (v !== v || t < v) a[s] = t // NaN = not seen yet
      }
      if (tIn === undefined) break // (never: keeps tIn live for the optimizer)
    }
  }

  private addCpu(vm: number, mode: number, side: number, cpu: number, perPacket: boolean): void {
    const key = ((vm + 1) * this.nM + mode + 1) * this.nS + side + 1
    this.cpuAll[key] += cpu
    this.cntAll[key]++
    if (perPacket) {
      this.cpuPkt[key] += cpu
      this.cntPkt[key]++
    }
  }

  /** A forward event: the first one's aux (parent replica), the last one's target. */
  private forward(cols: Data[], maps: (Remap | null)[], s: number, r: number): void {
    if (this.fwdAux[s] !== this.fwdAux[s]) {
      const d = cols[this.col.aux]
      const ia = d.offset + r
      const valid = d.nullCount === 0 || ((d.nullBitmap![ia >> 3] >> (ia & 7)) & 1) === 1
      if (valid) {
        const v = d.values as BigInt64Array
        const w = new Int32Array(v.buffer, v.byteOffset, v.length * 2)
        this.fwdAux[s] = w[2 * ia + 1] * TWO32 + (w[2 * ia] >>> 0)
      } else this.fwdAux[s] = Infinity // seen, but null
    }
    const c = code(cols[this.col.target], maps[this.col.target]!.map, r)
    if (c >= 0) this.enums[E_TARGET][s] = c
  }

  /** Resolve what waited for the end of the events and build the tables. */
  finish(): PassResult {
    // CPU of mode-less packet events whose frame_in came later
    for (let i = 0; i < this.defPkt.n; i++) {
      const p = this.defPkt.a[i]
      const key = this.defKey.a[i]
      const vs = key
      const fm = p < this.pktMode.length ? this.pktMode[p] : -2
      const mode = fm >= 0 ? fm : -1
      const vm = Math.floor(vs / this.nS) - 1
      const side = (vs % this.nS) - 1
      this.addCpu(vm, mode, side, this.defCpu.a[i], true)
    }
    this.defPkt.n = 0
    return {
      stage: this.stageSource(),
      path: this.pathSource(),
      cpuCost: this.cpuCostSource(),
      cpuFrames: this.cpuFramesSource(),
      ctl: this.ctl,
    }
  }

  // --- tables -------------------------------------------------------------------------------

  private typeOf(name: string): DuckDBType {
    const t = this.types.byName[name]
    if (!t) throw new Error(`loader: no type ${name}`)
    return t
  }

  private stageSource(): ColumnSource {
    const fills: ColumnFill[] = []
    const n = this.n
    const pk = this.slotPacket
    for (const [name, type] of STAGE_TABLE) {
      const ty = this.typeOf(type)
      fills.push({name, type: ty, fill: this.stageFill(name, ty, null, pk)})
    }
    return new ColumnSource(n, fills)
  }

  /** Fill of a `_replica_stage` column; with idx, rows are slots idx[row]. */
  private stageFill(name: string, ty: DuckDBType, idx: Int32Array | null, pk: Float64Array): ColumnFill['fill'] {
    const w = intWidth(ty)
    const fr = this.frames
    if (name === 'packet_id') return w === 8 ? (v, st, l, s) => putI64(v, pk, idx, st, l, s) : (v, st, l, s) => putPacketU32(v, pk, idx, st, l, s)
    if (name === 'replica') return (v, st, l, s) => putInt(v, 2, this.slotReplica, idx, st, l, 0, s)
    const ti = STAGE_TIMES.indexOf(name as (typeof STAGE_TIMES)[number])
    if (ti >= 0) {
      const a = this.times[ti]
      return (v, st, l, s) => putI64(v, a, idx, st, l, s)
    }
    const ei = STAGE_ENUMS.findIndex(([n]) => n === name)
    if (ei >= 0) {
      const a = this.enums[ei]
      return (v, st, l, s) => putInt(v, w as 1 | 2 | 4, a, idx, st, l, 0, s)
    }
    if (name === 'first_forward_aux') return (v, st, l, s) => putI64(v, this.fwdAux, idx, st, l, s)
    const frameCol = {src_vm: fr.srcVm, src_host: fr.host, dst_kind: fr.dstKind, frame_vlan: fr.vlan} as Record<string, Int32Array>
    if (frameCol[name]) return (v, st, l, s) => putFrame(v, w as 1 | 2 | 4, frameCol[name], pk, idx, st, l, 0, s)
    if (name === 'frame_len') return (v, st, l, s) => putFrame(v, 4, fr.len, pk, idx, st, l, 0, s)
    throw new Error(`loader: no stage column ${name}`)
  }

  private pathSource(): ColumnSource {
    const n = this.n
    const fwd = this.fwdAux
    const rep = this.slotReplica
    const enums = this.enums
    const ended = enums[E_EVENT]
    const isSplit = (s: number) => {
      const a = fwd[s]
      return a - a === 0 && a !== rep[s]
    }
    // rows: ended replicas in slot order; split ones get merged values in ov*
    const rowSlot = new Int32Array(n)
    const rowOv = new Int32Array(n)
    let rows = 0
    let nSplit = 0
    for (let s = 0; s < n; s++) if (ended[s] >= 0 && isSplit(s)) nSplit++
    const ovTimes = PATH_TIMES.map(() => new Float64Array(nSplit))
    const ovSrcMode = new Int32Array(nSplit)
    const ovSrcPlugin = new Int32Array(nSplit)
    const ovTarget = new Int32Array(nSplit)
    const ovParent = new Int32Array(nSplit)
    const times = this.times
    let o = 0
    for (let s = 0; s < n; s++) {
      if (ended[s] < 0) continue
      if (!isSplit(s)) {
        rowSlot[rows] = s
        rowOv[rows++] = -1
        continue
      }
      // _path_core's second branch: min/max over the ancestors only (replica_lineage, depth ≤ 32)
      const p = this.slotPacket[s]
      for (let c = 0; c < NPT; c++) ovTimes[c][o] = NaN
      let srcMode = -1
      let srcPlugin = -1
      let target = -1
      let found = false
      let a = fwd[s]
      for (let depth = 1; depth <= 32; depth++) {
        const as = this.slotOf(p, a)
        if (as < 0) break
        found = true
        for (let c = 0; c < NPT; c++) {
          const ti = PATH_TIMES[c][1]
          const v = times[ti][as]
          if (v !== v) continue
          const cur = ovTimes[c][o]
          const isMax = ti === T.t_vswitch_last || ti === T.t_eswitch_last
          if (cur !== cur || (isMax ? v > cur : v < cur)) ovTimes[c][o] = v
        }
        if (srcMode < 0) srcMode = enums[E_SRC_MODE][as]
        if (srcPlugin < 0) srcPlugin = enums[E_SRC_PLUGIN][as]
        if (target < 0) target = enums[E_TARGET][as]
        if (!isSplit(as)) break
        a = fwd[as]
      }
      if (!found) continue // no ancestor has events: the inner joins of _path_core drop the replica
      ovSrcMode[o] = srcMode
      ovSrcPlugin[o] = srcPlugin
      ovTarget[o] = enums[E_TARGET][s] >= 0 ? enums[E_TARGET][s] : target
      ovParent[o] = fwd[s]
      rowSlot[rows] = s
      rowOv[rows++] = o++
    }
    // dst, doorbell, interrupt per row
    const ep = this.types.endpoint.valueIndexes
    const evIdx = this.types.event.valueIndexes
    const EXTERNAL = ep.external ?? -9, PF = ep.pf ?? -9, UPLINK = ep.uplink ?? -9
    const SHELL_RX = evIdx.shell_rx_deliver ?? -9, EXT_DELIVER = evIdx.ext_deliver ?? -9
    const dst = new Int32Array(rows)
    const tDoorbell = new Float64Array(rows)
    const tIrq = new Float64Array(rows)
    const db = byVm(this.dbVm, this.dbT, this.nV)
    const irq = byVm(this.irqVm, this.irqT, this.nV)
    const tTxPost = times[T.t_tx_post], tRxWb = times[T.t_rx_writeback], tRxComplete = times[T.t_rx_complete]
    const ovTxPost = ovTimes[PATH_TIMES.findIndex(([nm]) => nm === 't_tx_post')]
    const ovRxWb = ovTimes[PATH_TIMES.findIndex(([nm]) => nm === 't_rx_writeback')]
    const ovRxComplete = ovTimes[PATH_TIMES.findIndex(([nm]) => nm === 't_rx_complete')]
    const srcVm = this.frames.srcVm
    for (let r = 0; r < rows; r++) {
      const s = rowSlot[r]
      const ov = rowOv[r]
      const ee = enums[E_EVENT][s]
      const lt = ov < 0 ? enums[E_TARGET][s] : ovTarget[ov]
      const d = ee === SHELL_RX ? enums[E_VM][s] : ee === EXT_DELIVER ? EXTERNAL : lt === PF || lt === UPLINK ? -1 : lt
      dst[r] = d
      const p = this.slotPacket[s]
      const sv = p < srcVm.length ? srcVm[p] : -1
      const post = ov < 0 ? tTxPost[s] : ovTxPost[ov]
      tDoorbell[r] = post === post && sv >= 0 ? asof(db, sv, post) : NaN
      const wb = ov < 0 ? tRxWb[s] : ovRxWb[ov]
      const done = ov < 0 ? tRxComplete[s] : ovRxComplete[ov]
      const i = wb === wb && d >= 0 ? asof(irq, d, wb) : NaN
      tIrq[r] = i <= done ? i : NaN // packet_path: an interrupt after the reap did not serve it
    }
    // columns
    const idx = rowSlot.subarray(0, rows)
    const pk = this.slotPacket
    const fills: ColumnFill[] = []
    for (const [name, type] of PATH_TABLE) {
      const ty = this.typeOf(type)
      const w = intWidth(ty)
      const pt = PATH_TIMES.findIndex(([nm]) => nm === name)
      let fill: ColumnFill['fill']
      if (pt >= 0) {
        const base = times[PATH_TIMES[pt][1]]
        const ovc = ovTimes[pt]
        fill = (v, st, l, s) => putI64(v, overlaid(s, base, ovc, idx, rowOv, st, l), null, 0, l, s)
      } else if (name === 'parent_replica') {
        fill = (v, st, l, s) => {
          const out = s.u32
          for (let i = 0; i < l; i++) out[i] = rowOv[st + i] < 0 ? -1 : ovParent[rowOv[st + i]]
          putInt(v, 2, new Int32Array(out.buffer, 0, l), null, 0, l, 0, s)
        }
      } else if (name === 'src_mode' || name === 'src_plugin' || name === 'last_target') {
        const base = enums[name === 'src_mode' ? E_SRC_MODE : name === 'src_plugin' ? E_SRC_PLUGIN : E_TARGET]
        const ovc = name === 'src_mode' ? ovSrcMode : name === 'src_plugin' ? ovSrcPlugin : ovTarget
        fill = (v, st, l, s) => {
          const out = new Int32Array(s.u32.buffer, 0, l)
          for (let i = 0; i < l; i++) {
            const ov = rowOv[st + i]
            out[i] = ov < 0 ? base[idx[st + i]] : ovc[ov]
          }
          putInt(v, w as 1 | 2 | 4, out, null, 0, l, 0, s)
        }
      } else if (name === 'dst') {
        fill = (v, st, l, s) => putInt(v, w as 1 | 2 | 4, dst, null, st, l, 0, s)
      } else if (name === 't_doorbell') {
        fill = (v, st, l, s) => putI64(v, tDoorbell, null, st, l, s)
      } else if (name === 't_irq') {
        fill = (v, st, l, s) => putI64(v, tIrq, null, st, l, s)
      } else {
        fill = this.stageFill(name, ty, idx, pk)
      }
      fills.push({name, type: ty, fill})
    }
    return new ColumnSource(rows, fills)
  }

  private cpuCostSource(): ColumnSource {
    const {nV, nM, nS} = this
    const keys: number[] = []
    for (let k = 0; k < this.cntAll.length; k++) if (this.cntAll[k] > 0) keys.push(k)
    const vm = new Int32Array(keys.length), mode = new Int32Array(keys.length), side = new Int32Array(keys.length)
    const all = new Float64Array(keys.length), pkt = new Float64Array(keys.length)
    keys.forEach((k, i) => {
      side[i] = (k % nS) - 1
      mode[i] = (Math.floor(k / nS) % nM) - 1
      vm[i] = Math.floor(k / (nS * nM)) - 1
      all[i] = this.cpuAll[k]
      pkt[i] = this.cntPkt[k] > 0 ? this.cpuPkt[k] : NaN // sum() FILTER over no row is NULL
    })
    void nV
    return new ColumnSource(keys.length, [
      this.enumFill('vm', 'npa_endpoint', vm), this.enumFill('mode', 'npa_mode', mode), this.enumFill('side', 'npa_side', side),
      {name: 'cpu_ns', type: this.typeOf('BIGINT'), fill: (v, st, l, s) => putI64(v, all, null, st, l, s)},
      {name: 'packet_cpu_ns', type: this.typeOf('BIGINT'), fill: (v, st, l, s) => putI64(v, pkt, null, st, l, s)},
    ])
  }

  private cpuFramesSource(): ColumnSource {
    const nM = this.nM
    const keys: number[] = []
    for (let k = 0; k < this.frameSeen.length; k++) if (this.frameSeen[k]) keys.push(k)
    const vm = Int32Array.from(keys, (k) => Math.floor(k / nM) - 1)
    const mode = Int32Array.from(keys, (k) => (k % nM) - 1)
    const tx = Float64Array.from(keys, (k) => this.txFrames[k])
    const rx = Float64Array.from(keys, (k) => this.rxFrames[k])
    return new ColumnSource(keys.length, [
      this.enumFill('vm', 'npa_endpoint', vm), this.enumFill('mode', 'npa_mode', mode),
      {name: 'tx_frames', type: this.typeOf('BIGINT'), fill: (v, st, l, s) => putI64(v, tx, null, st, l, s)},
      {name: 'rx_frames', type: this.typeOf('BIGINT'), fill: (v, st, l, s) => putI64(v, rx, null, st, l, s)},
    ])
  }

  private enumFill(name: string, type: string, a: Int32Array): ColumnFill {
    const ty = this.typeOf(type)
    const w = enumWidth(ty as DuckDBEnumType)
    return {name, type: ty, fill: (v, st, l, s) => putInt(v, w, a, null, st, l, 0, s)}
  }
}

export interface PassResult {
  stage: ColumnSource
  path: ColumnSource
  cpuCost: ColumnSource
  cpuFrames: ColumnSource
  /** Control events, appended to `_events_ctl_<i>` (seq, then the events columns). */
  ctl: {rows: number; append(appender: DuckDBAppender, types: DuckDBType[]): void}
}

function minMax(mins: Float64Array, maxs: Float64Array, s: number, t: number): void {
  const a = mins[s]
  if (a !== a || t < a) mins[s] = t
  const b = maxs[s]
  if (b !== b || t > b) maxs[s] = t
}

/** Times of one kind of event grouped by VM, each VM's sorted: [offsets (nV + 1), times]. */
function byVm(vms: GrowI32, ts: GrowF64, nV: number): {start: Int32Array; t: Float64Array} {
  const start = new Int32Array(nV + 1)
  for (let i = 0; i < vms.n; i++) start[vms.a[i] + 1]++
  for (let v = 0; v < nV; v++) start[v + 1] += start[v]
  const fillAt = start.slice(0, nV)
  const t = new Float64Array(vms.n)
  for (let i = 0; i < vms.n; i++) t[fillAt[vms.a[i]]++] = ts.a[i]
  for (let v = 0; v < nV; v++) if (start[v + 1] - start[v] > 1) t.subarray(start[v], start[v + 1]).sort()
  return {start, t}
}

/** The first time ≥ x of `vm` (an ASOF join's match), NaN when none. */
function asof(g: {start: Int32Array; t: Float64Array}, vm: number, x: number): number {
  let lo = g.start[vm]
  let hi = g.start[vm + 1]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (g.t[mid] < x) lo = mid + 1
    else hi = mid
  }
  return lo < g.start[vm + 1] ? g.t[lo] : NaN
}

/** Scratch view of len doubles: rows [st, st + len) of base (through idx) or of the override. */
const overlayBuf = new Float64Array(VECTOR_SIZE)
function overlaid(_s: Scratch, base: Float64Array, ov: Float64Array, idx: Int32Array, rowOv: Int32Array, st: number, len: number): Float64Array {
  for (let i = 0; i < len; i++) {
    const o = rowOv[st + i]
    overlayBuf[i] = o < 0 ? base[idx[st + i]] : ov[o]
  }
  return overlayBuf
}

/** packet_id as UINTEGER from the slot's packet (a double). */
function putPacketU32(vec: RawVector, pk: Float64Array, idx: Int32Array | null, start: number, len: number, s: Scratch): void {
  const out = s.u32
  for (let i = 0; i < len; i++) out[i] = pk[idx !== null ? idx[start + i] : start + i]
  duckdb.copy_data_to_vector(vec, 0, out.buffer, 0, len * 4)
}

/** A frame column (by the slot's packet id) as an integer of width w; values below nullBelow → NULL. */
function putFrame(vec: RawVector, w: 1 | 2 | 4, col: Int32Array | Float64Array, pk: Float64Array, idx: Int32Array | null, start: number, len: number,
  nullBelow: number, s: Scratch): void {
  const tmp = new Int32Array(s.u32.buffer, 0, len)
  for (let i = 0; i < len; i++) {
    const p = pk[idx !== null ? idx[start + i] : start + i]
    tmp[i] = p < col.length ? col[p] : -1
  }
  // u32 is the scratch putInt writes to for w = 4: copy out first
  const vals = Int32Array.from(tmp)
  putInt(vec, w, vals, null, 0, len, nullBelow, s)
}
