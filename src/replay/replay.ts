/**
 * `npa-trace replay`: stream a capture through the model and write a run directory.
 *
 * Two threads for two cores: this one runs the model and fills event rows in shared memory
 * (src/trace/event-slots.ts); an I/O thread (src/replay/frame-source.ts) reads, hashes and decodes the
 * capture for it, and writes frames.arrow and the events files. The world holds exactly one pending
 * capture frame (World.scheduleArrival), so memory does not grow with the capture. The run is written
 * under a temporary name and renamed when complete.
 */
import {setFlagsFromString} from 'node:v8'
import {openCapture} from '../capture/reader.js'
import {LINKTYPE_ETHERNET, macToString} from '../capture/ethernet.js'
import {UserError} from '../errors.js'
import {pluginId} from '../plugins/api.js'
import {BUILTIN_PLUGINS, PluginCatalog, loadPluginFile} from '../plugins/loader.js'
import {deriveScenario} from '../scenario/derive.js'
import {loadScenario} from '../scenario/load.js'
import type {MigrationStrategy, Pacing, Scenario} from '../scenario/types.js'
import {World, senderMacs, type Vm} from '../model/world.js'
import {resolveParams} from '../model/params.js'
import {CONFIG_COLUMNS, EVENT_COLUMNS, EVENT_NAMES, MODES, REASON, REASONS, SCHEMA_VERSION} from '../trace/schema.js'
import {TableWriter} from '../trace/writer.js'
import {createRunDir, createRunDirAt, newRunId, DEFAULT_RUNS_ROOT} from '../trace/rundir.js'
import {NIC_MODELS} from '../model/nics.js'
import {FrameSource} from './frame-source.js'

export const TOOL_VERSION = '0.1.0'

export interface ReplayOptions {
  capture: string
  scenarioPath?: string
  /** `vm=name@version` overrides. */
  plugins?: string[]
  pluginPaths?: string[]
  /** Exact run directory to create (default traces/runs/<run-id>). */
  out?: string
  runsRoot?: string
  seed?: number
  pacing?: Pacing
  /** Rows per Arrow record batch. */
  batchRows?: number
  /** Called every few thousand frames. */
  progress?: (p: ReplayProgress) => void
  /** Checked between chunks; when it returns true the replay stops and nothing is kept. */
  interrupted?: () => boolean
  /** Do not write events (model-only benchmark). Frames and config are still written. */
  noEvents?: boolean
  /** Migration strategy for every `migrate` operation of the scenario (overrides the scenario's). */
  strategy?: MigrationStrategy
}

export interface ReplayProgress {
  frames: number
  bytesRead: number
  fileSize: number
  events: number
  simNs: number
}

export interface LatencySummary {
  deliveries: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

export interface ReplaySummary {
  runId: string
  runDir: string
  frames: number
  events: number
  delivered: number
  drops: Record<string, number>
  eventsByName: Record<string, number>
  latency: Record<string, LatencySummary>
  cpuNs: {guest: number; hypervisor: number; nic: number}
  simNs: number
  wallMs: number
  warnings: string[]
  plugins: {vm: string; plugin: string | null; mode: string}[]
}

export class ReplayInterrupted extends UserError {
  constructor(frames: number) {
    super(`interrupted after ${frames} frames; nothing kept (the partial run was removed)`, {exitCode: 130})
  }
}

/** Resolve the scenario: file or derived, then CLI overrides. */
export async function resolveReplayInputs(opts: ReplayOptions): Promise<{scenario: Scenario; catalog: PluginCatalog}> {
  const catalog = new PluginCatalog(BUILTIN_PLUGINS)
  for (const p of opts.pluginPaths ?? []) catalog.add(await loadPluginFile(p))
  const scenario = opts.scenarioPath ? loadScenario(opts.scenarioPath) : deriveScenario(opts.capture)
  if (opts.seed !== undefined) scenario.seed = opts.seed
  if (opts.pacing) scenario.pacing = opts.pacing
  if (opts.strategy) for (const op of scenario.operations) if (op.op === 'migrate') op.strategy = opts.strategy
  for (const o of opts.plugins ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(o)
    if (!m) throw new UserError(`--plugin ${o}: expected vm=name@version`, {hint: 'e.g. --plugin vm1=ixgbevf@1.0.0, or --plugin all=ixgbevf@1.0.0'})
    const [, vmName, ref] = m
    const targets = vmName === 'all' || vmName === '*' ? scenario.vms : scenario.vms.filter((v) => v.name === vmName)
    if (targets.length === 0)
      throw new UserError(`--plugin ${o}: no VM named ${vmName}`, {hint: `VMs: ${scenario.vms.map((v) => v.name).join(', ')}`})
    catalog.require(ref, `--plugin ${o}`)
    for (const v of targets) v.plugin = ref
  }
  for (const v of scenario.vms) {
    if (v.plugin) catalog.require(v.plugin, `scenario ${scenario.source}: vm ${v.name}`)
  }
  for (const h of scenario.hosts) {
    const def = NIC_MODELS[h.nic]?.defaultPlugin
    if (def) catalog.require(def, `host ${h.name}`)
  }
  return {scenario, catalog}
}

/**
 * V8's TurboFan inlines up to 920 bytes of bytecode into one optimised function by default; the model's
 * handlers inline the tracer (then 20 column stores per event, now 11) many times over, and their compiles
 * cost ~0.5 s of CPU on the compiler threads, competing for the two cores. A budget of 500 bytes cut that
 * CPU by ~0.15 s on a 1M-frame replay with no loss on the model's thread (10 interleaved runs each, see
 * the closing note of issue 3; 920 against 500 again with the 11-store tracer: within this machine's
 * noise). Process-wide, set once before the model's code is optimised.
 */
let v8Tuned = false
function tuneV8(): void {
  if (v8Tuned) return
  v8Tuned = true
  setFlagsFromString('--max-inlined-bytecode-size-cumulative=500')
}

export async function replay(opts: ReplayOptions): Promise<ReplaySummary> {
  const wallStart = performance.now()
  tuneV8()
  const {scenario, catalog} = await resolveReplayInputs(opts)
  // Read the first frame here, before creating anything: a missing, empty-headed or non-Ethernet capture
  // fails early. The capture is then read on the frame source's thread (src/replay/frame-source.ts).
  const reader = openCapture(opts.capture, {bufferSize: 1 << 16})
  try {
    const frame = reader.next()
    // Frames of non-Ethernet interfaces in a mixed pcapng are dropped (not_ethernet); a capture with no
    // Ethernet interface at all cannot be replayed.
    if (frame && !reader.interfaces.some((i) => i.linktype === LINKTYPE_ETHERNET))
      throw new UserError(`${opts.capture}: not an Ethernet capture (linktype ${frame.linktype}): replay models Ethernet only`, {
        hint: 'inspect still works on it',
      })
  } finally {
    reader.close()
  }
  return replayWith(opts, scenario, catalog, wallStart)
}

async function replayWith(opts: ReplayOptions, scenario: Scenario, catalog: PluginCatalog, wallStart: number): Promise<ReplaySummary> {
  const warnings: string[] = []
  const run = opts.out ? createRunDirAt(opts.out) : createRunDir(opts.runsRoot ?? DEFAULT_RUNS_ROOT, newRunId())
  const runId = run.id
  const writers: TableWriter[] = []
  let opened: FrameSource | null = null // for the cleanup below
  try {
    const vmNames = scenario.vms.map((v) => v.name)
    const hostNames = scenario.hosts.map((h) => h.name)
    // Every plugin the run may use is known up front (fixed dictionary, deterministic codes).
    const pluginNames = catalog.ids()
    const dicts = {host: hostNames, vm: vmNames, plugin: pluginNames, target: [...vmNames, 'pf', 'uplink', 'external']}
    // No run id or time in the Arrow metadata: the same inputs must give byte-identical files.
    const meta = {'npa_trace.tool_version': TOOL_VERSION}
    // The capture is read, hashed and decoded, and frames.arrow and the events files written, on the
    // I/O thread. With noEvents an empty events file is still written so the run is a complete run.
    const params = resolveParams(scenario.params)
    const senders = senderMacs(scenario).entries()
    const evOpts = {table: 'events', dictionaries: dicts, metadata: meta, batchRows: opts.batchRows, rolling: true}
    const source = new FrameSource({
      capture: opts.capture, framesPath: run.path('frames.arrow'), dictionaries: dicts, metadata: meta, pacing: scenario.pacing,
      topGbps: scenario.hosts[0]?.linkGbps ?? params.link_gbps, fcsBytes: params.fcs_bytes, ethOverheadBytes: params.eth_overhead_bytes,
      vmMacs: senders.macs, vmIndex: senders.values,
      events: opts.noEvents ? undefined : {target: run.path('events'), columns: EVENT_COLUMNS, options: evOpts},
    })
    opened = source
    const events = source.events
    const emptyEvents = opts.noEvents ? new TableWriter(run.path('events'), EVENT_COLUMNS, evOpts) : null
    const config = new TableWriter(run.path('config.arrow'), CONFIG_COLUMNS, {table: 'config', dictionaries: dicts, metadata: meta, batchRows: 1024}) // a few rows per VM
    writers.push(config)
    if (emptyEvents) writers.push(emptyEvents)

    // config.arrow: one row per VM configuration interval; rows are closed when the next one opens.
    const openRow: ({from: number; row: Record<string, number | string | boolean | null>} | null)[] = scenario.vms.map(() => null)
    const closed: Record<string, number | string | boolean | null>[] = []
    const onConfig = (vm: Vm, t: number) => {
      const prev = openRow[vm.idx]
      if (prev) {
        if (prev.from === t) closed.pop() // superseded at the same instant
        else {
          prev.row.valid_to_ns = t
        }
      }
      const row = {
        vm: vm.idx,
        host: vm.host,
        mac: vm.mac,
        vlan: vm.pvid >= 0 ? vm.pvid : null,
        vlans: [...vm.vlans].sort((a, b) => a - b).join(','),
        multicast: vm.multicast === 'all' ? '*' : [...vm.multicast].sort((a, b) => a - b).map(macToString).join(','),
        promiscuous: vm.promiscuous,
        mode: vm.mode,
        plugin: vm.dp.pluginCode,
        port: vm.mode === 0 && vm.vf >= 0 ? `vf${vm.vf}` : 'pf',
        valid_from_ns: t,
        valid_to_ns: null,
      }
      closed.push(row)
      openRow[vm.idx] = {from: t, row}
    }

    // The world's plugin codes must be the dictionary's: pre-register in dictionary order.
    const world: World = new World({scenario, catalog, sink: events, onConfig, pluginDictionary: pluginNames})
    world.boot()

    // --- frame arrivals ----------------------------------------------------------------------
    // One frame is pending at a time: taken from the frame source (its row in the current slot) and
    // scheduled; at its arrival it is injected and the next one taken.
    let cols = source.cols
    let ok = source.ok
    let fPacket = cols.packet_id
    let fT = cols.t_ns
    let fLen = cols.len
    let fSrc = cols.src_mac
    let fDst = cols.dst_mac
    let fKind = cols.dst_kind
    let fVlan = cols.vlan
    let fSrcVm = cols.src_vm
    let fHost = cols.host
    let pend = -1

    const takeFrame = (): boolean => {
      const r = source.next()
      if (r < 0) return false
      if (r === 0) {
        // A new slot: its arrays.
        cols = source.cols
        ok = source.ok
        fPacket = cols.packet_id
        fT = cols.t_ns
        fLen = cols.len
        fSrc = cols.src_mac
        fDst = cols.dst_mac
        fKind = cols.dst_kind
        fVlan = cols.vlan
        fSrcVm = cols.src_vm
        fHost = cols.host
      }
      pend = r
      world.scheduleArrival(fT[r])
      return true
    }

    const onArrival = (t: number) => {
      const r = pend
      const vm = fSrcVm[r]
      // The frame's row is still in the source's current slot: the next next() comes after this injection.
      if (vm >= 0) fHost[r] = world.vms[vm].host
      if (ok[r] === 1) world.inject(t, fPacket[r], fLen[r], fDst[r], fSrc[r], fKind[r], fVlan[r], vm)
      else world.notEthernet(t, fPacket[r], fLen[r])
      takeFrame()
    }

    takeFrame()
    const CHUNK_NS = 1e6 // run the kernel in 1 ms slices of simulated time between progress checks
    let nextProgress = 0
    while (world.nextTime() < Infinity) {
      world.run(world.nextTime() + CHUNK_NS, onArrival)
      if (source.count >= nextProgress) {
        nextProgress = source.count + 65536
        opts.progress?.({frames: source.count, bytesRead: source.bytesRead, fileSize: source.fileSize, events: world.tr.rows, simNs: world.now})
        if (opts.interrupted?.()) throw new ReplayInterrupted(source.count)
        await new Promise<void>((r) => setImmediate(r))
      }
    }
    if (opts.interrupted?.()) throw new ReplayInterrupted(source.count)
    const count = source.count
    const cap = await source.close()
    if (cap.eventTally) world.tr.adopt(cap.eventTally)

    if (cap.outOfOrder > 0) warnings.push(`${cap.outOfOrder} frames had timestamps earlier than the previous frame; replayed at the previous time`)
    if (cap.noTimestamp > 0) warnings.push(`${cap.noTimestamp} frames had no timestamp (pcapng Simple Packet Blocks); paced as the previous frame`)
    if (cap.notEthernet > 0) warnings.push(`${cap.notEthernet} frames were not Ethernet or too short for an Ethernet header; dropped (reason not_ethernet)`)
    for (const w of cap.warnings) warnings.push(`capture byte ${w.offset}: ${w.message}`)

    for (const row of closed) config.append(row)
    const evRes = cap.events ?? emptyEvents!.close()
    config.close()

    const summary = buildSummary(world, runId, run.finalPath, count, warnings, performance.now() - wallStart)
    const runJson = {
      run_id: runId,
      tool: {name: 'npa-trace', version: TOOL_VERSION},
      schema_version: SCHEMA_VERSION,
      capture: {path: opts.capture, sha256: cap.sha256, format: cap.format, frames: count},
      scenario: scenarioForJson(scenario),
      plugins: pluginNames.map((id) => {
        const m = catalog.get(id)!.manifest
        return {id, name: m.name, version: m.version, vendor: m.vendor, licence: m.licence, nics: m.nics, shell_api: m.shellApi}
      }),
      seed: scenario.seed,
      counts: {frames: count, events: world.tr.rows, event_rows_written: evRes.rows, delivered: world.delivered, events_by_name: summary.eventsByName,
        drops_by_reason: summary.drops},
      latency_ns: summary.latency,
      cpu_ns: summary.cpuNs,
      sim_ns: summary.simNs,
      wall_time_ms: Math.round(summary.wallMs),
      warnings,
    }
    run.commit(runJson)
    return summary
  } catch (err) {
    for (const w of writers) w.destroy()
    await opened?.destroy()
    run.abort()
    throw err
  }
}

function buildSummary(world: World, runId: string, runDir: string, frames: number, warnings: string[], wallMs: number): ReplaySummary {
  const tr = world.tr
  const eventsByName: Record<string, number> = {}
  EVENT_NAMES.forEach((n, i) => {
    if (tr.eventCounts[i] > 0) eventsByName[n] = tr.eventCounts[i]
  })
  const drops: Record<string, number> = {}
  REASONS.forEach((n, i) => {
    if (tr.dropCounts[i] > 0) drops[n] = tr.dropCounts[i]
  })
  const latency: Record<string, LatencySummary> = {}
  const lat = (name: string, h: World['extLatency']) => {
    if (h.total === 0) return
    latency[name] = {deliveries: h.total, p50: h.quantile(0.5), p90: h.quantile(0.9), p99: h.quantile(0.99), max: h.max, mean: Math.round(h.sum / h.total)}
  }
  MODES.forEach((m, i) => lat(m, world.latency[i]))
  lat('external', world.extLatency)
  void REASON
  return {
    runId,
    runDir,
    frames,
    events: tr.rows,
    delivered: world.delivered,
    drops,
    eventsByName,
    latency,
    cpuNs: {guest: tr.cpuBySide[0], hypervisor: tr.cpuBySide[1], nic: tr.cpuBySide[2]},
    simNs: world.now,
    wallMs,
    warnings,
    plugins: world.vms.map((v) => ({vm: v.name, plugin: world.pluginNames[v.dp.pluginCode] ?? null, mode: MODES[v.mode]})),
  }
}

/** The resolved scenario with MACs as text, for run.json. */
export function scenarioForJson(s: Scenario): unknown {
  return {
    ...s,
    vms: s.vms.map((v) => ({...v, mac: macToString(v.mac), multicast: v.multicast === 'all' ? 'all' : v.multicast.map(macToString)})),
    operations: s.operations.map((o) => (o.op === 'mac' ? {...o, mac: macToString(o.mac)} : o.op === 'multicast' && o.groups !== 'all' ? {...o, groups: o.groups.map(macToString)} : o)),
  }
}

export {pluginId}
