import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {formatMac, formatTimeNs, parseMacText, parseTimeNs} from '../../src/scenario/schema.js'

const time = suite('scenario/time')

time('numbers are ns, rounded', () => {
  assert.is(parseTimeNs(0), 0)
  assert.is(parseTimeNs(1_000_000), 1_000_000)
  assert.is(parseTimeNs(1.4), 1)
  assert.is(parseTimeNs(2.5), 3)
})

time('units ns, us, µs, μs, ms, s', () => {
  assert.is(parseTimeNs('7ns'), 7)
  assert.is(parseTimeNs('3us'), 3000)
  assert.is(parseTimeNs('3µs'), 3000) // U+00B5 micro sign
  assert.is(parseTimeNs('3μs'), 3000) // U+03BC greek mu
  assert.is(parseTimeNs('2ms'), 2_000_000)
  assert.is(parseTimeNs('5 ms'), 5_000_000)
  assert.is(parseTimeNs(' 1s '), 1_000_000_000)
})

time('decimals are exact, rounded half up to an integer ns', () => {
  assert.is(parseTimeNs('0.1ms'), 100_000)
  assert.is(parseTimeNs('1.5ms'), 1_500_000)
  assert.is(parseTimeNs('0.000000001s'), 1)
  assert.is(parseTimeNs('1.000000001s'), 1_000_000_001)
  assert.is(parseTimeNs('2.5ns'), 3)
  assert.is(parseTimeNs('2.4999ns'), 2)
  assert.is(parseTimeNs('1.0005us'), 1001)
  assert.is(parseTimeNs('1.0004999us'), 1000)
  assert.is(parseTimeNs('1.ms'), 1_000_000)
  // 0.3 * 1e6 is 299999.99999999994 in floating point; the text shift gives 300000 exactly
  assert.is(parseTimeNs('0.3ms'), 300_000)
  assert.is(parseTimeNs('4503599.627370495s'), 4503599627370495)
})

time('bad times throw with a message saying what to write', () => {
  assert.throws(() => parseTimeNs('5'), /has no unit: write e\.g\. "5ns"/)
  assert.throws(() => parseTimeNs('5 m'), /bad time "5 m"/)
  assert.throws(() => parseTimeNs('2h'), /bad time "2h"/)
  assert.throws(() => parseTimeNs('-1ms'), /must be >= 0/)
  assert.throws(() => parseTimeNs(-1), /must be >= 0/)
  assert.throws(() => parseTimeNs(Number.NaN), /finite/)
  assert.throws(() => parseTimeNs('1e3ns'), /bad time/)
  assert.throws(() => parseTimeNs('99999999999s'), /too large/)
})

time('formatTimeNs uses the largest exact unit and round-trips', () => {
  assert.is(formatTimeNs(0), 0)
  assert.is(formatTimeNs(2_000_000), '2ms')
  assert.is(formatTimeNs(1_500_000), '1500us')
  assert.is(formatTimeNs(3_000_000_000), '3s')
  assert.is(formatTimeNs(1234), 1234)
  for (const ns of [0, 1, 999, 1000, 1_000_001, 2_000_000, 5_000_000_000, 123_456_789_000]) assert.is(parseTimeNs(formatTimeNs(ns)), ns)
})

time('MAC text', () => {
  assert.is(parseMacText('02:00:00:00:00:01'), 0x020000000001)
  assert.is(parseMacText('FF-FF-FF-FF-FF-FF'), 0xffffffffffff)
  assert.is(parseMacText('02:00:00:00:00'), -1)
  assert.is(parseMacText('02:00-00:00:00:01'), -1)
  assert.is(formatMac(0x020000000001), '02:00:00:00:00:01')
  assert.is(formatMac(0x01005e0000fb), '01:00:5e:00:00:fb')
})

time.run()
