import {PACKED_WORDS, type EventTally} from '../trace/event-slots.js'
import {EVENT_NAMES, REASONS} from '../trace/schema.js'

/** The column arrays of the events table, as the trace writer exposes them (see src/trace/writer.ts). */
export interface EventColumns {
  t_ns: Float64Array
  event: Int8Array | Int16Array | Int32Array
  component: Int8Array | Int16Array | Int32Array
  packet_id: Float64Array | Uint32Array
  replica: Int32Array | Uint16Array | Int16Array
  host: Int8Array | Int16Array | Int32Array
  vm: Int8Array | Int16Array | Int32Array
  mode: Int8Array | Int16Array | Int32Array
  plugin: Int8Array | Int16Array | Int32Array
  queue: Int8Array | Int16Array | Int32Array
  ring: Int8Array | Int16Array | Int32Array
  desc_idx: Int8Array | Int16Array | Int32Array
  len: Int32Array | Uint32Array | Float64Array
  vlan: Int8Array | Int16Array | Int32Array
  target: Int8Array | Int16Array | Int32Array
  reason: Int8Array | Int16Array | Int32Array
  detail: Int8Array | Int16Array | Int32Array
  cpu_ns: Uint32Array | Int32Array | Float64Array
  side: Int8Array | Int16Array | Int32Array
  aux: Float64Array
}

/** What the tracer needs from a writer: a row index to fill, and the column arrays (re-read when row() returns 0). */
export interface EventSinkLike {
  row(): number
  readonly cols: unknown
  /** Rows handed out so far. */
  readonly rowCount: number
  /**
   * True for the event slots (src/trace/event-slots.ts): the columns are the slot layout, the small ones
   * packed into 32-bit words (PACKED_WORDS), and the writer thread counts the rows (per event, drops per
   * reason, CPU per side: an EventTally), which the owner hands back with Tracer.adopt(). Otherwise the
   * columns are a TableWriter's, one array per column, and the tracer counts.
   */
  readonly packed?: boolean
}

/**
 * The model's one way to emit a trace event (emit: one row; -1 means null for every nullable argument)
 * and the counts the replay's summary reads. newTracer picks the implementation for a sink.
 */
export abstract class Tracer {
  readonly eventCounts = new Float64Array(EVENT_NAMES.length)
  readonly dropCounts = new Float64Array(REASONS.length)
  readonly cpuBySide = new Float64Array(3)

  /** Events emitted so far. */
  abstract get rows(): number

  abstract emit(
    t: number, ev: number, comp: number, pkt: number, rep: number, host: number, vm: number, mode: number,
    plugin: number, queue: number, ring: number, desc: number, len: number, vlan: number, target: number,
    reason: number, detail: number, cpu: number, side: number, aux: number,
  ): void

  /** The counts of a packed sink's writer (after its last batch): they become this tracer's. */
  adopt(t: EventTally): void {
    this.eventCounts.set(t.events)
    this.dropCounts.set(t.drops)
    this.cpuBySide.set(t.cpuBySide)
  }
}

/**
 * The replay's tracer, over the event slots: store-only (the writer thread counts), 11 stores per event
 * (the slot layout packs event|component|mode|ring, reason|detail|side, replica|queue, desc_idx|vlan,
 * host|vm and plugin|target into one 32-bit word each: PACKED_WORDS, which the writer thread unpacks).
 * The stores are most of an event's cost on the model's thread (~0.03 s per store per 1M frames).
 *
 * emit() holds the stores and nothing else: the smaller it is, the more of the model's call sites
 * TurboFan inlines it (and World.evVm, which wraps it) into.
 */
export class PackedTracer extends Tracer {
  private readonly sink: EventSinkLike
  // The slot's arrays, cached: re-read after each new batch (another slot).
  private cT!: Float64Array
  private cW0!: Int32Array
  private cW1!: Int32Array
  private cW2!: Int32Array
  private cW3!: Int32Array
  private cW4!: Int32Array
  private cW5!: Int32Array
  private cPkt!: Uint32Array
  private cLen!: Uint32Array
  private cCpu!: Uint32Array
  private cAux!: Float64Array

  constructor(sink: EventSinkLike) {
    super()
    if (sink.packed !== true) throw new Error('PackedTracer: the sink is not the packed event slots; use newTracer()')
    this.sink = sink
    this.bind()
  }

  get rows(): number {
    return this.sink.rowCount
  }

  private bind(): void {
    const c = this.sink.cols as PackedEventColumns
    this.cT = c.t_ns
    this.cW0 = c[PACKED_WORDS[0].name]
    this.cW1 = c[PACKED_WORDS[1].name]
    this.cW2 = c[PACKED_WORDS[2].name]
    this.cW3 = c[PACKED_WORDS[3].name]
    this.cW4 = c[PACKED_WORDS[4].name]
    this.cW5 = c[PACKED_WORDS[5].name]
    this.cPkt = c.packet_id
    this.cLen = c.len
    this.cCpu = c.cpu_ns
    this.cAux = c.aux
  }

  emit(
    t: number, ev: number, comp: number, pkt: number, rep: number, host: number, vm: number, mode: number,
    plugin: number, queue: number, ring: number, desc: number, len: number, vlan: number, target: number,
    reason: number, detail: number, cpu: number, side: number, aux: number,
  ): void {
    const r = this.sink.row()
    if (r === 0) this.bind()
    this.cT[r] = t
    // The lanes of PACKED_WORDS, least significant first (a null -1 is all ones in its lane).
    this.cW0[r] = (ev & 255) | ((comp & 255) << 8) | ((mode & 255) << 16) | (ring << 24)
    this.cW1[r] = (reason & 255) | ((detail & 255) << 8) | ((side & 255) << 16)
    this.cW2[r] = (rep & 65535) | (queue << 16)
    this.cW3[r] = (desc & 65535) | (vlan << 16)
    this.cW4[r] = (host & 65535) | (vm << 16)
    this.cW5[r] = (plugin & 65535) | (target << 16)
    this.cPkt[r] = pkt
    this.cLen[r] = len
    this.cCpu[r] = cpu
    this.cAux[r] = aux
  }
}

/** The slot layout PackedTracer stores into (src/trace/event-slots.ts: slotColumns, PACKED_WORDS). */
type PackedEventColumns = Record<string, Int32Array> & {
  t_ns: Float64Array
  packet_id: Uint32Array
  len: Uint32Array
  cpu_ns: Uint32Array
  aux: Float64Array
}

/**
 * A tracer that counts per event, drops per reason and CPU per side itself, and stores one array per
 * column: for a TableWriter on this thread (tests, small tools), and with no sink at all (the model-only
 * benchmark, which only counts).
 */
export class CountingTracer extends Tracer {
  private counted = 0
  private readonly dropEv: number
  private readonly sink: EventSinkLike | null
  private cT!: Float64Array
  private cEv!: Int8Array | Int16Array | Int32Array
  private cComp!: Int8Array | Int16Array | Int32Array
  private cPkt!: Float64Array | Uint32Array
  private cRep!: Int32Array | Uint16Array | Int16Array
  private cHost!: Int8Array | Int16Array | Int32Array
  private cVm!: Int8Array | Int16Array | Int32Array
  private cMode!: Int8Array | Int16Array | Int32Array
  private cPlugin!: Int8Array | Int16Array | Int32Array
  private cQueue!: Int8Array | Int16Array | Int32Array
  private cRing!: Int8Array | Int16Array | Int32Array
  private cDesc!: Int8Array | Int16Array | Int32Array
  private cLen!: Int32Array | Uint32Array | Float64Array
  private cVlan!: Int8Array | Int16Array | Int32Array
  private cTarget!: Int8Array | Int16Array | Int32Array
  private cReason!: Int8Array | Int16Array | Int32Array
  private cDetail!: Int8Array | Int16Array | Int32Array
  private cCpu!: Uint32Array | Int32Array | Float64Array
  private cSide!: Int8Array | Int16Array | Int32Array
  private cAux!: Float64Array

  constructor(sink: EventSinkLike | null, dropEventCode: number) {
    super()
    if (sink?.packed === true) throw new Error('CountingTracer: the sink is the packed event slots; use newTracer() (a PackedTracer)')
    this.sink = sink
    this.dropEv = dropEventCode
    if (sink) this.bind()
  }

  get rows(): number {
    return this.counted
  }

  override adopt(): void {
    throw new Error('Tracer.adopt: this tracer counts itself (its sink is not the packed event slots)')
  }

  private bind(): void {
    const c = this.sink!.cols as EventColumns
    this.cT = c.t_ns
    this.cEv = c.event
    this.cComp = c.component
    this.cPkt = c.packet_id
    this.cRep = c.replica
    this.cHost = c.host
    this.cVm = c.vm
    this.cMode = c.mode
    this.cPlugin = c.plugin
    this.cQueue = c.queue
    this.cRing = c.ring
    this.cDesc = c.desc_idx
    this.cLen = c.len
    this.cVlan = c.vlan
    this.cTarget = c.target
    this.cReason = c.reason
    this.cDetail = c.detail
    this.cCpu = c.cpu_ns
    this.cSide = c.side
    this.cAux = c.aux
  }

  emit(
    t: number, ev: number, comp: number, pkt: number, rep: number, host: number, vm: number, mode: number,
    plugin: number, queue: number, ring: number, desc: number, len: number, vlan: number, target: number,
    reason: number, detail: number, cpu: number, side: number, aux: number,
  ): void {
    this.eventCounts[ev]++
    if (ev === this.dropEv && reason >= 0) this.dropCounts[reason]++
    if (cpu > 0 && side >= 0) this.cpuBySide[side] += cpu
    this.counted++
    if (this.sink === null) return
    const r = this.sink.row()
    if (r === 0) this.bind()
    this.cT[r] = t
    this.cEv[r] = ev
    this.cComp[r] = comp
    this.cPkt[r] = pkt
    this.cRep[r] = rep
    this.cHost[r] = host
    this.cVm[r] = vm
    this.cMode[r] = mode
    this.cPlugin[r] = plugin
    this.cQueue[r] = queue
    this.cRing[r] = ring
    this.cDesc[r] = desc
    this.cLen[r] = len
    this.cVlan[r] = vlan
    this.cTarget[r] = target
    this.cReason[r] = reason
    this.cDetail[r] = detail
    this.cCpu[r] = cpu
    this.cSide[r] = side
    this.cAux[r] = aux
  }
}

/** The tracer for a sink: store-only over the packed event slots, else counting. */
export function newTracer(sink: EventSinkLike | null, dropEventCode: number): Tracer {
  return sink?.packed === true ? new PackedTracer(sink) : new CountingTracer(sink, dropEventCode)
}
