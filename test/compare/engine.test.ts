/**
 * The compare engine on hand-made metric values (no runs): noise rule, labels, matching across plugin
 * versions, tallies, repeat statistics, comparability findings and the text table.
 */
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {MetricValue} from '../../src/analysis/metrics.js'
import {comparability, groupConsistency, jsonDiff, pluginChanges} from '../../src/compare/comparability.js'
import {compareLoaded} from '../../src/compare/compare.js'
import {DEFAULT_NOISE, buildSide, compareSides, judge, rowKey, stat, type CompareRow, type Side} from '../../src/compare/engine.js'
import {formatCompare} from '../../src/compare/format.js'

const LAT = {unit: 'ns', polarity: 'lower_is_better'} as const

/** A run.json with a small resolved scenario. */
function runJson(o: {sha?: string; plugin?: string; seed?: number; vfs?: number; schema?: string} = {}): Record<string, unknown> {
  return {
    schema_version: o.schema ?? '2',
    capture: {path: 'c.pcap', sha256: o.sha ?? 'aa'.repeat(32)},
    seed: o.seed ?? 1,
    scenario: {
      version: 1,
      seed: o.seed ?? 1,
      source: 'derived from c.pcap',
      hosts: [{name: 'host-a', nic: 'intel-82599', vfs: o.vfs ?? 8}],
      vms: ['vm1', 'vm2'].map((name) => ({name, mac: `02:00:00:00:00:0${name.slice(2)}`, plugin: o.plugin ?? 'ixgbevf@1.0.0'})),
    },
  }
}

type Values = Record<string, {dims: Record<string, string | null>; v: (number | null)[]}[]>

/** A side of n runs (ids r1..rn) with per-run values; a null in `v` leaves the run without that row. */
function side(label: string, n: number, values: Values, json: Partial<Parameters<typeof runJson>[0]> = {}): Side {
  const runs = Array.from({length: n}, (_, i) => ({id: `r${i + 1}`, dir: `/x/${label}/r${i + 1}`, seed: (json.seed ?? 1) + i, json: runJson({...json, seed: (json.seed ?? 1) + i})}))
  const mv: Record<string, MetricValue[]> = {}
  for (const [id, rows] of Object.entries(values)) {
    mv[id] = []
    for (const r of rows) r.v.forEach((v, i) => (v === null ? undefined : mv[id].push({run_id: `r${i + 1}`, dimensions: r.dims, value: v})))
  }
  return buildSide({arg: label, kind: n > 1 ? 'group' : 'run', dir: `/x/${label}`}, runs, mv, label)
}

const p99 = (dir: string, plugin: string) => ({direction: dir, mode: 'passthrough', plugin})
const find = (rows: CompareRow[], metric: string, key: string) => rows.find((r) => r.metric === metric && rowKey(r) === key)

const t = suite('compare/engine')

t('stat: median of the non-null samples, mean of the middle two when even', () => {
  assert.equal(stat([5, 1, 3]), {median: 3, min: 1, max: 5, samples: [5, 1, 3]})
  assert.equal(stat([4, null, 1, 3, 10]).median, 3.5)
  assert.equal(stat([null, null]), {median: null, min: null, max: null, samples: [null, null]})
})

t('judge: 1% relative noise with a 100 ns floor; polarity gives the label', () => {
  const s = (x: number) => stat([x])
  assert.is(judge(LAT, s(10_000), s(10_500), DEFAULT_NOISE).label, 'regression')
  assert.is(judge(LAT, s(10_000), s(9_500), DEFAULT_NOISE).label, 'improvement')
  assert.is(judge(LAT, s(100_000), s(100_900), DEFAULT_NOISE).label, 'unchanged') // 0.9% < 1%
  const floor = judge(LAT, s(5_000), s(5_090), DEFAULT_NOISE) // 1.8% but 90 ns ≤ the 100 ns floor
  assert.is(floor.label, 'unchanged')
  assert.is(floor.noise_threshold, 100)
  const r = judge(LAT, s(2577), s(6600), DEFAULT_NOISE)
  assert.is(r.delta, 4023)
  assert.ok(Math.abs(r.relative! - 4023 / 2577) < 1e-12)
  assert.is(judge({unit: 'count', polarity: 'zero_is_good'}, s(0), s(3), DEFAULT_NOISE).label, 'regression')
  assert.is(judge({unit: 'count', polarity: 'zero_is_good'}, s(3), s(0), DEFAULT_NOISE).label, 'improvement')
  assert.is(judge({unit: 'count', polarity: 'zero_is_good'}, s(0), s(3), DEFAULT_NOISE).relative, Infinity)
  assert.is(judge({unit: 'replicas', polarity: 'n/a'}, s(100), s(120), DEFAULT_NOISE).label, 'changed')
  assert.is(judge({unit: 'replicas', polarity: 'n/a'}, s(21192), s(21220), DEFAULT_NOISE).label, 'unchanged') // +0.13%
  assert.is(judge(LAT, null, s(1), DEFAULT_NOISE).label, 'added')
  assert.is(judge(LAT, s(1), null, DEFAULT_NOISE).label, 'removed')
  assert.is(judge(LAT, stat([null]), stat([null]), DEFAULT_NOISE).label, 'unchanged')
  assert.is(judge(LAT, s(10_000), s(10_050), {...DEFAULT_NOISE, relative: 0, floors: {...DEFAULT_NOISE.floors, ns: 0}}).label, 'regression')
})

t('judge: with repeats a change must also leave both min..max ranges', () => {
  // Medians 10.0 vs 10.6 µs (+6%), but the ranges overlap: noise.
  assert.is(judge(LAT, stat([9_000, 10_000, 11_000]), stat([10_500, 10_600, 12_000]), DEFAULT_NOISE).label, 'unchanged')
  // Same medians, tight ranges: a change.
  assert.is(judge(LAT, stat([9_900, 10_000, 10_100]), stat([10_500, 10_600, 10_700]), DEFAULT_NOISE).label, 'regression')
  // Disjoint but within the 1%: still unchanged.
  assert.is(judge(LAT, stat([100_000, 100_001]), stat([100_500, 100_501]), DEFAULT_NOISE).label, 'unchanged')
})

t('rows match across plugin versions; the key shows the version change', () => {
  const a = side('a', 1, {latency_p99_ns: [{dims: p99('vm_to_ext', 'ixgbevf@1.0.0'), v: [3066]}, {dims: p99('ext_to_vm', 'ixgbevf@1.0.0'), v: [51102]}]})
  const b = side('b', 1, {latency_p99_ns: [{dims: p99('vm_to_ext', 'ixgbevf@1.1.0'), v: [9840]}, {dims: p99('ext_to_vm', 'ixgbevf@1.1.0'), v: [50880]}]}, {plugin: 'ixgbevf@1.1.0'})
  const rows = compareSides(a, b).filter((r) => r.metric === 'latency_p99_ns')
  assert.equal(rows.map((r) => [rowKey(r), r.label]), [
    ['vm_to_ext/passthrough/ixgbevf@1.0.0→1.1.0', 'regression'],
    ['ext_to_vm/passthrough/ixgbevf@1.0.0→1.1.0', 'unchanged'],
  ])
  assert.equal(rows[0].candidate_dimensions, p99('vm_to_ext', 'ixgbevf@1.1.0'))
  assert.is(rows[0].delta, 9840 - 3066)
})

t('exact matches win; a second version of the same plugin in the candidate is "added"', () => {
  const a = side('a', 1, {latency_p50_ns: [{dims: p99('vm_to_ext', 'ixgbevf@1.0.0'), v: [2500]}]})
  const b = side('b', 1, {latency_p50_ns: [{dims: p99('vm_to_ext', 'ixgbevf@1.0.0'), v: [2500]}, {dims: p99('vm_to_ext', 'ixgbevf@1.1.0'), v: [6500]}]})
  const rows = compareSides(a, b).filter((r) => r.metric === 'latency_p50_ns')
  assert.equal(rows.map((r) => [rowKey(r), r.label]), [
    ['vm_to_ext/passthrough/ixgbevf@1.0.0', 'unchanged'],
    ['vm_to_ext/passthrough/ixgbevf@1.1.0', 'added'],
  ])
})

t('tallies: a missing row is 0 (erratum drops 28 → 0 is an improvement); other metrics are removed/added', () => {
  const a = side('a', 1, {lost_replicas: [{dims: {reason: 'erratum'}, v: [28]}], migration_ns: [{dims: {vm: 'vm1', strategy: 'npa'}, v: [5e8]}]})
  const b = side('b', 1, {switching_violations: [{dims: {kind: 'misdelivered'}, v: [2]}]})
  const rows = compareSides(a, b)
  const lost = find(rows, 'lost_replicas', 'erratum')!
  assert.equal([lost.baseline!.median, lost.candidate!.median, lost.delta, lost.relative, lost.label], [28, 0, -28, -1, 'improvement'])
  assert.is(find(rows, 'migration_ns', 'vm1/npa')!.label, 'removed')
  const sv = find(rows, 'switching_violations', 'misdelivered')!
  assert.equal([sv.baseline!.median, sv.candidate!.median, sv.label], [0, 2, 'regression'])
  // A tally over no rows at all (delivered_replicas) is absent from both sides: nothing to show.
  assert.is(rows.filter((r) => r.metric === 'delivered_replicas').length, 0)
})

t('repeat groups: samples per run in run order, tallies filled with 0, latency left null', () => {
  const g = side('g', 3, {
    lost_replicas: [{dims: {reason: 'erratum'}, v: [3, null, 5]}],
    latency_p50_ns: [{dims: p99('vm_to_vm', 'ixgbevf@1.0.0'), v: [14_000, null, 15_000]}],
  })
  const lost = g.rows.lost_replicas[0].stat
  assert.equal(lost, {median: 3, min: 0, max: 5, samples: [3, 0, 5]})
  const lat = g.rows.latency_p50_ns[0].stat
  assert.equal(lat, {median: 14_500, min: 14_000, max: 15_000, samples: [14_000, null, 15_000]})
})

t('comparability: capture, scenario (apart from plugins and seed), schema, seed', () => {
  const a = side('a', 1, {})
  assert.equal(comparability(a, side('b', 1, {}, {plugin: 'ixgbevf@1.1.0'})), [])
  const seed = comparability(a, side('b', 1, {}, {plugin: 'ixgbevf@1.1.0', seed: 7}))
  assert.equal(seed.map((f) => [f.level, f.kind]), [['note', 'seed']])
  assert.match(seed[0].message, /^seed differs: a 1, b 7 /)
  const all = comparability(a, side('c', 1, {}, {sha: 'bb'.repeat(32), vfs: 4, schema: '1'}))
  assert.equal(all.map((f) => [f.level, f.kind]), [['warning', 'capture'], ['warning', 'scenario'], ['warning', 'schema']])
  assert.match(all[0].message, /^capture differs: a replayed c\.pcap \(sha256 aaaaaaaaaaaa…\), c replayed c\.pcap \(sha256 bbbbbbbbbbbb…\)/)
  assert.is(all[1].message, 'scenario differs apart from plugins and seed (a → c): hosts[0].vfs: 8 → 4')
  assert.ok(all.every((f) => !f.message.includes('\n')))
})

t('a repeat group whose runs disagree is reported', () => {
  const g = side('g', 2, {})
  assert.equal(groupConsistency(g), [])
  g.runs[1].json = runJson({sha: 'cc'.repeat(32), vfs: 2})
  assert.equal(groupConsistency(g).map((f) => f.message), ['repeat group g: run r2 differs from r1 in capture, scenario'])
})

t('jsonDiff lists paths; pluginChanges groups VMs by change', () => {
  assert.equal(jsonDiff({a: 1, b: [1, 2], c: {d: 'x'}}, {a: 1, b: [1], c: {d: 'y'}, e: true}), [
    'b[1]: 2 → absent',
    'c.d: "x" → "y"',
    'e: absent → true',
  ])
  assert.equal(pluginChanges(side('a', 1, {}), side('b', 1, {}, {plugin: 'ixgbevf@1.1.0'})), [{vms: ['vm1', 'vm2'], from: 'ixgbevf@1.0.0', to: 'ixgbevf@1.1.0'}])
})

t('text: only changed rows by default, grouped by section; --all shows every row', () => {
  const a = side('a', 1, {
    latency_p50_ns: [{dims: p99('vm_to_ext', 'ixgbevf@1.0.0'), v: [2577]}, {dims: p99('ext_to_vm', 'ixgbevf@1.0.0'), v: [14378]}],
    lost_replicas: [{dims: {reason: 'erratum'}, v: [28]}],
  })
  const b = side('b', 1, {
    latency_p50_ns: [{dims: p99('vm_to_ext', 'ixgbevf@1.1.0'), v: [6600]}, {dims: p99('ext_to_vm', 'ixgbevf@1.1.0'), v: [14342]}],
  }, {plugin: 'ixgbevf@1.1.0'})
  const res = compareLoaded([a, b])
  const text = formatCompare(res)
  assert.match(text, /plugins {4}vm1, vm2: ixgbevf@1\.0\.0 → ixgbevf@1\.1\.0 \(a → b\)/)
  const lines = text.split('\n')
  const lat = lines.indexOf(lines.find((l) => l.startsWith('== latency'))!)
  const drops = lines.indexOf(lines.find((l) => l.startsWith('== drops'))!)
  assert.ok(lat > 0 && drops > lat)
  assert.match(text, /latency_p50_ns +vm_to_ext\/passthrough\/ixgbevf@1\.0\.0→1\.1\.0 +2\.58 µs +6\.60 µs +\+4\.02 µs +\+156\.1% +regression/)
  assert.match(text, /lost_replicas +erratum +28 +0 +-28 +-100\.0% +improvement/)
  assert.not.match(text, /ext_to_vm/)
  assert.match(text, /b vs a: 1 regression, 1 improvement, 1 unchanged \(2 rows shown; unchanged rows hidden, --all shows them\)/)
  assert.match(formatCompare(res, {all: true}), /latency_p50_ns +ext_to_vm\/passthrough\/ixgbevf@1\.0\.0→1\.1\.0 +14\.4 µs +14\.3 µs +-36 ns +-0\.3% +unchanged/)
  const same = formatCompare(compareLoaded([a, {...a, label: 'a#2'}]))
  assert.match(same, /No significant change: all 3 rows are within the noise\./)
})

t('text: repeat groups show median (min..max)', () => {
  const g = side('g', 3, {latency_p50_ns: [{dims: p99('vm_to_ext', 'ixgbevf@1.0.0'), v: [2352, 2346, 2343]}]})
  const h = side('h', 3, {latency_p50_ns: [{dims: p99('vm_to_ext', 'ixgbevf@1.1.0'), v: [6390, 6369, 6371]}]}, {plugin: 'ixgbevf@1.1.0'})
  const text = formatCompare(compareLoaded([g, h]))
  assert.match(text, /2\.35 µs \(2\.34\.\.2\.35\) +6\.37 µs \(6\.37\.\.6\.39\) +\+4\.03 µs +\+171\.6% +regression/)
  assert.match(text, /repeat group of 3 runs, seeds 1\.\.3/)
})

t.run()
