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
 * two ASOF joins over 1.1M rows) took 8-14 s on the bench run; here one pass costs ≈ 1.5 s.
 * Hot loop: typed arrays only, no allocation per event, no BigInt (Int64 columns are read as two
 * 32-bit words). A replica's slot is found by packet id (dense: frames are numbered 0..n-1) for
 * replica 0 and by a short per-packet chain for the others (a frame has a handful of replicas).
 *
 * Memory is time here: on this machine a first write to fresh memory costs ≈ 3 µs per 4 KB page
 * (330 MB/s, no transparent huge pages), more than the fold itself. So arrays are zero-initialised
 * (no NaN/-1 fill) and compact: ENUM indices and small values are stored + 1 in Uint16 (0 = NULL),
 * stage times as Uint32 offsets from the frame's entry time + 1 (0 = NULL; the rare time more than
 * 4.29 s after it is kept exactly in a map), and arrays are sized from run.json's event counts.
 */
import duckdb from '@duckdb/node-bindings'
import {DuckDBDataChunk} from '@duckdb/node-api'
import type {DuckDBAppender, DuckDBEnumType, DuckDBType} from '@duckdb/node-api'
import type {Data} from 'apache-arrow'
import {UserError} from '../errors.js'
import {prefault, sharedArray} from './prefault.js'
import {
  ColumnSource, Kind, VECTOR_SIZE, enumWidth, intWidth, newScratch, putI64, putInt, setValidity,
  type ColPlan, type ColumnFill, type Remap,
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

/** ENUM columns of `_replica_stage`: [name, ENUM type]. */
export const STAGE_ENUMS = [
  ['end_event', 'npa_event'], ['end_reason', 'npa_reason'], ['end_vm', 'npa_endpoint'], ['end_host', 'npa_host'],
  ['end_mode', 'npa_mode'], ['end_plugin', 'npa_plugin'], ['src_mode', 'npa_mode'], ['src_plugin', 'npa_plugin'],
  ['last_target', 'npa_endpoint'],
] as const
const E_EVENT = 0, E_REASON = 1, E_VM = 2, E_HOST = 3, E_MODE = 4, E_PLUGIN = 5, E_SRC_MODE = 6, E_SRC_PLUGIN = 7, E_TARGET = 8

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
// Compact columns
// ---------------------------------------------------------------------------------------------

/** Marks a time kept in TimeCol.over. */
const OVER = 0xffffffff

/** Times by row, as t - base + 1 in a Uint32 (0 = NULL; base = the frame's entry time). */
export class TimeCol {
  a: Uint32Array
  readonly over = new Map<number, number>()

  constructor(n: number, queue: SharedArrayBuffer[] | null = null) {
    this.a = queue ? sharedArray(Uint32Array, n, queue) : new Uint32Array(n)
  }

  /** The time of row i (NaN = NULL). */
  get(i: number, base: number): number {
    const v = this.a[i]
    return v === 0 ? NaN : v === OVER ? this.over.get(i)! : base + v - 1
  }

  set(i: number, base: number, t: number): void {
    const d = t - base + 1
    if (d >= 1 && d < OVER) this.a[i] = d
    else {
      this.a[i] = OVER
      this.over.set(i, t)
    }
  }

  min(i: number, base: number, t: number): void {
    const v = this.a[i]
    if (v === 0 || t < (v === OVER ? this.over.get(i)! : base + v - 1)) this.set(i, base, t)
  }

  max(i: number, base: number, t: number): void {
    const v = this.a[i]
    if (v === 0 || t > (v === OVER ? this.over.get(i)! : base + v - 1)) this.set(i, base, t)
  }

  grow(n: number): void {
    this.a = grown(this.a, n)
  }
}

function grown<A extends Uint32Array | Uint16Array | Uint8Array | Int32Array | Float64Array>(a: A, cap: number): A {
  const b = new (a.constructor as {new (n: number): A})(cap)
  b.set(a)
  return b
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

/** Per input frame (indexed by packet_id), what the pass needs from frames.arrow; ENUM indices + 1 (0 = NULL). */
export class FrameInfo {
  /** Entry time (frames.t_ns): the base of the pass's stage times. */
  t = new Float64Array(0)
  seen = new Uint8Array(0)
  srcVm = new Uint16Array(0)
  host = new Uint16Array(0)
  dstKind = new Uint16Array(0)
  /** VLAN + 1, 0 = untagged. */
  vlan = new Uint16Array(0)
  len = new Uint32Array(0)

  constructor(expected: number) {
    const n = Math.max(1024, expected)
    const q: SharedArrayBuffer[] = []
    this.t = sharedArray(Float64Array, n, q)
    this.seen = sharedArray(Uint8Array, n, q)
    this.srcVm = sharedArray(Uint16Array, n, q)
    this.host = sharedArray(Uint16Array, n, q)
    this.dstKind = sharedArray(Uint16Array, n, q)
    this.vlan = sharedArray(Uint16Array, n, q)
    this.len = sharedArray(Uint32Array, n, q)
    prefault(q)
  }

  get capacity(): number {
    return this.t.length
  }

  private ensure(n: number): void {
    if (n <= this.t.length) return
    let cap = Math.max(1024, this.t.length)
    while (cap < n) cap *= 2
    this.t = grown(this.t, cap)
    this.seen = grown(this.seen, cap)
    this.srcVm = grown(this.srcVm, cap)
    this.host = grown(this.host, cap)
    this.dstKind = grown(this.dstKind, cap)
    this.vlan = grown(this.vlan, cap)
    this.len = grown(this.len, cap)
  }

  /** Rows of a frames batch; maps: dictionary code → ENUM index of src_vm, host, dst_kind. */
  add(cols: {packet_id: Data; t_ns: Data; src_vm: Data; host: Data; dst_kind: Data; vlan: Data; len: Data},
    maps: {src_vm: Int32Array; host: Int32Array; dst_kind: Int32Array}, length: number): void {
    const pk = cols.packet_id.values as BigInt64Array | Uint32Array
    const pw = pk instanceof BigInt64Array ? new Int32Array(pk.buffer, pk.byteOffset, pk.length * 2) : null
    const tv = cols.t_ns.values as BigInt64Array
    const tw = new Int32Array(tv.buffer, tv.byteOffset, tv.length * 2)
    const vl = cols.vlan.values as Int16Array
    const ln = cols.len.values as Uint32Array
    for (let r = 0; r < length; r++) {
      const ip = cols.packet_id.offset + r
      const p = pw !== null ? (pw[2 * ip + 1] >>> 0) * TWO32 + (pw[2 * ip] >>> 0) : (pk as Uint32Array)[ip]
      if (p >= this.t.length) this.ensure(p + 1)
      const it = cols.t_ns.offset + r
      this.t[p] = tw[2 * it + 1] * TWO32 + (tw[2 * it] >>> 0)
      this.seen[p] = 1
      this.srcVm[p] = code(cols.src_vm, maps.src_vm, r) + 1
      this.host[p] = code(cols.host, maps.host, r) + 1
      this.dstKind[p] = code(cols.dst_kind, maps.dst_kind, r) + 1
      const iv = cols.vlan.offset + r
      this.vlan[p] = cols.vlan.nullCount > 0 && ((cols.vlan.nullBitmap![iv >> 3] >> (iv & 7)) & 1) === 0 ? 0 : vl[iv] + 1
      this.len[p] = ln[cols.len.offset + r]
    }
  }
}

/** ENUM index of a dictionary column at batch row r, or -1 for null. */
function code(d: Data, map: Int32Array, r: number): number {
  const i = d.offset + r
  if (d.nullCount > 0 && ((d.nullBitmap![i >> 3] >> (i & 7)) & 1) === 0) return -1
  return map[(d.values as Int8Array)[i]]
}

// ---------------------------------------------------------------------------------------------
// Growable typed arrays (for the rows that are kept: control events, doorbells, interrupts)
// ---------------------------------------------------------------------------------------------

class GrowF64 {
  a: Float64Array
  n = 0
  constructor(cap: number) {
    this.a = new Float64Array(Math.max(16, cap))
  }

  push(v: number): void {
    if (this.n === this.a.length) this.a = grown(this.a, this.n * 2)
    this.a[this.n++] = v
  }
}

class GrowI32 {
  a: Int32Array
  n = 0
  constructor(cap: number) {
    this.a = new Int32Array(Math.max(16, cap))
  }

  push(v: number): void {
    if (this.n === this.a.length) this.a = grown(this.a, this.n * 2)
    this.a[this.n++] = v
  }
}

/** Whole rows of the events table, gathered column by column (values as in Arrow; ENUMs remapped). */
class RowGather {
  private n = 0
  private cap = 64
  private readonly bytes: Uint8Array[]
  private readonly ints: Int32Array[]
  private readonly valid: Uint8Array[]
  private seq = new Float64Array(64)

  constructor(private readonly plans: ColPlan[]) {
    for (const p of plans) {
      if (p.kind !== Kind.Enum && p.kind !== Kind.Copy) throw new Error(`loader: events column ${p.name} has a type the control-event table does not copy`)
    }
    this.bytes = plans.map((p) => new Uint8Array(64 * p.width))
    this.ints = plans.map(() => new Int32Array(64))
    this.valid = plans.map(() => new Uint8Array(64))
  }

  get rows(): number {
    return this.n
  }

  add(cols: Data[], maps: (Remap | null)[], r: number, seq: number): void {
    const k = this.n
    if (k === this.cap) {
      this.cap *= 2
      for (let j = 0; j < this.plans.length; j++) {
        this.bytes[j] = grown(this.bytes[j], this.cap * this.plans[j].width)
        this.ints[j] = grown(this.ints[j], this.cap)
        this.valid[j] = grown(this.valid[j], this.cap)
      }
      this.seq = grown(this.seq, this.cap)
    }
    this.seq[k] = seq
    for (let j = 0; j < this.plans.length; j++) {
      const p = this.plans[j]
      const d = cols[j]
      const i = d.offset + r
      this.valid[j][k] = d.nullCount > 0 && ((d.nullBitmap![i >> 3] >> (i & 7)) & 1) === 0 ? 0 : 1
      if (p.kind === Kind.Enum) this.ints[j][k] = maps[j]!.map[(d.values as Int8Array)[i]]
      else {
        const v = d.values as Uint8Array
        const w = p.width
        const src = v.byteOffset + i * w
        const bytes = new Uint8Array(v.buffer, 0) // (a view of the batch buffer: no copy)
        for (let b = 0; b < w; b++) this.bytes[j][k * w + b] = bytes[src + b]
      }
    }
    this.n = k + 1
  }

  /** Append every row to a table with columns (seq, ...plans). */
  append(appender: DuckDBAppender, types: DuckDBType[]): void {
    const chunk = DuckDBDataChunk.create(types)
    const raw = chunk.chunk
    const s = newScratch()
    for (let start = 0; start < this.n; start += VECTOR_SIZE) {
      const len = Math.min(VECTOR_SIZE, this.n - start)
      duckdb.data_chunk_reset(raw)
      duckdb.data_chunk_set_size(raw, len)
      putI64(duckdb.data_chunk_get_vector(raw, 0), this.seq, null, start, len, s)
      for (let j = 0; j < this.plans.length; j++) {
        const p = this.plans[j]
        const vec = duckdb.data_chunk_get_vector(raw, j + 1)
        if (p.kind === Kind.Enum) putInt(vec, intWidth(types[j + 1]) as 1 | 2 | 4, this.ints[j], null, start, len, 0, 0, s)
        else duckdb.copy_data_to_vector(vec, 0, this.bytes[j].buffer as ArrayBuffer, start * p.width, len * p.width)
        let nulls = 0
        s.valid.fill(0)
        const va = this.valid[j]
        for (let i = 0; i < len; i++) {
          if (va[start + i]) s.valid[i >> 3] |= 1 << (i & 7)
          else nulls++
        }
        setValidity(vec, nulls, s.valid, len)
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

/** Sizes from run.json's counts (optional: arrays grow when short). */
export interface PassSizes {
  /** Replicas expected (slots of _replica_stage). */
  replicas: number
  doorbells: number
  irqs: number
}

export class EventPass {
  // slots: one per (packet, replica); per packet, slot + 1 of replica 0 and of the first other replica
  private cap: number
  private n = 0
  private slot0: Uint32Array
  private extraHead: Uint32Array
  private nextExtra: Uint32Array
  private slotPacket: Uint32Array
  private slotReplica: Uint16Array
  private readonly times: TimeCol[]
  /** ENUM index + 1, 0 = NULL. */
  private enums: Uint16Array[]
  /** First forward's aux (parent replica): 0 none yet, Infinity NULL, aux + 1 (aux ≥ 0) or aux (< 0). */
  private fwdAux: Float64Array
  // cpu
  private readonly nM: number
  private readonly nS: number
  private readonly nV: number
  private readonly cpuAll: Float64Array
  private readonly cpuPkt: Float64Array
  private readonly cntAll: Float64Array
  private readonly cntPkt: Float64Array
  private readonly txFrames: Float64Array
  private readonly rxFrames: Float64Array
  private readonly frameSeen: Uint8Array
  /** Mode of the packet's frame_in: 0 not seen yet, 1 NULL, mode + 2. */
  private pktMode: Uint8Array
  private readonly defPkt = new GrowF64(1024)
  private readonly defKey = new GrowI32(1024)
  private readonly defCpu = new GrowF64(1024)
  // doorbells (TX ring) and interrupts: vm, time
  private readonly dbVm: GrowI32
  private readonly dbT: GrowF64
  private readonly irqVm: GrowI32
  private readonly irqT: GrowF64
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

  /** plans: the events files' columns; frames: the run's frames (entry times, sizes the per-packet arrays). */
  constructor(plans: ColPlan[], private readonly types: PassTypes, private readonly frames: FrameInfo, sizes: PassSizes) {
    this.col = Object.fromEntries(plans.map((p, j) => [p.name, j]))
    for (const need of ['t_ns', 'event', 'packet_id', 'replica', 'host', 'vm', 'mode', 'plugin', 'ring', 'target', 'reason', 'aux', 'cpu_ns', 'side']) {
      if (this.col[need] === undefined) throw new UserError(`events: column ${need} is missing`, {hint: 'replay the capture again'})
    }
    for (const e of ['event', 'host', 'vm', 'mode', 'plugin', 'ring', 'target', 'reason', 'side']) {
      if (plans[this.col[e]].kind !== Kind.Enum) throw new UserError(`events: column ${e} is not dictionary-encoded`, {hint: 'replay the capture again'})
    }
    for (const [name, t] of Object.entries(types.byName)) {
      if (name.startsWith('npa_') && (t as DuckDBEnumType).values?.length >= 65535) throw new UserError(`${name} has more than 65534 values; npa-trace cannot analyse this run`)
    }
    this.cap = Math.max(1024, Math.ceil(sizes.replicas))
    const nPk = frames.capacity
    const q: SharedArrayBuffer[] = []
    this.slot0 = sharedArray(Uint32Array, nPk, q)
    this.extraHead = sharedArray(Uint32Array, nPk, q)
    this.pktMode = sharedArray(Uint8Array, nPk, q)
    this.nextExtra = sharedArray(Uint32Array, this.cap, q)
    this.slotPacket = sharedArray(Uint32Array, this.cap, q)
    this.slotReplica = sharedArray(Uint16Array, this.cap, q)
    this.times = STAGE_TIMES.map(() => new TimeCol(this.cap, q))
    this.enums = STAGE_ENUMS.map(() => sharedArray(Uint16Array, this.cap, q))
    this.fwdAux = sharedArray(Float64Array, this.cap, q)
    prefault(q)
    this.dbVm = new GrowI32(sizes.doorbells)
    this.dbT = new GrowF64(sizes.doorbells)
    this.irqVm = new GrowI32(sizes.irqs)
    this.irqT = new GrowF64(sizes.irqs)
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
    const cap = Math.ceil(this.cap * 1.5)
    this.nextExtra = grown(this.nextExtra, cap)
    this.slotPacket = grown(this.slotPacket, cap)
    this.slotReplica = grown(this.slotReplica, cap)
    for (const t of this.times) t.grow(cap)
    this.enums = this.enums.map((a) => grown(a, cap))
    this.fwdAux = grown(this.fwdAux, cap)
    this.cap = cap
  }

  private growPackets(p: number): void {
    if (p >= 0xffffffff) throw new UserError(`events: packet_id ${p} is out of range`, {hint: 'replay the capture again'})
    let n = this.slot0.length
    while (n <= p) n *= 2
    this.slot0 = grown(this.slot0, n)
    this.extraHead = grown(this.extraHead, n)
    this.pktMode = grown(this.pktMode, n)
  }

  /** Slot of (p, rep), -1 when the replica has no event. */
  private slotOf(p: number, rep: number): number {
    if (!(p >= 0 && p < this.slot0.length)) return -1
    if (rep === 0) return this.slot0[p] - 1
    let s = this.extraHead[p] - 1
    while (s >= 0 && this.slotReplica[s] !== rep) s = this.nextExtra[s] - 1
    return s
  }

  private newSlot(p: number, rep: number): number {
    if (this.n === this.cap) this.growSlots()
    const s = this.n++
    this.slotPacket[s] = p
    this.slotReplica[s] = rep
    if (rep === 0) this.slot0[p] = s + 1
    else {
      this.nextExtra[s] = this.extraHead[p]
      this.extraHead[p] = s + 1
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
    const dVm = cols[C.vm], dMode = cols[C.mode], dSide = cols[C.side], dCpu = cols[C.cpu_ns], dAux = cols[C.aux], dTarget = cols[C.target]
    const evMap = b.maps[C.event]!.map
    this.codesFor(evMap)
    const kindOf = this.kindOfCode
    const flagOf = this.flagOfCode
    const ev = dEv.values as Int8Array
    const evOff = dEv.offset
    const tw = words(dT)
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
    const auxW = words(dAux), auxOff = dAux.offset, auxValid = dAux.nullBitmap, auxNulls = dAux.nullCount > 0
    const tgMap = b.maps[C.target]!.map
    const times = this.times
    const tEnd = times[T.t_end]
    const ft = this.frames.t
    const nM = this.nM, nS = this.nS
    const ringTx = this.ringTx, ringRx = this.ringRx
    const cpuAll = this.cpuAll, cntAll = this.cntAll, cpuPkt = this.cpuPkt, cntPkt = this.cntPkt
    // arrays that only grow in newSlot / growPackets: reloaded after those
    let slot0 = this.slot0, extraHead = this.extraHead, pktMode = this.pktMode, slotReplica = this.slotReplica, nextExtra = this.nextExtra
    let fwdAux = this.fwdAux
    let eTarget = this.enums[E_TARGET]
    const len = b.length
    for (let r = 0; r < len; r++) {
      const ec = ev[evOff + r]
      const fl = flagOf[ec]
      const it = tOff + r
      const t = tw[2 * it + 1] * TWO32 + (tw[2 * it] >>> 0)
      const ip = pkOff + r
      let p = -1
      if (!pkNulls || ((pkValid![ip >> 3] >> (ip & 7)) & 1) === 1) {
        p = pktW === null ? pktU[ip] : (pktW[2 * ip + 1] >>> 0) * TWO32 + (pktW[2 * ip] >>> 0)
        if (p >= slot0.length) {
          this.growPackets(p)
          slot0 = this.slot0
          extraHead = this.extraHead
          pktMode = this.pktMode
        }
      }
      const ic = cpuOff + r
      const cpu = cpuNulls && ((cpuValid![ic >> 3] >> (ic & 7)) & 1) === 0 ? 0 : cpuv[ic]
      if (cpu > 0 || fl !== 0) {
        const iv = vmOff + r
        const vm = vmNulls && ((vmValid![iv >> 3] >> (iv & 7)) & 1) === 0 ? -1 : vmMap[vmv[iv]]
        const im = mdOff + r
        const mode = mdNulls && ((mdValid![im >> 3] >> (im & 7)) & 1) === 0 ? -1 : mdMap[mdv[im]]
        if (cpu > 0) {
          const is = sdOff + r
          const side = sdNulls && ((sdValid![is >> 3] >> (is & 7)) & 1) === 0 ? -1 : sdMap[sdv[is]]
          let m = mode
          if (mode < 0 && p >= 0) {
            // the mode of the packet's frame_in (it usually came first; else resolved in finish())
            const fm = pktMode[p]
            if (fm === 0) {
              this.defer(p, (vm + 1) * nS + side + 1, cpu)
              m = -2
            } else m = fm - 2
          }
          if (m !== -2) {
            const key = ((vm + 1) * nM + m + 1) * nS + side + 1
            cpuAll[key] += cpu
            cntAll[key]++
            if (p >= 0) {
              cpuPkt[key] += cpu
              cntPkt[key]++
            }
          }
        }
        if (fl !== 0) this.flagged(fl, vm, mode, p, t, ringNulls, ringValid, ringOff + r, ring, ringMap, cols, b.maps, r, b.rowBase)
      }
      if (p < 0) continue
      // every packet event makes its replica's row, as GROUP BY does
      const rp = rep[repOff + r]
      let s: number
      if (rp === 0) s = slot0[p] - 1
      else {
        s = extraHead[p] - 1
        while (s >= 0 && slotReplica[s] !== rp) s = nextExtra[s] - 1
      }
      if (s < 0) {
        s = this.newSlot(p, rp)
        slotReplica = this.slotReplica
        nextExtra = this.nextExtra
        fwdAux = this.fwdAux
        eTarget = this.enums[E_TARGET]
      }
      const base = ft[p] // 0 when the packet is not in frames.arrow (times then land in the overflow map)
      const k = kindOf[ec]
      let c = -1
      switch (k) {
        case K_NONE:
          break
        case K_IN:
          c = T.t_in
          if (this.enums[E_SRC_MODE][s] === 0) {
            this.enums[E_SRC_MODE][s] = code(dMode, mdMap, r) + 1
            this.enums[E_SRC_PLUGIN][s] = code(cols[C.plugin], b.maps[C.plugin]!.map, r) + 1
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
        case K_ESW_LOOKUP:
          times[T.t_eswitch_first].min(s, base, t)
          times[T.t_eswitch_last].max(s, base, t)
          break
        case K_VSW:
        case K_ESW_FWD:
        case K_PHYS_FWD: {
          if (k === K_VSW) {
            times[T.t_vswitch_first].min(s, base, t)
            times[T.t_vswitch_last].max(s, base, t)
          }
          // a forward: the first one's aux (parent replica), the last one's target
          if (fwdAux[s] === 0) {
            const ia = auxOff + r
            if (!auxNulls || ((auxValid![ia >> 3] >> (ia & 7)) & 1) === 1) {
              const a = auxW[2 * ia + 1] * TWO32 + (auxW[2 * ia] >>> 0)
              fwdAux[s] = a >= 0 ? a + 1 : a
            } else fwdAux[s] = Infinity
          }
          const tg = code(dTarget, tgMap, r)
          if (tg >= 0) eTarget[s] = tg + 1
          break
        }
        case K_WIRE_TX:
          c = T.t_wire_tx
          break
        case K_WIRE_RX:
          c = T.t_wire_rx
          break
        case K_END: {
          const v = tEnd.a[s]
          if (v === 0 || t < tEnd.get(s, base)) {
            tEnd.set(s, base, t)
            const e = this.enums
            e[E_EVENT][s] = evMap[ec] + 1
            e[E_REASON][s] = code(cols[C.reason], b.maps[C.reason]!.map, r) + 1
            e[E_VM][s] = code(dVm, vmMap, r) + 1
            e[E_HOST][s] = code(cols[C.host], b.maps[C.host]!.map, r) + 1
            e[E_MODE][s] = code(dMode, mdMap, r) + 1
            e[E_PLUGIN][s] = code(cols[C.plugin], b.maps[C.plugin]!.map, r) + 1
          }
          break
        }
      }
      if (c >= 0) {
        // inline TimeCol.min for the usual case (an offset that fits)
        const tc = times[c]
        const a = tc.a
        const v = a[s]
        const d = t - base + 1
        if (d >= 1 && d < OVER && v !== OVER) {
          if (v === 0 || d < v) a[s] = d
        } else tc.min(s, base, t)
      }
    }
  }

  /** CPU of a mode-less packet event whose frame_in has not come yet (resolved in finish()). */
  private defer(p: number, key: number, cpu: number): void {
    this.defPkt.push(p)
    this.defKey.push(key)
    this.defCpu.push(cpu)
  }

  /** The rarer roles of an event: frame counts, frame_in's mode, doorbells, interrupts, control rows. */
  private flagged(fl: number, vm: number, mode: number, p: number, t: number, ringNulls: boolean, ringValid: Uint8Array | null, ir: number,
    ring: Int8Array, ringMap: Int32Array, cols: Data[], maps: (Remap | null)[], r: number, rowBase: number): void {
    if ((fl & (F_FRAME_IN | F_RX_DELIVER)) !== 0 && vm >= 0) {
      const key = (vm + 1) * this.nM + mode + 1
      this.frameSeen[key] = 1
      if ((fl & F_FRAME_IN) !== 0) this.txFrames[key]++
      else this.rxFrames[key]++
    }
    if ((fl & F_FRAME_IN) !== 0 && p >= 0 && this.pktMode[p] <= 1) this.pktMode[p] = mode + 2
    if ((fl & F_DOORBELL) !== 0 && vm >= 0) {
      if ((!ringNulls || ((ringValid![ir >> 3] >> (ir & 7)) & 1) === 1) && ringMap[ring[ir]] === this.ringTx) {
        this.dbVm.push(vm)
        this.dbT.push(t)
      }
    } else if ((fl & F_IRQ) !== 0 && vm >= 0) {
      this.irqVm.push(vm)
      this.irqT.push(t)
    }
    if ((fl & F_CTL) !== 0) this.ctl.add(cols, maps, r, rowBase + r)
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

  /** Resolve what waited for the end of the events and build the tables. */
  finish(): PassResult {
    // CPU of mode-less packet events whose frame_in came later
    for (let i = 0; i < this.defPkt.n; i++) {
      const p = this.defPkt.a[i]
      const key = this.defKey.a[i] // (vm + 1) * nS + side + 1
      const fm = this.pktMode[p]
      this.addCpu(Math.floor(key / this.nS) - 1, fm >= 2 ? fm - 2 : -1, (key % this.nS) - 1, this.defCpu.a[i], true)
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

  /** The first forward's aux of slot s: NaN none, Infinity NULL. */
  private aux(s: number): number {
    const v = this.fwdAux[s]
    return v === 0 ? NaN : v > 0 ? v - 1 : v
  }

  /** In replica_tree: the first forward names another replica as parent. */
  private isSplit(s: number): boolean {
    const a = this.aux(s)
    return a - a === 0 && a !== this.slotReplica[s]
  }

  private stageSource(): ColumnSource {
    const fills: ColumnFill[] = []
    for (const [name, type] of STAGE_TABLE) {
      const ty = this.typeOf(type)
      fills.push({name, type: ty, fill: this.stageFill(name, ty, null)})
    }
    return new ColumnSource(this.n, fills)
  }

  /** Fill of a `_replica_stage` column; with idx, rows are slots idx[row]. */
  private stageFill(name: string, ty: DuckDBType, idx: Uint32Array | null): ColumnFill['fill'] {
    const w = intWidth(ty)
    const fr = this.frames
    const pk = this.slotPacket
    const slot = (st: number, i: number) => (idx !== null ? idx[st + i] : st + i)
    if (name === 'packet_id') {
      return (v, st, l, s) => {
        if (w === 8) {
          for (let i = 0; i < l; i++) s.f64[i] = pk[slot(st, i)]
          putI64(v, s.f64, null, 0, l, s)
        } else putInt(v, 4, pk, idx, st, l, 0, 0, s)
      }
    }
    if (name === 'replica') return (v, st, l, s) => putInt(v, 2, this.slotReplica, idx, st, l, 0, 0, s)
    const ti = STAGE_TIMES.indexOf(name as (typeof STAGE_TIMES)[number])
    if (ti >= 0) {
      const tc = this.times[ti]
      return (v, st, l, s) => {
        for (let i = 0; i < l; i++) {
          const sl = slot(st, i)
          s.f64[i] = tc.get(sl, fr.t[pk[sl]])
        }
        putI64(v, s.f64, null, 0, l, s)
      }
    }
    const ei = STAGE_ENUMS.findIndex(([n]) => n === name)
    if (ei >= 0) return (v, st, l, s) => putInt(v, w as 1 | 2 | 4, this.enums[ei], idx, st, l, 1, 1, s)
    if (name === 'first_forward_aux') {
      return (v, st, l, s) => {
        for (let i = 0; i < l; i++) s.f64[i] = this.aux(slot(st, i))
        putI64(v, s.f64, null, 0, l, s)
      }
    }
    const frameCol = {src_vm: fr.srcVm, src_host: fr.host, dst_kind: fr.dstKind, frame_vlan: fr.vlan} as Record<string, Uint16Array>
    if (frameCol[name] || name === 'frame_len') {
      return (v, st, l, s) => {
        const out = s.i32
        const col = frameCol[name]
        for (let i = 0; i < l; i++) {
          const p = pk[slot(st, i)]
          out[i] = col ? col[p] : fr.seen[p] ? fr.len[p] + 1 : 0
        }
        putInt(v, w as 1 | 2 | 4, out, null, 0, l, 1, 1, s)
      }
    }
    throw new Error(`loader: no stage column ${name}`)
  }

  private pathSource(): ColumnSource {
    const n = this.n
    const enums = this.enums
    const ended = enums[E_EVENT]
    const times = this.times
    const fr = this.frames
    const pk = this.slotPacket
    // rows: ended replicas in slot order; a split one gets merged values, at rowOv - 1
    let nSplit = 0
    for (let s = 0; s < n; s++) if (ended[s] !== 0 && this.isSplit(s)) nSplit++
    const rowSlot = new Uint32Array(n)
    const rowOv = new Uint32Array(n)
    const ovTimes = PATH_TIMES.map(() => new Float64Array(nSplit))
    const ovSrcMode = new Uint16Array(nSplit)
    const ovSrcPlugin = new Uint16Array(nSplit)
    const ovTarget = new Uint16Array(nSplit)
    const ovParent = new Float64Array(nSplit)
    let rows = 0
    let o = 0
    for (let s = 0; s < n; s++) {
      if (ended[s] === 0) continue
      if (!this.isSplit(s)) {
        rowSlot[rows++] = s
        continue
      }
      // _path_core's second branch: min/max over the ancestors only (replica_lineage, depth ≤ 32)
      const p = pk[s]
      const base = fr.t[p]
      for (let c = 0; c < NPT; c++) ovTimes[c][o] = NaN
      let srcMode = 0
      let srcPlugin = 0
      let target = 0
      let found = false
      let a = this.aux(s)
      for (let depth = 1; depth <= 32; depth++) {
        const as = this.slotOf(p, a)
        if (as < 0) break
        found = true
        for (let c = 0; c < NPT; c++) {
          const ti = PATH_TIMES[c][1]
          const v = times[ti].get(as, base)
          if (v !== v) continue
          const cur = ovTimes[c][o]
          const isMax = ti === T.t_vswitch_last || ti === T.t_eswitch_last
          if (cur !== cur || (isMax ? v > cur : v < cur)) ovTimes[c][o] = v
        }
        if (srcMode === 0) srcMode = enums[E_SRC_MODE][as]
        if (srcPlugin === 0) srcPlugin = enums[E_SRC_PLUGIN][as]
        if (target === 0) target = enums[E_TARGET][as]
        if (!this.isSplit(as)) break
        a = this.aux(as)
      }
      if (!found) continue // no ancestor has events: the inner joins of _path_core drop the replica
      ovSrcMode[o] = srcMode
      ovSrcPlugin[o] = srcPlugin
      ovTarget[o] = enums[E_TARGET][s] !== 0 ? enums[E_TARGET][s] : target
      ovParent[o] = this.aux(s)
      rowSlot[rows] = s
      rowOv[rows++] = ++o
    }
    // dst, doorbell, interrupt per row
    const ep = this.types.endpoint.valueIndexes
    const evIdx = this.types.event.valueIndexes
    const EXTERNAL = (ep.external ?? -9) + 1, PF = (ep.pf ?? -9) + 1, UPLINK = (ep.uplink ?? -9) + 1
    const SHELL_RX = (evIdx.shell_rx_deliver ?? -9) + 1, EXT_DELIVER = (evIdx.ext_deliver ?? -9) + 1
    const dst = new Uint16Array(rows)
    const tDoorbell = new TimeCol(rows)
    const tIrq = new TimeCol(rows)
    const db = byVm(this.dbVm, this.dbT, this.nV)
    const irq = byVm(this.irqVm, this.irqT, this.nV)
    const iPost = PATH_TIMES.findIndex(([nm]) => nm === 't_tx_post')
    const iWb = PATH_TIMES.findIndex(([nm]) => nm === 't_rx_writeback')
    const iDone = PATH_TIMES.findIndex(([nm]) => nm === 't_rx_complete')
    for (let r = 0; r < rows; r++) {
      const s = rowSlot[r]
      const ov = rowOv[r] - 1
      const ee = ended[s]
      const lt = ov < 0 ? enums[E_TARGET][s] : ovTarget[ov]
      const d = ee === SHELL_RX ? enums[E_VM][s] : ee === EXT_DELIVER ? EXTERNAL : lt === PF || lt === UPLINK ? 0 : lt
      dst[r] = d
      const p = pk[s]
      const base = fr.t[p]
      const sv = fr.srcVm[p] - 1
      const post = ov < 0 ? times[T.t_tx_post].get(s, base) : ovTimes[iPost][ov]
      if (post === post && sv >= 0) {
        const x = asof(db, sv, post)
        if (x === x) tDoorbell.set(r, base, x)
      }
      const wb = ov < 0 ? times[T.t_rx_writeback].get(s, base) : ovTimes[iWb][ov]
      if (wb === wb && d > 0) {
        const x = asof(irq, d - 1, wb)
        const done = ov < 0 ? times[T.t_rx_complete].get(s, base) : ovTimes[iDone][ov]
        if (x <= done) tIrq.set(r, base, x) // packet_path: an interrupt after the reap did not serve it
      }
    }
    // columns
    const idx = rowSlot.subarray(0, rows)
    const fills: ColumnFill[] = []
    for (const [name, type] of PATH_TABLE) {
      const ty = this.typeOf(type)
      const w = intWidth(ty) as 1 | 2 | 4
      const pt = PATH_TIMES.findIndex(([nm]) => nm === name)
      let fill: ColumnFill['fill']
      if (pt >= 0) {
        const tc = times[PATH_TIMES[pt][1]]
        const ovc = ovTimes[pt]
        fill = (v, st, l, s) => {
          for (let i = 0; i < l; i++) {
            const ov = rowOv[st + i]
            const sl = idx[st + i]
            s.f64[i] = ov === 0 ? tc.get(sl, fr.t[pk[sl]]) : ovc[ov - 1]
          }
          putI64(v, s.f64, null, 0, l, s)
        }
      } else if (name === 'parent_replica') {
        fill = (v, st, l, s) => {
          for (let i = 0; i < l; i++) s.i32[i] = rowOv[st + i] === 0 ? -1 : ovParent[rowOv[st + i] - 1]
          putInt(v, 2, s.i32, null, 0, l, 0, 0, s)
        }
      } else if (name === 'src_mode' || name === 'src_plugin' || name === 'last_target') {
        const e = enums[name === 'src_mode' ? E_SRC_MODE : name === 'src_plugin' ? E_SRC_PLUGIN : E_TARGET]
        const ovc = name === 'src_mode' ? ovSrcMode : name === 'src_plugin' ? ovSrcPlugin : ovTarget
        fill = (v, st, l, s) => {
          for (let i = 0; i < l; i++) {
            const ov = rowOv[st + i]
            s.i32[i] = ov === 0 ? e[idx[st + i]] : ovc[ov - 1]
          }
          putInt(v, w, s.i32, null, 0, l, 1, 1, s)
        }
      } else if (name === 'dst') {
        fill = (v, st, l, s) => putInt(v, w, dst, null, st, l, 1, 1, s)
      } else if (name === 't_doorbell' || name === 't_irq') {
        const tc = name === 't_doorbell' ? tDoorbell : tIrq
        fill = (v, st, l, s) => {
          for (let i = 0; i < l; i++) s.f64[i] = tc.get(st + i, fr.t[pk[idx[st + i]]])
          putI64(v, s.f64, null, 0, l, s)
        }
      } else {
        fill = this.stageFill(name, ty, idx)
      }
      fills.push({name, type: ty, fill})
    }
    return new ColumnSource(rows, fills)
  }

  private cpuCostSource(): ColumnSource {
    const {nM, nS} = this
    const keys: number[] = []
    for (let k = 0; k < this.cntAll.length; k++) if (this.cntAll[k] > 0) keys.push(k)
    const vm = Int32Array.from(keys, (k) => Math.floor(k / (nS * nM)))
    const mode = Int32Array.from(keys, (k) => Math.floor(k / nS) % nM)
    const side = Int32Array.from(keys, (k) => k % nS)
    const all = Float64Array.from(keys, (k) => this.cpuAll[k])
    const pkt = Float64Array.from(keys, (k) => (this.cntPkt[k] > 0 ? this.cpuPkt[k] : NaN)) // sum() FILTER over no row is NULL
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
    const vm = Int32Array.from(keys, (k) => Math.floor(k / nM))
    const mode = Int32Array.from(keys, (k) => k % nM)
    const tx = Float64Array.from(keys, (k) => this.txFrames[k])
    const rx = Float64Array.from(keys, (k) => this.rxFrames[k])
    return new ColumnSource(keys.length, [
      this.enumFill('vm', 'npa_endpoint', vm), this.enumFill('mode', 'npa_mode', mode),
      {name: 'tx_frames', type: this.typeOf('BIGINT'), fill: (v, st, l, s) => putI64(v, tx, null, st, l, s)},
      {name: 'rx_frames', type: this.typeOf('BIGINT'), fill: (v, st, l, s) => putI64(v, rx, null, st, l, s)},
    ])
  }

  /** An ENUM column from indices + 1 (0 = NULL). */
  private enumFill(name: string, type: string, a: Int32Array): ColumnFill {
    const ty = this.typeOf(type)
    const w = enumWidth(ty as DuckDBEnumType)
    return {name, type: ty, fill: (v, st, l, s) => putInt(v, w, a, null, st, l, 1, 1, s)}
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

/** An Int64 column's values as 32-bit words (little-endian: lo, hi). */
function words(d: Data): Int32Array {
  const v = d.values as BigInt64Array
  return new Int32Array(v.buffer, v.byteOffset, v.length * 2)
}

/** Times of one kind of event grouped by VM, each VM's sorted: offsets (nV + 1), times, and a search hint per VM. */
interface ByVm {
  start: Int32Array
  t: Float64Array
  hint: Int32Array
}

function byVm(vms: GrowI32, ts: GrowF64, nV: number): ByVm {
  const start = new Int32Array(nV + 1)
  for (let i = 0; i < vms.n; i++) start[vms.a[i] + 1]++
  for (let v = 0; v < nV; v++) start[v + 1] += start[v]
  const fillAt = start.slice(0, nV)
  const t = new Float64Array(vms.n)
  for (let i = 0; i < vms.n; i++) t[fillAt[vms.a[i]]++] = ts.a[i]
  for (let v = 0; v < nV; v++) {
    // emitted in time order almost always: sort only when not
    let sorted = true
    for (let i = start[v] + 1; i < start[v + 1] && sorted; i++) if (t[i] < t[i - 1]) sorted = false
    if (!sorted) t.subarray(start[v], start[v + 1]).sort()
  }
  return {start, t, hint: start.slice(0, nV)}
}

/**
 * The first time ≥ x of `vm` (an ASOF join's match), NaN when none. Paths come in roughly time
 * order, so the search starts where the VM's previous one ended.
 */
function asof(g: ByVm, vm: number, x: number): number {
  const t = g.t
  const from = g.start[vm]
  const to = g.start[vm + 1]
  let h = g.hint[vm]
  let lo: number
  let hi: number
  if (h < to && t[h] < x) {
    // forward: gallop from h
    let step = 1
    lo = h + 1
    hi = h + 1
    while (hi < to && t[hi] < x) {
      lo = hi + 1
      hi += step
      step *= 2
    }
    if (hi > to) hi = to
  } else {
    // backward (or h = to): gallop down from h
    let step = 1
    hi = h
    lo = h
    while (lo > from && t[lo - 1] >= x) {
      hi = lo - 1
      lo -= step
      step *= 2
      if (lo < from) lo = from
    }
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (t[mid] < x) lo = mid + 1
    else hi = mid
  }
  g.hint[vm] = lo
  return lo < to ? t[lo] : NaN
}
