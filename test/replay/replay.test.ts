import {spawn} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {synthesize} from '../../src/capture/synth.js'
import {UserError} from '../../src/errors.js'
import {replay} from '../../src/replay/replay.js'
import {isCompleteRun} from '../../src/trace/rundir.js'
import {readArrow, readEvents, tmpDir, writePcap} from '../helpers/run.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const mac = (i: number) => 0x020000000000 + i
const ext = (i: number) => 0x02ee00000000 + i

const GOLDEN_SCENARIO = `
version: 1
hosts: [{name: host-a, nic: intel-82599, vfs: 8}]
vms:
  - {name: vm1, mac: "02:00:00:00:00:01", plugin: ixgbevf@1.0.0}
  - {name: vm2, mac: "02:00:00:00:00:02", plugin: ixgbevf@1.0.0}
`

const e2e = suite('replay: end to end')

e2e('golden: a generated 4-frame capture gives the hand-derived event counts per event and per VM', async () => {
  const dir = tmpDir()
  const cap = writePcap(join(dir, 'g.pcap'), [
    {t: 1_000, src: mac(1), dst: mac(2)},
    {t: 100_000, src: ext(1), dst: mac(1)},
    {t: 200_000, src: mac(2), dst: 0xffffffffffff},
    {t: 300_000, src: mac(1), dst: ext(5)},
  ])
  writeFileSync(join(dir, 's.yaml'), GOLDEN_SCENARIO)
  const s = await replay({capture: cap, scenarioPath: join(dir, 's.yaml'), out: join(dir, 'run')})
  assert.ok(isCompleteRun(join(dir, 'run')))
  const evs = readEvents(join(dir, 'run'))
  const count = (pred: (e: Record<string, unknown>) => boolean) => {
    const c: Record<string, number> = {}
    for (const e of evs) if (pred(e)) c[e.event as string] = (c[e.event as string] ?? 0) + 1
    return c
  }
  // Same derivation as test/model/model.test.ts "golden", now through capture → Arrow.
  assert.equal(count((e) => e.packet_id !== null), {
    frame_in: 4, stack_tx: 3, desc_post: 3, desc_fetch: 3, desc_process: 6, desc_writeback: 6, desc_complete: 6, eswitch_lookup: 4,
    eswitch_forward: 6, wire_rx: 1, wire_tx: 2, phys_forward: 3, ext_deliver: 2, drop: 1, shell_rx_deliver: 3,
  })
  const delivered = count((e) => e.event === 'shell_rx_deliver')
  assert.is(delivered.shell_rx_deliver, 3)
  const byVm = (vm: string) => evs.filter((e) => e.vm === vm && e.packet_id !== null).length
  // vm1: TX of A (7 events: stack_tx, desc_post, fetch, process, writeback, complete + eswitch_lookup) and D (7 + ...)
  assert.is(evs.filter((e) => e.event === 'shell_rx_deliver' && e.vm === 'vm1').length, 2)
  assert.is(evs.filter((e) => e.event === 'shell_rx_deliver' && e.vm === 'vm2').length, 1)
  assert.ok(byVm('vm1') > byVm('vm2'))
  assert.equal(s.drops, {no_destination: 1})
  // frames.arrow: one row per input frame; config.arrow: one interval per VM (boot emulated→passthrough at t=0 collapses)
  const frames = readArrow(join(dir, 'run', 'frames.arrow'))
  assert.equal(frames.map((f) => [f.packet_id, f.t_ns, f.src_vm, f.dst_kind]), [
    [0, 0, 'vm1', 'unicast'], [1, 99_000, null, 'unicast'], [2, 199_000, 'vm2', 'broadcast'], [3, 299_000, 'vm1', 'unicast'],
  ])
  const config = readArrow(join(dir, 'run', 'config.arrow'))
  assert.equal(config.map((c) => [c.vm, c.mode, c.port, c.plugin, c.valid_from_ns, c.valid_to_ns]), [
    ['vm1', 'passthrough', 'vf0', 'ixgbevf@1.0.0', 0, null], ['vm2', 'passthrough', 'vf1', 'ixgbevf@1.0.0', 0, null],
  ])
  const run = JSON.parse(readFileSync(join(dir, 'run', 'run.json'), 'utf8'))
  assert.is(run.capture.frames, 4)
  assert.match(run.capture.sha256, /^[0-9a-f]{64}$/)
  assert.is(run.counts.events, evs.length)
})

e2e('determinism: the same capture, scenario and seed give byte-identical Arrow files', async () => {
  const dir = tmpDir()
  const a = join(dir, 'a', 'run')
  const b = join(dir, 'b', 'run')
  const cap = join(root, 'traces/samples/small.pcap')
  const scen = join(root, 'traces/samples/mode-switch.yaml')
  await replay({capture: cap, scenarioPath: scen, out: a, seed: 7})
  await replay({capture: cap, scenarioPath: scen, out: b, seed: 7})
  const files = readdirSync(a).filter((f) => f.endsWith('.arrow')).sort()
  assert.ok(files.includes('events-0000.arrow') && files.includes('frames.arrow') && files.includes('config.arrow'))
  for (const f of files) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`)
})

e2e('the SIMD kernels and the JavaScript path (NPA_TRACE_SIMD=0) write the same bytes, over many ragged batches', async () => {
  const dir = tmpDir()
  const cap = join(root, 'traces/samples/small.pcap')
  const scen = join(root, 'traces/samples/vlans.yaml')
  const simd = join(dir, 'simd', 'run')
  const js = join(dir, 'js', 'run')
  await replay({capture: cap, scenarioPath: scen, out: simd, batchRows: 200})
  process.env.NPA_TRACE_SIMD = '0'
  try {
    await replay({capture: cap, scenarioPath: scen, out: js, batchRows: 200})
  } finally {
    delete process.env.NPA_TRACE_SIMD
  }
  const files = readdirSync(simd).filter((f) => f.endsWith('.arrow')).sort()
  assert.ok(files.filter((f) => f.startsWith('events-')).length >= 1)
  assert.ok(readEvents(simd).length > 2000, 'more than ten batches of 200 rows')
  for (const f of files) assert.ok(readFileSync(join(simd, f)).equals(readFileSync(join(js, f))), `${f} differs`)
})

e2e('a non-Ethernet capture is a clear error and leaves no run', async () => {
  const shared = join(root, '../shared/captures/nonether/tcpdump__LINKTYPE_RAW_ipv4.pcap')
  if (!existsSync(shared)) {
    console.log('  (skipped: ../shared/captures is absent)')
    return
  }
  const dir = tmpDir()
  try {
    await replay({capture: shared, out: join(dir, 'run'), scenarioPath: join(root, 'traces/samples/basic.yaml')})
    assert.unreachable('should fail')
  } catch (err) {
    assert.instance(err, UserError)
    assert.match((err as Error).message, /not an Ethernet capture \(linktype 101\)/)
  }
  assert.equal(readdirSync(dir), [])
})

e2e('every Ethernet capture of the shared corpus replays with a derived scenario', async () => {
  const base = join(root, '../shared/captures')
  if (!existsSync(base)) {
    console.log('  (skipped: ../shared/captures is absent)')
    return
  }
  const oracle = JSON.parse(readFileSync(join(base, 'oracle.json'), 'utf8')) as Record<string, {linktype?: number | number[]; frames?: number}>
  const dir = tmpDir()
  let n = 0
  for (const sub of ['pcap', 'pcapng']) {
    for (const f of readdirSync(join(base, sub)).sort()) {
      const o = oracle[`${sub}/${f}`]
      const lts = Array.isArray(o?.linktype) ? o.linktype : [o?.linktype]
      const path = join(base, sub, f)
      const out = join(dir, `${sub}-${f}`)
      if (!lts.includes(1)) continue // no Ethernet interface: covered by the non-Ethernet test
      try {
        const s = await replay({capture: path, out})
        assert.is(s.frames, readArrow(join(out, 'frames.arrow')).length, f)
        n++
      } catch (err) {
        // A capture libpcap rejects (no interface block, ...) is an input error, never a crash.
        assert.instance(err, UserError, `${f}: ${(err as Error).stack}`)
      }
    }
  }
  assert.ok(n >= 70, `${n} captures replayed`)
})

e2e('--repeat: a group of complete runs with consecutive seeds; the seed changes timing, not counts', async () => {
  const {replayRepeated, repeatGroupRuns} = await import('../../src/replay/repeat.js')
  const dir = tmpDir()
  const g = await replayRepeated({capture: join(root, 'traces/samples/small.pcap'), out: join(dir, 'grp'), seed: 5}, 2)
  assert.equal(g.seeds, [5, 6])
  const runs = repeatGroupRuns(join(dir, 'grp'))!
  assert.is(runs.length, 2)
  for (const r of runs) assert.ok(isCompleteRun(r))
  assert.is(g.runs[0].frames, g.runs[1].frames)
  assert.equal(g.runs[0].eventsByName.shell_rx_deliver, g.runs[1].eventsByName.shell_rx_deliver)
  const a = readFileSync(join(runs[0], 'events-0000.arrow'))
  const b = readFileSync(join(runs[1], 'events-0000.arrow'))
  assert.not.ok(a.equals(b), 'different seeds give different timings')
})

const signals = suite('replay: interruption')

function startReplay(cap: string, out: string): ReturnType<typeof spawn> {
  return spawn(process.execPath, [join(root, 'bin/dev.js'), 'replay', cap, '--out', out, '-s', join(root, 'traces/samples/basic.yaml')], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, CI: '1'},
  })
}

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (pred()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

let bigCapture = ''
function big(): string {
  if (!bigCapture) {
    bigCapture = join(tmpDir(), 'big.pcap')
    synthesize({frames: 300_000, seed: 3, pps: 1_000_000}, bigCapture)
  }
  return bigCapture
}

signals('SIGKILL mid-replay leaves nothing that looks like a complete run', async () => {
  const dir = tmpDir()
  const out = join(dir, 'run')
  const p = startReplay(big(), out)
  const started = await waitFor(() => readdirSync(dir).some((f) => f.endsWith('.partial')), 30_000)
  assert.ok(started, 'partial directory appeared')
  p.kill('SIGKILL')
  await new Promise((r) => p.once('exit', r))
  assert.not.ok(existsSync(out), 'no run directory under the final name')
  for (const f of readdirSync(dir)) assert.not.ok(isCompleteRun(join(dir, f)), `${f} looks complete`)
})

signals('Ctrl-C stops cleanly, says what was kept, removes the partial run', async () => {
  const dir = tmpDir()
  const out = join(dir, 'run')
  const p = startReplay(big(), out)
  let stderr = ''
  p.stderr!.on('data', (d) => (stderr += d))
  const started = await waitFor(() => readdirSync(dir).some((f) => f.endsWith('.partial')), 30_000)
  assert.ok(started, 'partial directory appeared')
  p.kill('SIGINT')
  const code = await new Promise<number | null>((r) => p.once('exit', (c) => r(c)))
  assert.is(code, 130)
  assert.match(stderr, /interrupted after \d+ frames; nothing kept/)
  assert.not.match(stderr, /\n\s+at /, 'no stack trace')
  assert.equal(readdirSync(dir), [])
})

e2e.run()
signals.run()
