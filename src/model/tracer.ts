import {EVENT_NAMES, REASONS} from '../trace/schema.js'

/** The column arrays of the events table, as the trace writer exposes them (see src/trace/writer.ts). */
export interface EventColumns {
  t_ns: Float64Array
  event: Int16Array | Int32Array
  component: Int16Array | Int32Array
  packet_id: Float64Array
  replica: Int32Array | Uint16Array | Int16Array
  host: Int16Array | Int32Array
  vm: Int16Array | Int32Array
  mode: Int16Array | Int32Array
  plugin: Int16Array | Int32Array
  queue: Int16Array | Int32Array
  ring: Int16Array | Int32Array
  desc: Int32Array
  len: Int32Array | Uint32Array | Float64Array
  vlan: Int16Array | Int32Array
  target: Int16Array | Int32Array
  reason: Int16Array | Int32Array
  detail: Int16Array | Int32Array
  cpu_ns: Uint32Array | Int32Array | Float64Array
  side: Int16Array | Int32Array
  aux: Float64Array
}

/** What the tracer needs from a writer: a row index to fill, and the column arrays (re-read after row()). */
export interface EventSinkLike {
  row(): number
  readonly cols: unknown
}

/**
 * The model's one way to emit a trace event. Keeps per-event and per-reason counts for the summary
 * and CPU totals per side. With no sink (model-only benchmark) it only counts.
 * -1 means null for every nullable argument.
 */
export class Tracer {
  readonly eventCounts = new Float64Array(EVENT_NAMES.length)
  readonly dropCounts = new Float64Array(REASONS.length)
  readonly cpuBySide = new Float64Array(3)
  rows = 0
  private readonly sink: EventSinkLike | null
  private dropEv: number

  constructor(sink: EventSinkLike | null, dropEventCode: number) {
    this.sink = sink
    this.dropEv = dropEventCode
  }

  emit(
    t: number, ev: number, comp: number, pkt: number, rep: number, host: number, vm: number, mode: number,
    plugin: number, queue: number, ring: number, desc: number, len: number, vlan: number, target: number,
    reason: number, detail: number, cpu: number, side: number, aux: number,
  ): void {
    this.eventCounts[ev]++
    if (ev === this.dropEv && reason >= 0) this.dropCounts[reason]++
    if (cpu > 0 && side >= 0) this.cpuBySide[side] += cpu
    this.rows++
    const s = this.sink
    if (s === null) return
    const r = s.row()
    const c = s.cols as EventColumns
    c.t_ns[r] = t
    c.event[r] = ev
    c.component[r] = comp
    c.packet_id[r] = pkt
    c.replica[r] = rep
    c.host[r] = host
    c.vm[r] = vm
    c.mode[r] = mode
    c.plugin[r] = plugin
    c.queue[r] = queue
    c.ring[r] = ring
    c.desc[r] = desc
    c.len[r] = len
    c.vlan[r] = vlan
    c.target[r] = target
    c.reason[r] = reason
    c.detail[r] = detail
    c.cpu_ns[r] = cpu
    c.side[r] = side
    c.aux[r] = aux
  }
}
