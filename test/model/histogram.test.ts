import {test} from 'uvu'
import * as assert from 'uvu/assert'
import {LatencyHistogram} from '../../src/model/histogram.js'
import {Rng} from '../../src/sim/rng.js'

test('latency histogram: quantiles within 1.6 % of the exact nearest rank, small and huge values', () => {
  const r = new Rng(3)
  const h = new LatencyHistogram()
  const vals: number[] = []
  for (let i = 0; i < 50_000; i++) {
    const v = Math.floor(Math.exp(r.next() * 25)) // 1 ns .. ~70 s: both the integer and the log2 path
    vals.push(v)
    h.add(v)
  }
  vals.sort((a, b) => a - b)
  for (const q of [0.01, 0.5, 0.9, 0.99, 0.999]) {
    const exact = vals[Math.ceil(q * vals.length) - 1]
    const est = h.quantile(q)
    assert.ok(est <= exact && (exact - est) / Math.max(1, exact) <= 1 / 64, `q${q}: ${est} vs ${exact}`)
  }
  assert.is(h.total, 50_000)
  assert.is(h.max, vals[vals.length - 1])
  const small = new LatencyHistogram()
  for (let v = 0; v < 64; v++) small.add(v)
  assert.is(small.quantile(0.5), 31) // exact below 64
})

test.run()
