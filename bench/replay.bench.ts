/**
 * Replay benchmark: `npm run bench:replay` (node --import tsx bench/replay.bench.ts).
 *
 * Generates once into bench/out/ (gitignored) a capture with `capture synth` defaults that match the
 * issue: mixed sizes (imix), VLANs on half the VMs, 8 VMs, half the frames VM-to-VM, 200k pps; derives
 * its scenario once (timed separately), then replays it with full tracing in a fresh child process per
 * run and prints frames/s, events/s, events per frame, the child's peak RSS and its CPU seconds: the
 * replay (model) thread's and V8's compiler/GC threads' from /proc, the I/O thread's as the rest of the
 * process total (it has exited by then), and all. `--no-events` replays the model alone (frames and
 * config are still written).
 *
 * The child runs the compiled JavaScript (dist/, built first with tsc) under plain node, as
 * `npx npa-trace replay` does (see CHILD_JS).
 *
 * Options: --frames N (default 1000000; 5000000 to check that RSS stays flat), --runs N (default 1; more
 * runs also print their median and range),
 * --no-events, --regen.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {synthesize} from '../src/capture/synth.js'
import {deriveScenario} from '../src/scenario/derive.js'
import {scenarioToYaml} from '../src/scenario/format.js'

const outDir = fileURLToPath(new URL('out/', import.meta.url))
const argv = process.argv.slice(2)
const num = (name: string, d: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : d)

/**
 * The measured child, plain JavaScript run by plain `node` (no tsx: its loader slows the main thread by
 * ~10 % here, and `npx npa-trace replay` does not load it). It times replay() of the compiled dist/ and
 * reads its threads' CPU seconds from /proc (utime + stime of each task, in 1/100 s; see threadCpu).
 */
const CHILD_JS = `
import {readdirSync, readFileSync} from 'node:fs'
// CPU seconds of this process's live threads from /proc (utime + stime, 1/100 s): the main thread's
// (the replay's model) and V8's platform threads' (named "node": TurboFan compiles and GC helpers).
const threadCpu = () => {
  const out = {main: NaN, v8: 0}
  let tids = []
  try {
    tids = readdirSync('/proc/self/task')
  } catch {
    return out // not Linux
  }
  for (const tid of tids) {
    let s
    try {
      s = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8')
    } catch {
      continue // the thread has just exited
    }
    const f = s.slice(s.lastIndexOf(') ') + 2).split(' ')
    const cpu = (Number(f[11]) + Number(f[12])) / 100
    if (tid === String(process.pid)) out.main = cpu
    else if (s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')) === 'node') out.v8 += cpu
  }
  return out
}
const [dist, capture, scenarioPath, out, noEvents] = process.argv.slice(1)
const {replay} = await import(dist)
const c0 = process.cpuUsage()
const th0 = threadCpu()
const t0 = performance.now()
const s = await replay({capture, scenarioPath, out, noEvents: noEvents === '1'})
const wall = (performance.now() - t0) / 1000
const c = process.cpuUsage(c0)
const th = threadCpu()
process.stdout.write(JSON.stringify({frames: s.frames, events: s.events, wall, rssMB: process.resourceUsage().maxRSS / 1024,
  mainCpu: th.main - th0.main, v8Cpu: th.v8 - th0.v8, cpu: (c.user + c.system) / 1e6}))
process.exit(0)
`

try {
  execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.json'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit',
  })
} catch {
  console.log('tsc reported errors (above); benchmarking the JavaScript it emitted')
}

const frames = num('--frames', 1_000_000)
const runs = num('--runs', 1)
const noEvents = argv.includes('--no-events')
mkdirSync(outDir, {recursive: true})
const cap = `${outDir}replay-${frames}.pcap`
if (!existsSync(cap) || argv.includes('--regen')) {
  const t = performance.now()
  synthesize({frames, seed: 1, vms: 8, vmToVmShare: 0.5, vlanShare: 0.5, pps: 200_000}, cap)
  console.log(`generated ${cap} in ${((performance.now() - t) / 1000).toFixed(2)} s`)
}
const t = performance.now()
const scen = deriveScenario(cap)
const deriveS = (performance.now() - t) / 1000
const scenPath = `${outDir}replay-${frames}.yaml`
writeFileSync(scenPath, scenarioToYaml(scen))
console.log(`derive scenario: ${deriveS.toFixed(2)} s (${((frames / deriveS) / 1e6).toFixed(2)} M frames/s), ${scen.vms.length} VMs`)

const rates: number[] = []
for (let r = 0; r < runs; r++) {
  const out = `${outDir}run-bench-${process.pid}-${r}`
  const res = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', CHILD_JS, new URL('../dist/src/replay/replay.js', import.meta.url).href, cap, scenPath, out, noEvents ? '1' : '0'], {
      encoding: 'utf8', maxBuffer: 1 << 20,
    }),
  ) as {frames: number; events: number; wall: number; rssMB: number; mainCpu: number; v8Cpu: number; cpu: number}
  rmSync(out, {recursive: true, force: true})
  rates.push(res.frames / res.wall)
  console.log(
    `replay ${res.frames} frames${noEvents ? ' (no events written)' : ''}: ${res.wall.toFixed(2)} s, ` +
      `${Math.round(res.frames / res.wall / 1000)}k frames/s, ${(res.events / res.wall / 1e6).toFixed(2)}M events/s, ` +
      `${(res.events / res.frames).toFixed(1)} events/frame, peak RSS ${Math.round(res.rssMB)} MB; ` +
      `CPU ${res.mainCpu.toFixed(2)} s replay thread, ${(res.cpu - res.mainCpu - res.v8Cpu).toFixed(2)} s I/O thread and rest, ` +
      `${res.v8Cpu.toFixed(2)} s V8 compiler/GC threads, ${res.cpu.toFixed(2)} s all; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
  )
}
if (runs > 1) {
  // This machine's speed drifts by up to 30 % over minutes: the median and the range say more than one run.
  const k = rates.sort((a, b) => a - b).map((x) => Math.round(x / 1000))
  console.log(`${runs} runs: median ${k[(runs - 1) >> 1]}k frames/s (${k[0]}k–${k[runs - 1]}k)`)
}
