/**
 * `npa-trace export <run> --perfetto out.json`: the descriptor timeline in the Chrome trace event
 * format (a JSON object with `traceEvents`), which the Perfetto UI and chrome://tracing open.
 *
 * Layout: one process per host (pid = host index + 2; pid 1 is "network": the physical switch, the
 * wire seen from outside and external endpoints), one thread per VM × stage kind × queue:
 *   "<vm> tx q<n>"       complete events, one per frame: stack_tx → TX descriptor write-back
 *   "<vm> rx q<n>"       complete events, one per replica: RX DMA (desc_process) → shell_rx_deliver
 *   "<vm> irq q<n>"      irq_raise → the shell's interrupt pass, then the pass itself (its CPU time)
 *   "<vm> migration"     mig_begin → mig_end; "<vm> migration phases": each mig_phase_*
 *   "<vm> control"       mode switches and pauses (complete), control-path and plugin events (instants)
 *   "<vm> drops" / "drops"  instant events, one per drop, named by the reason (args: component, packet, target)
 * plus counter tracks of ring occupancy ("<vm> tx q0 ring"). Complete events on one thread must nest
 * or be disjoint in the trace format, and frames overlap (the next frame is posted before the last
 * one is written back), so a track whose slices overlap spills over into extra lanes
 * ("<vm> tx q0 #2"...), greedily: a slice goes to the first lane that is free at its start.
 *
 * Timestamps: `ts`/`dur` are µs in the format; they are written as decimal text from the integer ns
 * (`12345` ns → `12.345`), so no precision is lost. `displayTimeUnit: "ns"` makes the UI show ns.
 *
 * Streaming: events are read batch by batch and the JSON is written in ~1 MiB chunks, so memory
 * holds a few record batches and the open stages (frames in flight), not the trace. Per event, the
 * hot loop reads typed arrays only; pending stages live in typed arrays indexed by packet id (TX) and
 * in number-keyed maps (RX replicas, interrupts).
 *
 * Reading: apache-arrow's file reader over a FileHandle makes an async round trip per message, and
 * measured 3× slower here than reading the file body as an IPC *stream*: an Arrow file is the magic,
 * the stream's messages (dictionaries, record batches) and a footer holding the schema. So the footer
 * is read once through the file reader for the schema, a schema message is put in front, and the body
 * is fed to the synchronous stream reader in 4 MiB readSync chunks.
 */
import {readHead} from '../analysis/loader.js'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {RecordBatchReader, RecordBatchStreamWriter} from 'apache-arrow'
import type {Data, RecordBatch, Schema} from 'apache-arrow'
import {UserError} from '../errors.js'
import {resolveRunDir} from '../trace/rundir.js'
import {EVENT_NAMES, type EventName} from '../trace/schema.js'

export interface PerfettoOptions {
  /** Run directory or run id. */
  run: string
  /** Output JSON file. */
  out: string
  /** Only events in [fromNs, toNs) (complete events: those that overlap it). */
  fromNs?: number
  toNs?: number
  /** Stop after this many trace events (metadata not counted). */
  limit?: number
  /** Also write every other event as an instant on its component's track. */
  allEvents?: boolean
  /** Ring occupancy counters (default true). */
  counters?: boolean
  /** Runs root for bare run ids. */
  runsRoot?: string
}

export interface PerfettoResult {
  out: string
  bytes: number
  /** Trace events written (without metadata), by phase. */
  complete: number
  instant: number
  counter: number
  metadata: number
  /** Tracks (threads) created. */
  tracks: number
  /** Events read from the run. */
  eventsRead: number
  /** True when --limit stopped the export early. */
  truncated: boolean
}

// Track kinds (thread groups per VM). Order = display order within a host.
const K_TX = 0
const K_RX = 1
const K_IRQ = 2
const K_MIG = 3
const K_MIG_PHASE = 4
const K_CONTROL = 5
const K_DROPS = 6
const K_COMPONENT = 8 // + component code (all-events instants)
const KIND_LABEL = ['tx', 'rx', 'irq', 'migration', 'migration phases', 'control', 'drops']

const FLUSH_BYTES = 1 << 20
const NULL = -1

/** ns (integer) → µs as decimal text with ns precision. */
export function usText(ns: number): string {
  const neg = ns < 0
  const a = neg ? -ns : ns
  const us = Math.floor(a / 1000)
  const rem = a - us * 1000
  const s = rem === 0 ? String(us) : `${us}.${rem < 10 ? '00' : rem < 100 ? '0' : ''}${rem}`.replace(/0+$/, '')
  return neg ? `-${s}` : s
}

interface Track {
  pid: number
  label: string
  sortBase: number
  /** Lane → tid, and the latest end time on that lane. */
  tids: number[]
  lastEnd: number[]
}

/** Column access for one record batch: typed arrays and validity, no per-row objects. */
class Cols {
  t!: Int32Array // t_ns as (lo, hi) pairs
  ev!: Int8Array | Int16Array | Int32Array
  evMap!: Int16Array // file dictionary code → EVENT_NAMES index
  comp!: Int8Array | Int16Array | Int32Array
  compDict!: string[]
  pkt!: Uint32Array
  pktValid!: Uint8Array | null
  rep!: Uint16Array
  repValid!: Uint8Array | null
  host!: Int8Array | Int16Array | Int32Array
  hostValid!: Uint8Array | null
  hostDict!: string[]
  vm!: Int8Array | Int16Array | Int32Array
  vmValid!: Uint8Array | null
  vmDict!: string[]
  mode!: Int8Array | Int16Array | Int32Array
  modeValid!: Uint8Array | null
  modeDict!: string[]
  plugin!: Int8Array | Int16Array | Int32Array
  pluginValid!: Uint8Array | null
  pluginDict!: string[]
  queue!: Int16Array
  queueValid!: Uint8Array | null
  ring!: Int8Array | Int16Array | Int32Array
  ringValid!: Uint8Array | null
  ringDict!: string[]
  target!: Int8Array | Int16Array | Int32Array
  targetValid!: Uint8Array | null
  targetDict!: string[]
  reason!: Int8Array | Int16Array | Int32Array
  reasonValid!: Uint8Array | null
  reasonDict!: string[]
  detail!: Int8Array | Int16Array | Int32Array
  detailValid!: Uint8Array | null
  detailDict!: string[]
  cpu!: Uint32Array
  aux!: Int32Array
  auxValid!: Uint8Array | null
}

const dictCache = new WeakMap<object, string[]>()

function dictOf(d: Data): string[] {
  const v = d.dictionary
  if (!v) return []
  let s = dictCache.get(v)
  if (!s) {
    s = (v.toArray() as unknown as (string | null)[]).map((x) => x ?? '')
    dictCache.set(v, s)
  }
  return s
}

/** Validity bitmap of a column, or null when it has no nulls. Only offset-0 data (what the writer makes). */
function validity(d: Data): Uint8Array | null {
  return d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 ? d.nullBitmap : null
}

function isValid(bm: Uint8Array | null, i: number): boolean {
  return bm === null || (bm[i >> 3] & (1 << (i & 7))) !== 0
}

function colData(batch: RecordBatch, name: string, file: string): Data {
  const v = batch.getChild(name)
  if (!v || v.data.length !== 1) throw new UserError(`${file}: column ${name} is missing or chunked`, {hint: 'replay the capture again with this version of npa-trace'})
  const d = v.data[0]
  if (d.offset !== 0) throw new UserError(`${file}: column ${name} has a non-zero offset, which the exporter does not read`)
  return d
}

function bindBatch(c: Cols, batch: RecordBatch, file: string): void {
  const d = (n: string): Data => colData(batch, n, file)
  const t = d('t_ns').values as BigInt64Array
  c.t = new Int32Array(t.buffer, t.byteOffset, t.length * 2)
  const ev = d('event')
  c.ev = ev.values as Int8Array
  const evDict = dictOf(ev)
  c.evMap = Int16Array.from(evDict, (n) => EVENT_NAMES.indexOf(n as EventName))
  const comp = d('component')
  c.comp = comp.values as Int8Array
  c.compDict = dictOf(comp)
  const pkt = d('packet_id')
  c.pkt = pkt.values as Uint32Array
  c.pktValid = validity(pkt)
  const rep = d('replica')
  c.rep = rep.values as Uint16Array
  c.repValid = validity(rep)
  for (const n of ['host', 'vm', 'mode', 'plugin', 'ring', 'target', 'reason', 'detail'] as const) {
    const x = d(n)
    ;(c as unknown as Record<string, unknown>)[n] = x.values
    ;(c as unknown as Record<string, unknown>)[`${n}Valid`] = validity(x)
    ;(c as unknown as Record<string, unknown>)[`${n}Dict`] = dictOf(x)
  }
  const q = d('queue')
  c.queue = q.values as Int16Array
  c.queueValid = validity(q)
  c.cpu = d('cpu_ns').values as Uint32Array
  const aux = d('aux')
  const a = aux.values as BigInt64Array
  c.aux = new Int32Array(a.buffer, a.byteOffset, a.length * 2)
  c.auxValid = validity(aux)
}

/**
 * The run's events files and run.json. Read here rather than through the analysis loader, which
 * would load DuckDB (≈ 100 MB of RSS) for a job that needs none.
 */
function runEvents(dir: string): {id: string; json: Record<string, unknown>; events: string[]} {
  let json: Record<string, unknown>
  try {
    json = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as Record<string, unknown>
  } catch (err) {
    throw new UserError(`${path.join(dir, 'run.json')}: not readable JSON (${(err as Error).message})`, {hint: 'replay the capture again'})
  }
  const events = fs.readdirSync(dir).filter((n) => /^events(-\d+)?\.arrow$/.test(n)).sort().map((n) => path.join(dir, n))
  if (events.length === 0) throw new UserError(`${dir}: no events*.arrow; this run is incomplete`, {hint: 'replay the capture again'})
  const id = typeof json.run_id === 'string' && json.run_id !== '' ? json.run_id : path.basename(path.resolve(dir))
  return {id, json, events}
}

const CHUNK = 4 << 20

/** The messages of an Arrow IPC file as a stream: a schema message, then the body between the magic and the footer. */
function* streamChunks(file: string, schema: Schema): Generator<Uint8Array> {
  yield new RecordBatchStreamWriter().reset(undefined, schema).toUint8Array(true)
  const fd = fs.openSync(file, 'r')
  try {
    const size = fs.fstatSync(fd).size
    const tail = Buffer.alloc(10)
    fs.readSync(fd, tail, 0, 10, size - 10)
    if (tail.toString('latin1', 4) !== 'ARROW1') throw new UserError(`${file}: no Arrow footer (truncated?)`, {hint: 'replay the capture again'})
    const end = size - 10 - tail.readInt32LE(0)
    for (let pos = 8; pos < end;) {
      const n = Math.min(CHUNK, end - pos)
      const b = Buffer.allocUnsafe(n)
      fs.readSync(fd, b, 0, n, pos)
      pos += n
      yield b
    }
  } finally {
    fs.closeSync(fd)
  }
}

const ev = (n: EventName): number => EVENT_NAMES.indexOf(n)
const E = {
  stack_tx: ev('stack_tx'), desc_process: ev('desc_process'), desc_writeback: ev('desc_writeback'), shell_rx_deliver: ev('shell_rx_deliver'),
  irq_raise: ev('irq_raise'), shell_irq: ev('shell_irq'), drop: ev('drop'), desc_post: ev('desc_post'), desc_complete: ev('desc_complete'),
  mig_begin: ev('mig_begin'), mig_end: ev('mig_end'), mig_phase_begin: ev('mig_phase_begin'), mig_phase_end: ev('mig_phase_end'),
  vm_pause: ev('vm_pause'), vm_resume: ev('vm_resume'), mode_switch_begin: ev('mode_switch_begin'), mode_switch_end: ev('mode_switch_end'),
  ctrl_trap: ev('ctrl_trap'), ctrl_apply: ev('ctrl_apply'), ctrl_reject: ev('ctrl_reject'), vf_alloc: ev('vf_alloc'), vf_free: ev('vf_free'),
  plugin_inject: ev('plugin_inject'), plugin_load: ev('plugin_load'), plugin_reject: ev('plugin_reject'), mode_quiesce: ev('mode_quiesce'),
}
/** Events shown as instants on the VM's control track. */
const CONTROL_INSTANTS = new Set([E.ctrl_trap, E.ctrl_apply, E.ctrl_reject, E.vf_alloc, E.vf_free, E.plugin_inject, E.plugin_load, E.plugin_reject, E.mode_quiesce])

function jsonStr(s: string): string {
  return JSON.stringify(s)
}

/** Export a run's events as a Chrome/Perfetto JSON trace. */
export async function exportPerfetto(opts: PerfettoOptions): Promise<PerfettoResult> {
  const dir = resolveRunDir(opts.run, opts.runsRoot)
  const run = runEvents(dir)
  const from = opts.fromNs ?? 0
  const to = opts.toNs ?? Number.MAX_SAFE_INTEGER
  if (!(to > from)) throw new UserError(`empty time window: --from ${from} ns is not before --to ${to} ns`)
  const limit = opts.limit ?? Infinity
  const counters = opts.counters ?? true
  const counts = (run.json.counts ?? {}) as {frames?: number}
  const nFrames = Math.max(1, Number(counts.frames ?? 0))

  let fd: number
  try {
    fd = fs.openSync(`${opts.out}.partial`, 'w')
  } catch (err) {
    throw new UserError(`cannot write ${opts.out}: ${(err as Error).message}`, {hint: 'pick another output path'})
  }
  let buf: string[] = []
  let bufLen = 0
  let bytes = 0
  let first = true
  const write = (s: string): void => {
    buf.push(s)
    bufLen += s.length
    if (bufLen >= FLUSH_BYTES) flush()
  }
  const flush = (): void => {
    if (buf.length === 0) return
    const b = Buffer.from(buf.join(''))
    fs.writeSync(fd, b)
    bytes += b.length
    buf = []
    bufLen = 0
  }
  const emit = (json: string): void => {
    write(first ? `\n${json}` : `,\n${json}`)
    first = false
  }

  const res: PerfettoResult = {out: opts.out, bytes: 0, complete: 0, instant: 0, counter: 0, metadata: 0, tracks: 0, eventsRead: 0, truncated: false}
  const written = (): number => res.complete + res.instant + res.counter

  // --- processes and tracks
  const processes = new Map<number, string>()
  const nextTid = new Map<number, number>()
  const tracks = new Map<number, Track>()
  const meta = (name: string, pid: number, tid: number, args: string): void => {
    emit(`{"name":"${name}","ph":"M","ts":0,"pid":${pid},"tid":${tid},"args":${args}}`)
    res.metadata++
  }
  const processFor = (host: number, hostDict: string[]): number => {
    const pid = host === NULL ? 1 : host + 2
    if (!processes.has(pid)) {
      const name = host === NULL ? 'network' : `host ${hostDict[host]}`
      processes.set(pid, name)
      meta('process_name', pid, 0, `{"name":${jsonStr(name)}}`)
      meta('process_sort_index', pid, 0, `{"sort_index":${pid}}`)
    }
    return pid
  }
  /** The track of (host, vm, kind, queue); label made only when the track is new. */
  const trackFor = (c: Cols, host: number, vm: number, kind: number, queue: number): Track => {
    const key = (((host + 1) * 4096 + (vm + 1)) * 64 + kind) * 1024 + (queue + 1)
    let tr = tracks.get(key)
    if (!tr) {
      const pid = processFor(host, c.hostDict)
      const who = vm === NULL ? '' : `${c.vmDict[vm]} `
      let label: string
      if (kind >= K_COMPONENT) label = `${who}${c.compDict[kind - K_COMPONENT] ?? 'component'}${queue === NULL ? '' : ` q${queue}`}`
      else if (kind === K_DROPS && vm === NULL) label = 'drops'
      else label = `${who}${KIND_LABEL[kind]}${queue === NULL ? '' : ` q${queue}`}`
      tr = {pid, label, sortBase: (((vm + 1) * 64 + kind) * 1024 + (queue + 1)) * 16, tids: [], lastEnd: []}
      tracks.set(key, tr)
    }
    return tr
  }
  /** The tid of a lane of a track that is free from `start` (creating lanes as needed). */
  const laneTid = (tr: Track, start: number, end: number): number => {
    let lane = 0
    while (lane < tr.lastEnd.length && tr.lastEnd[lane] > start) lane++
    if (lane === tr.tids.length) {
      const tid = (nextTid.get(tr.pid) ?? 0) + 1
      nextTid.set(tr.pid, tid)
      tr.tids.push(tid)
      tr.lastEnd.push(end)
      res.tracks++
      meta('thread_name', tr.pid, tid, `{"name":${jsonStr(lane === 0 ? tr.label : `${tr.label} #${lane + 1}`)}}`)
      meta('thread_sort_index', tr.pid, tid, `{"sort_index":${tr.sortBase + Math.min(lane, 15)}}`)
    } else if (end > tr.lastEnd[lane]) tr.lastEnd[lane] = end
    return tr.tids[lane]
  }
  const inWindow = (start: number, end: number): boolean => start < to && end >= from
  const complete = (tr: Track, name: string, cat: string, start: number, end: number, args: string): void => {
    if (!inWindow(start, end) || written() >= limit) return
    const tid = laneTid(tr, start, end)
    emit(`{"name":${jsonStr(name)},"cat":"${cat}","ph":"X","ts":${usText(start)},"dur":${usText(end - start)},"pid":${tr.pid},"tid":${tid},"args":${args}}`)
    res.complete++
  }
  const instant = (tr: Track, name: string, cat: string, t: number, args: string): void => {
    if (!inWindow(t, t) || t >= to || written() >= limit) return
    const tid = laneTid(tr, t, t)
    emit(`{"name":${jsonStr(name)},"cat":"${cat}","ph":"i","s":"t","ts":${usText(t)},"pid":${tr.pid},"tid":${tid},"args":${args}}`)
    res.instant++
  }
  const counter = (pid: number, name: string, t: number, value: number): void => {
    if (t < from || t >= to || written() >= limit) return
    emit(`{"name":${jsonStr(name)},"cat":"ring","ph":"C","ts":${usText(t)},"pid":${pid},"tid":0,"args":{"occupancy":${value}}}`)
    res.counter++
  }

  // --- pending stages
  const txStart = new Float64Array(nFrames).fill(NaN) // stack_tx time per packet
  const txEnd = new Float64Array(nFrames).fill(NaN) // TX write-back seen before its stack_tx (emission order is not time order)
  const txEndKey = new Float64Array(nFrames) // track key fields of that write-back: host, vm, queue
  const rxStart = new Map<number, number>() // (packet, replica) → RX DMA done
  const irqPending = new Map<number, number>() // (host, vm, queue) → irq_raise time
  const spanBegin = new Map<number, number>() // migration / phase / pause / mode switch begin, by (kind, vm, detail)
  const spanHost = new Map<number, number>()

  const argsPacket = (c: Cols, i: number, p: number): string => {
    const rep = isValid(c.repValid, i) ? c.rep[i] : 0
    const mode = isValid(c.modeValid, i) ? `,"mode":"${c.modeDict[c.mode[i]]}"` : ''
    const plugin = isValid(c.pluginValid, i) ? `,"plugin":${jsonStr(c.pluginDict[c.plugin[i]])}` : ''
    return `{"packet_id":${p},"replica":${rep}${mode}${plugin}}`
  }

  write('{"traceEvents":[')
  const c = new Cols()
  try {
    outer: for (const file of run.events) {
      const schema = (await readHead(file)).schema
      for (const batch of RecordBatchReader.from(streamChunks(file, schema))) {
        bindBatch(c, batch, file)
        const n = batch.numRows
        for (let i = 0; i < n; i++) {
          if (written() >= limit) {
            res.truncated = true
            break outer
          }
          res.eventsRead++
          const t = (c.t[2 * i] >>> 0) + c.t[2 * i + 1] * 4294967296
          const e = c.evMap[c.ev[i]]
          const host = isValid(c.hostValid, i) ? c.host[i] : NULL
          const vm = isValid(c.vmValid, i) ? c.vm[i] : NULL
          const queue = isValid(c.queueValid, i) ? c.queue[i] : NULL
          const hasPkt = isValid(c.pktValid, i)
          const p = hasPkt ? c.pkt[i] : -1
          const ring = isValid(c.ringValid, i) ? c.ringDict[c.ring[i]] : null
          let handled = true
          if (e === E.stack_tx && hasPkt && p < nFrames) {
            if (Number.isNaN(txEnd[p])) txStart[p] = t
            else {
              const k = txEndKey[p]
              const h = Math.floor(k / 1e8) - 1
              const v = Math.floor((k % 1e8) / 1e4) - 1
              const q = (k % 1e4) - 1
              complete(trackFor(c, h, v, K_TX, q), 'tx', 'tx_path', t, txEnd[p], argsPacket(c, i, p))
              txEnd[p] = NaN
            }
          } else if (e === E.desc_writeback && ring === 'tx' && hasPkt && p < nFrames) {
            if (!Number.isNaN(txStart[p])) {
              complete(trackFor(c, host, vm, K_TX, queue), 'tx', 'tx_path', txStart[p], t, argsPacket(c, i, p))
              txStart[p] = NaN
            } else {
              txEnd[p] = t
              txEndKey[p] = (host + 1) * 1e8 + (vm + 1) * 1e4 + (queue + 1)
            }
          } else if (e === E.desc_process && ring === 'rx' && hasPkt) {
            rxStart.set(p * 65536 + (isValid(c.repValid, i) ? c.rep[i] : 0), t)
          } else if (e === E.shell_rx_deliver && hasPkt) {
            const key = p * 65536 + (isValid(c.repValid, i) ? c.rep[i] : 0)
            const s = rxStart.get(key)
            if (s !== undefined) {
              rxStart.delete(key)
              complete(trackFor(c, host, vm, K_RX, queue), 'rx', 'rx_path', s, t, argsPacket(c, i, p))
            }
          } else if (e === E.irq_raise) {
            irqPending.set(((host + 1) * 4096 + (vm + 1)) * 1024 + (queue + 1), t)
          } else if (e === E.shell_irq) {
            const key = ((host + 1) * 4096 + (vm + 1)) * 1024 + (queue + 1)
            const s = irqPending.get(key)
            const tr = trackFor(c, host, vm, K_IRQ, queue)
            if (s !== undefined) {
              irqPending.delete(key)
              complete(tr, 'irq', 'irq', s, t, '{}')
            }
            const n = isValid(c.auxValid, i) ? c.aux[2 * i] : 0
            complete(tr, 'shell_irq', 'irq', t, t + c.cpu[i], `{"descriptors":${n},"cpu_ns":${c.cpu[i]}}`)
          } else if (e === E.mig_begin || e === E.mig_phase_begin || e === E.vm_pause || e === E.mode_switch_begin) {
            const kind = e === E.mig_begin ? 1 : e === E.mig_phase_begin ? 2 : e === E.vm_pause ? 3 : 4
            const detail = e === E.mig_phase_begin && isValid(c.detailValid, i) ? c.detail[i] : 0
            const key = (kind * 4096 + (vm + 1)) * 256 + detail
            spanBegin.set(key, t)
            spanHost.set(key, host)
          } else if (e === E.mig_end || e === E.mig_phase_end || e === E.vm_resume || e === E.mode_switch_end) {
            const kind = e === E.mig_end ? 1 : e === E.mig_phase_end ? 2 : e === E.vm_resume ? 3 : 4
            const detail = e === E.mig_phase_end && isValid(c.detailValid, i) ? c.detail[i] : 0
            const key = (kind * 4096 + (vm + 1)) * 256 + detail
            const s = spanBegin.get(key)
            if (s !== undefined) {
              const h = spanHost.get(key) ?? host
              spanBegin.delete(key)
              const d = isValid(c.detailValid, i) ? c.detailDict[c.detail[i]] : ''
              const mode = isValid(c.modeValid, i) ? c.modeDict[c.mode[i]] : ''
              if (kind === 1) complete(trackFor(c, h, vm, K_MIG, NULL), `migration (${d})`, 'migration', s, t, `{"strategy":${jsonStr(d)},"to_host":${jsonStr(host === NULL ? '' : c.hostDict[host])}}`)
              else if (kind === 2) complete(trackFor(c, h, vm, K_MIG_PHASE, NULL), d, 'migration', s, t, `{"phase":${jsonStr(d)}}`)
              else if (kind === 3) complete(trackFor(c, h, vm, K_CONTROL, NULL), 'paused', 'vm', s, t, '{}')
              else complete(trackFor(c, h, vm, K_CONTROL, NULL), `mode switch → ${mode}`, 'vm', s, t, `{"mode":${jsonStr(mode)}}`)
            }
          } else if (e === E.drop) {
            const reason = isValid(c.reasonValid, i) ? c.reasonDict[c.reason[i]] : 'unknown'
            const tr = vm === NULL ? trackFor(c, host, NULL, K_DROPS, NULL) : trackFor(c, host, vm, K_DROPS, NULL)
            const target = isValid(c.targetValid, i) ? `,"target":${jsonStr(c.targetDict[c.target[i]])}` : ''
            instant(tr, `drop: ${reason}`, 'drop', t, `{"reason":"${reason}","component":"${c.compDict[c.comp[i]]}"${hasPkt ? `,"packet_id":${p}` : ''}${target}}`)
          } else if (CONTROL_INSTANTS.has(e)) {
            const d = isValid(c.detailValid, i) ? `,"detail":${jsonStr(c.detailDict[c.detail[i]])}` : ''
            const r = isValid(c.reasonValid, i) ? `,"reason":${jsonStr(c.reasonDict[c.reason[i]])}` : ''
            const pl = isValid(c.pluginValid, i) ? `,"plugin":${jsonStr(c.pluginDict[c.plugin[i]])}` : ''
            instant(trackFor(c, host, vm, K_CONTROL, NULL), EVENT_NAMES[e], 'control', t, `{${(d + r + pl).slice(1)}}`)
          } else handled = false
          if (counters && (e === E.desc_post || e === E.desc_complete) && ring !== null && vm !== NULL && isValid(c.auxValid, i)) {
            counter(processFor(host, c.hostDict), `${c.vmDict[vm]} ${ring} q${queue} ring`, t, c.aux[2 * i])
          }
          if (!handled && opts.allEvents && e >= 0) {
            const comp = c.comp[i]
            const args = hasPkt ? `{"packet_id":${p}${ring ? `,"ring":"${ring}"` : ''}}` : '{}'
            instant(trackFor(c, host, vm, K_COMPONENT + comp, queue), EVENT_NAMES[e], 'event', t, args)
          }
        }
      }
    }
    write(`\n],\n"displayTimeUnit":"ns",\n"otherData":${JSON.stringify({
      exporter: 'npa-trace export --perfetto', run_id: run.id, run_tool: (run.json.tool as {version?: string} | undefined)?.version ?? null, run_dir: dir, capture: (run.json.capture as {path?: string} | undefined)?.path ?? null,
      from_ns: opts.fromNs ?? null, to_ns: opts.toNs ?? null, limit: opts.limit ?? null, truncated: res.truncated,
    })}}\n`)
    flush()
    fs.closeSync(fd)
    fs.renameSync(`${opts.out}.partial`, opts.out)
  } catch (err) {
    try {
      fs.closeSync(fd)
    } catch {
      // already closed
    }
    fs.rmSync(`${opts.out}.partial`, {force: true})
    throw err
  }
  res.bytes = bytes
  return res
}
