import type {EventTally} from '../trace/event-slots.js'
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
   * True when the sink's writer counts the rows (per event, drops per reason, CPU per side: an
   * EventTally) so the model's thread need not; the owner hands the tally back with Tracer.adopt().
   */
  readonly tallied?: boolean
}

/**
 * The model's one way to emit a trace event: one store per column into the sink's current batch. With a
 * `tallied` sink its writer counts the rows (per event, drops per reason, CPU per side: on the replay's
 * I/O thread) and the owner hands the counts over with adopt() at the end; otherwise use CountingTracer
 * (newTracer picks). -1 means null for every nullable argument.
 *
 * emit() holds the column stores and nothing else: the smaller it is, the more of the model's call sites
 * TurboFan inlines it (and evVm, which wraps it) into.
 */
export class Tracer {
  readonly eventCounts = new Float64Array(EVENT_NAMES.length)
  readonly dropCounts = new Float64Array(REASONS.length)
  readonly cpuBySide = new Float64Array(3)
  protected readonly sink: EventSinkLike | null
  // The sink's column arrays, cached: the writer reuses them for every batch (hot path: one store each).
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

  /** Events emitted so far. */
  get rows(): number {
    return this.sink!.rowCount // never null here: the constructor refuses it (CountingTracer overrides rows)
  }

  /** The counts of a tallied sink's writer (after its last batch): they become this tracer's. */
  adopt(t: EventTally): void {
    this.eventCounts.set(t.events)
    this.dropCounts.set(t.drops)
    this.cpuBySide.set(t.cpuBySide)
  }

  /** A tracer over a sink whose writer counts (`tallied`); see newTracer. */
  constructor(sink: EventSinkLike | null) {
    // Over any other sink this class would write rows but count nothing (an empty summary): refuse.
    if (new.target === Tracer && sink?.tallied !== true) throw new Error('Tracer: the sink does not count its rows; use newTracer() (a CountingTracer)')
    this.sink = sink
    this.bind()
  }

  /** Cache the sink's column arrays (again after each new batch: a threaded sink moves to another slot). */
  private bind(): void {
    const c = (this.sink?.cols ?? EMPTY) as EventColumns
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
    const r = this.sink!.row()
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

/**
 * A tracer that counts per event, drops per reason and CPU per side itself: for a sink whose writer does
 * not (a TableWriter on this thread, in tests), and with no sink at all (the model-only benchmark, which
 * only counts).
 */
export class CountingTracer extends Tracer {
  private counted = 0
  private readonly dropEv: number

  constructor(sink: EventSinkLike | null, dropEventCode: number) {
    super(sink)
    this.dropEv = dropEventCode
  }

  override get rows(): number {
    return this.counted
  }

  override adopt(): void {
    throw new Error('Tracer.adopt: this tracer counts itself (its sink is not tallied)')
  }

  override emit(
    t: number, ev: number, comp: number, pkt: number, rep: number, host: number, vm: number, mode: number,
    plugin: number, queue: number, ring: number, desc: number, len: number, vlan: number, target: number,
    reason: number, detail: number, cpu: number, side: number, aux: number,
  ): void {
    this.eventCounts[ev]++
    if (ev === this.dropEv && reason >= 0) this.dropCounts[reason]++
    if (cpu > 0 && side >= 0) this.cpuBySide[side] += cpu
    this.counted++
    if (this.sink !== null) {
      super.emit(t, ev, comp, pkt, rep, host, vm, mode, plugin, queue, ring, desc, len, vlan, target, reason, detail, cpu, side, aux)
    }
  }
}

/** The tracer for a sink: store-only when the sink's writer counts, else counting. */
export function newTracer(sink: EventSinkLike | null, dropEventCode: number): Tracer {
  return sink?.tallied === true ? new Tracer(sink) : new CountingTracer(sink, dropEventCode)
}

const EMPTY = {} as EventColumns
