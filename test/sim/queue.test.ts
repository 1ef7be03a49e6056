import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {EventQueue, MAX_PRIORITY} from '../../src/sim/queue.js'
import {Rng} from '../../src/sim/rng.js'

const q = suite('EventQueue')

function drain(queue: EventQueue): [number, number, number, number, number][] {
  const out: [number, number, number, number, number][] = []
  while (queue.pop()) out.push([queue.time, queue.prio, queue.kind, queue.a, queue.b])
  return out
}

q('pops in time order and returns the payload', () => {
  const e = new EventQueue()
  e.push(30, 0, 3, 300, 0.5)
  e.push(10, 0, 1, 100, 1.5)
  e.push(20, 0, 2, 200, 2.5)
  assert.is(e.size, 3)
  assert.is(e.peekTime(), 10)
  assert.equal(drain(e), [
    [10, 0, 1, 100, 1.5],
    [20, 0, 2, 200, 2.5],
    [30, 0, 3, 300, 0.5],
  ])
  assert.is(e.size, 0)
  assert.is(e.peekTime(), Infinity)
})

q('reserve() keys order an outside event exactly as a push at that moment would be', () => {
  const e = new EventQueue()
  e.push(5, 1, 0, 1, 0)
  const k = e.reserve(1) // an outside event at t=5, prio 1, after entry 1
  e.push(5, 1, 0, 2, 0)
  e.push(5, 0, 0, 3, 0)
  assert.is(e.peekTime(), 5)
  assert.ok(e.peekTie() < k) // prio 0 entry 3 first
  e.pop()
  assert.is(e.a, 3)
  assert.ok(e.peekTie() < k) // then entry 1 (pushed before the reservation)
  e.pop()
  assert.is(e.a, 1)
  assert.ok(k < e.peekTie()) // the outside event comes before entry 2
  e.advance(5)
  assert.throws(() => e.advance(4), /before the clock/)
  assert.throws(() => e.reserve(MAX_PRIORITY + 1), /priority/)
  e.pop()
  assert.is(e.peekTie(), Infinity)
})

q('equal times: lower priority first, then insertion order', () => {
  const e = new EventQueue()
  e.push(5, 2, 0, 1, 0)
  e.push(5, 1, 0, 2, 0)
  e.push(5, 2, 0, 3, 0)
  e.push(5, 0, 0, 4, 0)
  e.push(5, 1, 0, 5, 0)
  e.push(4, 9, 0, 6, 0)
  assert.equal(drain(e).map((x) => x[3]), [6, 4, 2, 5, 1, 3])
})

q('many ties keep insertion order through growth', () => {
  const e = new EventQueue(16)
  for (let i = 0; i < 1000; i++) e.push(7, 3, 0, i, 0)
  const got = drain(e).map((x) => x[3])
  assert.equal(got, Array.from({length: 1000}, (_, i) => i))
})

q('pop on empty returns false and keeps the last entry', () => {
  const e = new EventQueue()
  assert.is(e.pop(), false)
  e.push(1, 0, 9, 8, 7)
  assert.ok(e.pop())
  assert.is(e.pop(), false)
  assert.is(e.kind, 9)
  assert.is(e.time, 1)
})

q('refuses times before the clock, NaN and bad priorities', () => {
  const e = new EventQueue()
  e.push(100, 0, 0, 0, 0)
  e.pop()
  assert.throws(() => e.push(99, 0, 0, 0, 0), /before the clock/)
  assert.throws(() => e.push(NaN, 0, 0, 0, 0), /before the clock/)
  assert.throws(() => e.push(100, MAX_PRIORITY + 1, 0, 0, 0), /priority/)
  assert.throws(() => e.push(100, -1, 0, 0, 0), /priority/)
  assert.throws(() => e.push(100, 1.5, 0, 0, 0), /priority/)
  e.push(100, MAX_PRIORITY, 0, 0, 0) // same time as the clock is fine
  assert.ok(e.pop())
  assert.is(e.prio, MAX_PRIORITY)
})

q('clear resets entries, clock and sequence', () => {
  const e = new EventQueue()
  e.push(50, 0, 0, 1, 0)
  e.push(60, 0, 0, 2, 0)
  e.pop()
  e.clear()
  assert.is(e.size, 0)
  assert.is(e.time, 0)
  e.push(1, 0, 0, 3, 0) // allowed again after clear
  e.push(1, 0, 0, 4, 0)
  assert.equal(drain(e).map((x) => x[3]), [3, 4])
})

q('times above 2^32 ns stay exact', () => {
  const e = new EventQueue()
  const big = 2 ** 52 + 1
  e.push(big, 0, 0, 1, 0)
  e.push(big - 1, 0, 0, 2, 0)
  e.pop()
  assert.is(e.time, big - 1)
  e.pop()
  assert.is(e.time, big)
})

q('100k random pushes and pops agree with a stable sort', () => {
  const rng = new Rng('queue-test')
  const e = new EventQueue(8)
  type Ent = {t: number; p: number; seq: number; a: number}
  const pending: Ent[] = []
  const popped: number[] = []
  const expected: number[] = []
  let seq = 0
  let now = 0
  const popOne = () => {
    // Reference: the minimum by (t, p, seq) among pending entries.
    let best = 0
    for (let i = 1; i < pending.length; i++) {
      const x = pending[i]
      const b = pending[best]
      if (x.t < b.t || (x.t === b.t && (x.p < b.p || (x.p === b.p && x.seq < b.seq)))) best = i
    }
    expected.push(pending[best].a)
    pending.splice(best, 1)
    assert.ok(e.pop())
    popped.push(e.a)
    now = e.time
  }
  for (let i = 0; i < 100_000; i++) {
    if (pending.length > 0 && rng.chance(0.45)) popOne()
    else {
      // Small time range and few priorities: lots of exact ties.
      const t = now + rng.int(50)
      const p = rng.int(3)
      pending.push({t, p, seq: seq++, a: i})
      e.push(t, p, 0, i, 0)
    }
    if (pending.length > 400) while (pending.length > 100) popOne()
  }
  while (pending.length > 0) popOne()
  assert.is(e.size, 0)
  assert.is(popped.length, expected.length)
  assert.ok(popped.length > 50_000)
  assert.equal(popped, expected)
})

q.run()
