/**
 * EventQueue throughput in the classic "hold" model of a discrete-event kernel: the queue holds N
 * pending events; each step pops the earliest and pushes one new event a random delay later (what a
 * component does when it handles an event). One step = one push + one pop. DESIGN.md §2 target: ≥ 7M/s.
 *
 *   node --import tsx bench/queue.bench.ts [steps=10000000]
 */
import {EventQueue} from '../src/sim/queue.js'
import {Rng} from '../src/sim/rng.js'

const steps = Number(process.argv[2] ?? 10_000_000)
const sizes = [64, 1024, 65536, 1 << 20]

// Delays precomputed so the loop measures the queue, not the RNG: mostly short (1 ns..10 µs),
// with many exact ties (multiples of 100 ns) and a few priorities, like the model's events.
const rng = new Rng('queue-bench')
const DELAYS = 1 << 16
const delay = new Float64Array(DELAYS)
const prio = new Uint8Array(DELAYS)
for (let i = 0; i < DELAYS; i++) {
  delay[i] = rng.chance(0.5) ? 100 * rng.int(100) : 1 + rng.int(10_000)
  prio[i] = rng.int(4)
}

function run(size: number, n: number): {rate: number; checksum: number} {
  const q = new EventQueue(size)
  for (let i = 0; i < size; i++) q.push(delay[i & (DELAYS - 1)] * 16, prio[i & (DELAYS - 1)], 1, i, 0)
  let checksum = 0
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    q.pop()
    const j = i & (DELAYS - 1)
    checksum += q.a
    q.push(q.time + delay[j], prio[j], q.kind, q.a, q.b)
  }
  const secs = (performance.now() - t0) / 1000
  return {rate: n / secs, checksum}
}

console.log(`EventQueue hold model, ${(steps / 1e6).toFixed(1)}M steps per size (1 step = push + pop), node ${process.version}`)
run(1024, 1_000_000) // warm-up: let the JIT optimise push/pop before timing
for (const size of sizes) {
  const {rate, checksum} = run(size, steps)
  console.log(`  ${String(size).padStart(8)} pending: ${(rate / 1e6).toFixed(2)}M push+pop/s  (checksum ${checksum % 1e9})`)
}
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
