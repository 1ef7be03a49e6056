/** Threshold syntax, the thresholds file, and checking thresholds against compared rows. */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {UserError} from '../../src/errors.js'
import {stat, type CompareRow} from '../../src/compare/engine.js'
import {checkThresholds, loadThresholdsFile, parseThreshold, parseThresholds, parseThresholdsYaml, splitThresholds} from '../../src/compare/thresholds.js'

const t = suite('compare/thresholds')

function fails(f: () => unknown, re: RegExp): UserError {
  try {
    f()
  } catch (err) {
    assert.instance(err, UserError)
    assert.match((err as Error).message, re)
    assert.is((err as UserError).exitCode, 2)
    return err as UserError
  }
  assert.unreachable(`expected a UserError matching ${re}`)
  throw new Error('unreachable')
}

t('relative, change and value thresholds', () => {
  const r = parseThreshold('latency_p99_ns>+5%')
  assert.equal([r.metric, r.op, r.kind, r.limit, r.limit_text, r.where], ['latency_p99_ns', '>', 'relative', 0.05, '+5%', {}])
  const v = parseThreshold('switching_violations>0')
  assert.equal([v.kind, v.limit], ['value', 0])
  const d = parseThreshold(' latency_p50_ns [direction=vm_to_ext, mode=passthrough] >= +2.5us ')
  assert.equal([d.kind, d.op, d.limit, d.where], ['delta', '>=', 2500, {direction: 'vm_to_ext', mode: 'passthrough'}])
  assert.is(parseThreshold('delivered_replicas<-1%').limit, -0.01)
  assert.is(parseThreshold('lost_replicas>+3').limit, 3)
  assert.is(parseThreshold('latency_max_ns>60µs').limit, 60_000)
  assert.is(parseThreshold('latency_max_ns>1ms').kind, 'value')
  assert.is(parseThreshold('latency_p99_ns > 5%').kind, 'relative') // unsigned % = relative increase
})

t('a --fail-on value splits on commas outside brackets', () => {
  assert.equal(splitThresholds('a>1, b[x=1,y=2]>+2%,c<3'), ['a>1', 'b[x=1,y=2]>+2%', 'c<3'])
  assert.equal(parseThresholds('latency_p99_ns>+5%,switching_violations>0').map((x) => x.metric), ['latency_p99_ns', 'switching_violations'])
})

t('bad thresholds: a UserError (exit 2) naming the token', () => {
  fails(() => parseThreshold('latency_p99_ns>>5%'), /^--fail-on: bad threshold "latency_p99_ns>>5%": expected <metric>/)
  fails(() => parseThreshold('latency_p99_ns+5%'), /bad threshold "latency_p99_ns\+5%"/)
  fails(() => parseThreshold('latency_p99_ns>5x'), /bad threshold "latency_p99_ns>5x"/)
  const e = fails(() => parseThreshold('latncy_p99_ns>+5%'), /bad threshold "latncy_p99_ns>\+5%": unknown metric latncy_p99_ns$/)
  assert.match(e.hint!, /did you mean latency_p99_ns\?/)
  fails(() => parseThreshold('latency_p99_ns[vm=vm1]>+5%'), /latency_p99_ns has no dimension vm \(its dimensions: direction, mode, plugin\)/)
  fails(() => parseThreshold('latency_p99_ns[direction]>+5%'), /expected \[<dimension>=<value>,\.\.\.\]/)
  fails(() => parseThreshold('lost_replicas>5us'), /lost_replicas is in replicas, so its limit takes no time unit/)
  fails(() => parseThresholds('latency_p99_ns>+5%,,lost_replicas>0'), /empty threshold/)
  fails(() => parseThreshold('>5%'), /it must start with a metric id/)
})

t('thresholds file: a list under fail_on or at the top; errors name file and line', () => {
  const a = parseThresholdsYaml('fail_on:\n  - latency_p99_ns > +5%\n  - switching_violations > 0, lost_replicas[reason=erratum] > 0\n', 'g.yaml')
  assert.equal(a.map((x) => [x.metric, x.origin]), [['latency_p99_ns', 'g.yaml:2'], ['switching_violations', 'g.yaml:3'], ['lost_replicas', 'g.yaml:3']])
  assert.equal(parseThresholdsYaml('- latency_p50_ns>+1%\n', 'top.yaml').map((x) => x.limit), [0.01])
  fails(() => parseThresholdsYaml('fail_on:\n  - latency_p99_ns > +5%\n  - latency_p99_ns >> 5%\n', 'g.yaml'), /^g\.yaml:3: bad threshold "latency_p99_ns >> 5%"/)
  fails(() => parseThresholdsYaml('fail-on:\n  - a>1\n', 'k.yaml'), /^k\.yaml:1: unknown key fail-on/)
  fails(() => parseThresholdsYaml('fail_on:\n  - {metric: x}\n', 'o.yaml'), /^o\.yaml:2: each threshold is one string/)
  fails(() => parseThresholdsYaml('fail_on: [a\n', 'y.yaml'), /^y\.yaml:\d+: YAML syntax/)
  const dir = mkdtempSync(join(tmpdir(), 'npa-thr-'))
  writeFileSync(join(dir, 't.yaml'), 'fail_on: [latency_p99_ns>+5%]\n')
  assert.is(loadThresholdsFile(join(dir, 't.yaml'))[0].limit, 0.05)
  fails(() => loadThresholdsFile(join(dir, 'missing.yaml')), /missing\.yaml: cannot read it \(no such file\)/)
  rmSync(dir, {recursive: true, force: true})
})

function row(metric: string, dims: Record<string, string>, b: number, c: number, cdims?: Record<string, string>): CompareRow {
  return {
    metric, section: 'latency', unit: 'ns', polarity: 'lower_is_better', dimensions: dims, candidate_dimensions: cdims,
    baseline: stat([b]), candidate: stat([c]), delta: c - b, relative: b === 0 ? (c === b ? 0 : Math.sign(c - b) * Infinity) : (c - b) / Math.abs(b),
    noise_threshold: 100, significant: true, label: 'regression',
  }
}

t('checking: one line per crossed threshold and row; plugin filters match the name', () => {
  const rows = [
    row('latency_p99_ns', {direction: 'vm_to_vm', mode: 'passthrough', plugin: 'ixgbevf@1.0.0'}, 52_000, 55_796, {direction: 'vm_to_vm', mode: 'passthrough', plugin: 'ixgbevf@1.1.0'}),
    row('latency_p99_ns', {direction: 'ext_to_vm', mode: 'passthrough', plugin: 'ixgbevf@1.0.0'}, 51_000, 51_100, {direction: 'ext_to_vm', mode: 'passthrough', plugin: 'ixgbevf@1.1.0'}),
    {...row('switching_violations', {kind: 'misdelivered'}, 0, 3), unit: 'count' as const},
  ]
  const thr = parseThresholds('latency_p99_ns>+5%,switching_violations>0,latency_p99_ns[plugin=ixgbevf]>+3us,latency_p99_ns[direction=tx]>+1%')
  const res = checkThresholds(thr, [{candidate: 'b', rows}])
  assert.equal(res.crossed.map((c) => c.line), [
    'regression: latency_p99_ns vm_to_vm/passthrough/ixgbevf@1.0.0→1.1.0: +7.3% > +5%',
    'regression: switching_violations misdelivered: 3 > 0',
    'regression: latency_p99_ns vm_to_vm/passthrough/ixgbevf@1.0.0→1.1.0: +3.80 µs > +3us',
  ])
  assert.equal(res.unmatched.map((x) => x.text), ['latency_p99_ns[direction=tx]>+1%'])
  // Not crossed: the same rows under looser limits.
  assert.is(checkThresholds(parseThresholds('latency_p99_ns>+10%,switching_violations>3'), [{candidate: 'b', rows}]).crossed.length, 0)
  // Several candidates: the line names the candidate; a baseline of 0 reads as +∞%.
  const two = checkThresholds(parseThresholds('switching_violations>+50%'), [{candidate: 'b', rows}, {candidate: 'c', rows}])
  assert.equal(two.crossed.map((c) => c.line), [
    'regression: switching_violations misdelivered: +∞% (baseline 0) > +50% (candidate b)',
    'regression: switching_violations misdelivered: +∞% (baseline 0) > +50% (candidate c)',
  ])
})

t.run()
