/**
 * Analysis benchmark (issue 4): open a ≥ 1M-frame run and run `analyze all`, reporting events/s loaded
 * and seconds per section. Targets: ≥ 5M events/s loaded; analyze all < 10 s. "Loaded" = made
 * queryable: events/s is the run's events over the wall time of AnalysisSession.open (the loader's pass
 * over the events plus the views; see src/analysis/session.ts for why the events are not copied).
 *
 *   node --import tsx bench/analysis.bench.ts [--frames 1000000] [--cache] [--threads N]
 *
 * Makes what is missing (bench/out is gitignored; the replay takes a while on a loaded machine):
 *   bench/out/1m.pcap     = npa-trace capture synth bench/out/1m.pcap --frames 1000000 --vm-to-vm 0.5 --pps 200000
 *   bench/out/run-1m      = npa-trace replay bench/out/1m.pcap --out bench/out/run-1m
 * A run written by an older trace schema is replayed again. Timings are wall clock of this process;
 * on a shared 2-core machine DuckDB's figures vary 2-3x with the other load (reference/arrow-duckdb.md).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {analyze, SECTIONS} from '../src/analysis/analyze.js'
import {AnalysisSession} from '../src/analysis/session.js'

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const frames = Number(flag('--frames') ?? 1_000_000)
const threads = flag('--threads') === undefined ? undefined : Number(flag('--threads'))
const useCache = args.includes('--cache')
const root = new URL('./out/', import.meta.url).pathname
const tag = frames === 1_000_000 ? '1m' : `${frames}`
const capture = path.join(root, `${tag}.pcap`)
const runDir = path.join(root, `run-${tag}`)

async function ensureRun(): Promise<void> {
  fs.mkdirSync(root, {recursive: true})
  if (!fs.existsSync(capture)) {
    const {synthesize} = await import('../src/capture/synth.js')
    const t = performance.now()
    synthesize({frames, vmToVmShare: 0.5, pps: 200_000}, capture)
    console.log(`made ${capture} in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }
  let fresh = fs.existsSync(path.join(runDir, 'run.json'))
  if (fresh) {
    try {
      const {SCHEMA_VERSION} = await import('../src/trace/schema.js')
      fresh = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).schema_version === SCHEMA_VERSION
    } catch {
      fresh = false
    }
  }
  if (!fresh) {
    fs.rmSync(runDir, {recursive: true, force: true})
    const {replay} = await import('../src/replay/replay.js')
    const t = performance.now()
    const s = await replay({capture, out: runDir})
    console.log(`replayed ${s.frames} frames (${s.events} events) into ${runDir} in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }
}

function secs(t0: number): number {
  return (performance.now() - t0) / 1000
}

await ensureRun()
console.log(`machine: ${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`)
if (useCache) fs.rmSync(path.join(runDir, '.cache.duckdb'), {force: true})

const cpu = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6
const c0 = process.cpuUsage()
const t0 = performance.now()
const session = await AnalysisSession.open([runDir], {threads, cache: useCache})
const tOpen = secs(t0)
const cOpen = cpu(process.cpuUsage(c0))
const events = session.load?.rows.events ?? 0
const loadS = session.load?.seconds ?? tOpen
const rows: [string, string][] = []
rows.push(['open (load + views)', `${tOpen.toFixed(2)} s wall, ${cOpen.toFixed(2)} s CPU: ${events} events → ${(events / tOpen / 1e6).toFixed(2)}M events/s (target ≥ 5M)`])
if (session.load) rows.push(['  of which the loader', `${loadS.toFixed(2)} s (read + one pass over the events and frames)`])

const c1 = process.cpuUsage()
const t1 = performance.now()
const result = await analyze(session, SECTIONS)
const tAnalyze = secs(t1)
const cAnalyze = cpu(process.cpuUsage(c1))
for (const [k, v] of Object.entries(result.timings)) rows.push([`  ${k === 'packet_path' ? 'packet_path (materialized)' : k}`, `${v.toFixed(2)} s`])
rows.push(['analyze all', `${tAnalyze.toFixed(2)} s wall (target < 10 s), ${cAnalyze.toFixed(2)} s CPU on ${os.cpus().length} cores`])
rows.push(['open + analyze all', `${(tOpen + tAnalyze).toFixed(2)} s`])
session.close()

if (useCache) {
  const t2 = performance.now()
  const again = await AnalysisSession.open([runDir], {threads, cache: true})
  const tReopen = secs(t2)
  const t3 = performance.now()
  await analyze(again, SECTIONS)
  rows.push([`reopen from .cache.duckdb (${again.cacheUsed})`, `${tReopen.toFixed(2)} s; analyze all then ${secs(t3).toFixed(2)} s`])
  again.close()
}

const w = Math.max(...rows.map((r) => r[0].length))
console.log(`\nanalysis benchmark: ${runDir} (${frames} frames, ${events} events)`)
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`)
console.log(`machine load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (figures above this 2-core box's ~1 are slowed by other work)`)
console.log(JSON.stringify({bench: 'analysis', frames, events, open_s: tOpen, open_cpu_s: cOpen, load_s: loadS, events_per_s: events / tOpen, analyze_s: tAnalyze,
  analyze_cpu_s: cAnalyze, sections_s: result.timings}))
