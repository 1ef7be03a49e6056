/**
 * `npa-trace compare` end to end on real runs, built once for this file with replay():
 *   A, B  the bundled sample (20,000 frames, 8 VMs) with ixgbevf@1.0.0 and @1.1.0: the documented
 *         difference (src/plugins/builtin/ixgbevf.ts) is 28 erratum drops in A and none in B, and
 *         TX doorbell batching in B (+≤4 µs on VM-sent frames at the sample's low per-VM rate);
 *   G, H  small.pcap replayed 3 times (seeds 1..3) with @1.0.0 and @1.1.0 (repeat groups);
 *   X     a 400-frame synthetic capture (another SHA-256) with @1.0.0.
 * small.pcap has too few frames per VM for the erratum (≈1 per 512 RX frames per VM), hence the sample.
 */
import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {synthesizeToBuffer} from '../../src/capture/synth.js'
import {compareLoaded} from '../../src/compare/compare.js'
import {loadSide, loadSides, resolveSide, rowKey, type CompareRow} from '../../src/compare/engine.js'
import {checkThresholds, parseThresholds} from '../../src/compare/thresholds.js'
import {replayRepeated} from '../../src/replay/repeat.js'
import {replay} from '../../src/replay/replay.js'

process.env.NODE_ENV ??= 'test' // otherwise oclif runs in prod mode and loads dist/ instead of the TS sources
const root = fileURLToPath(new URL('../..', import.meta.url))
const config = await Config.load({root})

const dir = mkdtempSync(join(tmpdir(), 'npa-compare-test-'))
const sample = join(root, 'traces/samples/sample.pcapng')
const small = join(root, 'traces/samples/small.pcap')
const other = join(dir, 'other.pcap')
writeFileSync(other, synthesizeToBuffer({frames: 400, seed: 9}).buffer)

const A = join(dir, 'a100')
const B = join(dir, 'b110')
const G = join(dir, 'g100')
const H = join(dir, 'h110')
const X = join(dir, 'x100')
await replay({capture: sample, plugins: ['all=ixgbevf@1.0.0'], out: A})
await replay({capture: sample, plugins: ['all=ixgbevf@1.1.0'], out: B})
await replayRepeated({capture: small, plugins: ['all=ixgbevf@1.0.0'], out: G}, 3)
await replayRepeated({capture: small, plugins: ['all=ixgbevf@1.1.0'], out: H}, 3)
await replay({capture: other, plugins: ['all=ixgbevf@1.0.0'], out: X})

// Sides evaluated once and shared by the engine-level tests.
const [a, b] = await loadSides([A, B])
const [g, h] = await loadSides([G, H])

const rowsOf = (rows: CompareRow[], metric: string, pred: (r: CompareRow) => boolean = () => true) => rows.filter((r) => r.metric === metric && pred(r))
const dir0 = (d: string) => (r: CompareRow) => r.dimensions.direction === d

const t = suite('compare (runs)')
t.after(() => rmSync(dir, {recursive: true, force: true}))

t('ixgbevf 1.0.0 → 1.1.0 on the sample: erratum drops 28 → 0 (improvement), TX-side latency up (regression)', () => {
  const res = compareLoaded([a, b])
  const rows = res.comparisons[0].rows
  const erratum = rowsOf(rows, 'lost_replicas', (r) => r.dimensions.reason === 'erratum')
  assert.is(erratum.length, 1)
  assert.equal([erratum[0].baseline!.median, erratum[0].candidate!.median, erratum[0].label], [28, 0, 'improvement'])
  // Frames a VM sends wait for the batched doorbell (8 frames or 4 µs): up by 1..4 µs at p50.
  for (const d of ['vm_to_ext', 'vm_to_vm']) {
    for (const m of ['latency_p50_ns', 'latency_p99_ns', 'latency_mean_ns']) {
      const [r] = rowsOf(rows, m, dir0(d))
      assert.is(r.label, 'regression', `${m} ${d}`)
      assert.is(rowKey(r), `${d}/passthrough/ixgbevf@1.0.0→1.1.0`)
    }
    const [p50] = rowsOf(rows, 'latency_p50_ns', dir0(d))
    assert.ok(p50.delta! > 1000 && p50.delta! <= 4500, `p50 ${d} delta ${p50.delta}`)
  }
  // RX from outside does not go through the TX doorbell: p50 within the noise.
  assert.is(rowsOf(rows, 'latency_p50_ns', dir0('ext_to_vm'))[0].label, 'unchanged')
  assert.equal(res.comparisons[0].plugin_changes, [{vms: ['vm1', 'vm2', 'vm3', 'vm4', 'vm5', 'vm6', 'vm7', 'vm8'], from: 'ixgbevf@1.0.0', to: 'ixgbevf@1.1.0'}])
  assert.equal(res.findings, []) // same capture, scenario apart from plugins, schema and seed
  // The gate: p99 TX latency crosses +5%, erratum drops do not cross >0 in the candidate.
  const check = checkThresholds(parseThresholds('latency_p99_ns[direction=vm_to_ext]>+5%,lost_replicas[reason=erratum]>0'), res.comparisons)
  assert.equal(check.crossed.length, 1)
  assert.match(check.crossed[0].line, /^regression: latency_p99_ns vm_to_ext\/passthrough\/ixgbevf@1\.0\.0→1\.1\.0: \+\d+\.\d% > \+5%$/)
})

t('a run compared with itself: every row unchanged', () => {
  const res = compareLoaded([a, {...a, label: 'a100#2'}])
  const s = res.comparisons[0].summary
  assert.ok(s.unchanged > 50, `rows: ${s.unchanged}`)
  assert.equal({...s, unchanged: 0}, {regression: 0, improvement: 0, changed: 0, added: 0, removed: 0, unchanged: 0})
  assert.ok(res.comparisons[0].rows.every((r) => r.delta === null || r.delta === 0))
})

t('repeat groups: median, min and max over the repeats, raw samples in run order', async () => {
  assert.equal([g.kind, g.runs.map((r) => r.id), g.runs.map((r) => r.seed)], ['group', ['r01', 'r02', 'r03'], [1, 2, 3]])
  const r02 = await loadSide(resolveSide(join(G, 'r02')))
  const res = compareLoaded([g, h])
  const rows = res.comparisons[0].rows
  for (const m of ['latency_p50_ns', 'latency_p99_ns', 'cpu_ns_per_frame']) {
    for (const r of rowsOf(rows, m)) {
      const xs = r.baseline!.samples as number[]
      assert.is(xs.length, 3)
      const sorted = [...xs].sort((p, q) => p - q)
      assert.equal([r.baseline!.median, r.baseline!.min, r.baseline!.max], [sorted[1], sorted[0], sorted[2]], `${m} ${rowKey(r)}`)
      // The middle sample is what run r02 gives when evaluated alone.
      const alone = r02.rows[m].find((x) => x.key === g.rows[m].find((y) => y.dimensions === r.dimensions)!.key)!
      assert.is(xs[1], alone.stat.median)
    }
  }
  // The seeds do move the latency tail, and the TX batching change is outside both ranges.
  const [p99] = rowsOf(rows, 'latency_p99_ns', dir0('vm_to_ext'))
  assert.ok(p99.baseline!.min! < p99.baseline!.max!, 'repeats differ')
  assert.ok(p99.candidate!.min! > p99.baseline!.max!)
  assert.is(p99.label, 'regression')
  // A group resolves by path or by bare id under the runs root, its members as runs.
  assert.equal([resolveSide('g100', dir).kind, resolveSide('g100', dir).runDirs.length, resolveSide(join(G, 'r03')).kind], ['group', 3, 'run'])
  // A member of the group against its group: inside the range, so unchanged throughout.
  const self = compareLoaded([g, {...r02, label: 'r02'}]).comparisons[0].summary
  assert.equal([self.regression, self.improvement, self.changed], [0, 0, 0])
})

t('differing captures warn; different seeds are a note', () => {
  const f = compareLoaded([g, a]).findings
  assert.equal(f.map((x) => [x.level, x.kind]), [['warning', 'capture'], ['note', 'seed']])
  assert.match(f[0].message, /^capture differs: g100 replayed .*small\.pcap \(sha256 [0-9a-f]{12}…\), a100 replayed .*sample\.pcapng \(sha256 [0-9a-f]{12}…\); the runs saw different traffic$/)
  assert.match(f[1].message, /^seed differs: g100 1\.\.3, a100 1 /)
})

t('command: a run compared with itself exits 0 and shows no change (thresholds not crossed)', async () => {
  const r01 = join(G, 'r01')
  const {error, stdout, stderr} = await runCommand(['compare', r01, r01, '--fail-on', 'latency_p99_ns>+1%,switching_violations>0'], config)
  assert.is(error, undefined)
  assert.match(stdout, /^baseline +r01 /m)
  assert.match(stdout, /^candidate +r01#2 /m)
  assert.match(stdout, /No significant change: all \d+ rows are within the noise\./)
  assert.match(stdout, /r01#2 vs r01: \d+ unchanged \(0 rows shown; unchanged rows hidden, --all shows them\)/)
  assert.is(stderr, '')
})

t('command: a crossed threshold exits 1 with one line per crossing; --thresholds file, --json with samples', async () => {
  const file = join(dir, 'gate.yaml')
  writeFileSync(file, 'fail_on:\n  - latency_p99_ns[direction=vm_to_ext] > +5%\n')
  const {error, stdout, stderr} = await runCommand(['compare', G, H, '--json', '--thresholds', file, '--fail-on', 'switching_violations>0,lost_replicas>0'], config)
  assert.is(error?.oclif?.exit, 1)
  const lines = stderr.trim().split('\n')
  assert.equal(lines.length, 1, stderr)
  assert.match(lines[0], /^regression: latency_p99_ns vm_to_ext\/passthrough\/ixgbevf@1\.0\.0→1\.1\.0: \+\d+\.\d% > \+5%$/)
  const j = JSON.parse(stdout) as {crossed: {line: string}[]; comparisons: {rows: CompareRow[]}[]; baseline: {runs: {seed: number}[]}}
  assert.equal(j.crossed.map((c) => c.line), lines)
  assert.equal(j.baseline.runs.map((r) => r.seed), [1, 2, 3])
  const [r] = j.comparisons[0].rows.filter((x) => x.metric === 'latency_p50_ns' && x.dimensions.direction === 'vm_to_ext')
  assert.is(r.baseline!.samples.length, 3)
  assert.is(r.label, 'regression')
})

t('command: differing captures print one warning line each on stderr', async () => {
  const {error, stderr} = await runCommand(['compare', join(G, 'r01'), X], config)
  assert.is(error, undefined)
  const lines = stderr.trim().split('\n')
  assert.ok(lines.length >= 1)
  assert.match(lines[0], /^npa-trace: warning: capture differs: r01 replayed .*small\.pcap \(sha256 [0-9a-f]{12}…\), x100 replayed .*other\.pcap/)
  assert.ok(lines.every((l) => l.startsWith('npa-trace: warning: ') || l.startsWith('npa-trace: note: ')), stderr)
})

t('command: bad threshold exits 2 naming the token, before loading anything', async () => {
  const {error, stderr} = await runCommand(['compare', join(dir, 'nonexistent'), X, '--fail-on', 'latency_p99_ns>+5%,latency_p99_ns=>5'], config)
  assert.is(error?.oclif?.exit, 2)
  assert.match(stderr, /^npa-trace: --fail-on: bad threshold "latency_p99_ns=>5": expected <metric>/)
})

t('command: one argument, or a missing run, is a one-line error', async () => {
  const one = await runCommand(['compare', X], config)
  assert.is(one.error?.oclif?.exit, 2)
  const missing = await runCommand(['compare', X, join(dir, 'nope')], config)
  assert.is(missing.error?.oclif?.exit, 1)
  assert.match(missing.stderr, /^npa-trace: no such run: .*nope/)
})

t.run()
