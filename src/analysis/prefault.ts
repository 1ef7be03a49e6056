/**
 * Fresh memory, faulted in on the other core.
 *
 * Why: on this machine (a 2-vCPU microVM, no transparent huge pages) the first write to a fresh
 * 4 KB page costs ≈ 10 µs, so the ≈ 130 MB of typed arrays the loader's pass fills cost ≈ 0.35 s of
 * page faults on the JS thread, while the second core idles (DuckDB has nothing to do during the
 * pass). The arrays are allocated on SharedArrayBuffers and a worker touches every page (an atomic
 * add of 0: it cannot lose a concurrent write of the JS thread) in the order the pass fills them —
 * every array's first pages first. Best effort: when the worker is late the JS thread simply takes the
 * fault itself.
 */
import {Worker} from 'node:worker_threads'

/** A zeroed typed array on a SharedArrayBuffer, whose buffer is queued for prefault(). */
export function sharedArray<A extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(
  Ctor: {new (buffer: SharedArrayBuffer): A; BYTES_PER_ELEMENT: number}, n: number, queue: SharedArrayBuffer[],
): A {
  const sab = new SharedArrayBuffer(Math.max(1, n) * Ctor.BYTES_PER_ELEMENT)
  queue.push(sab)
  return new Ctor(sab)
}

const WORKER = `
const {workerData} = require('node:worker_threads')
const views = workerData.map((b) => new Uint8Array(b))
for (let k = 0, more = true; more; k += 4096) {
  more = false
  for (const v of views) if (k < v.length) { Atomics.add(v, k, 0); more = true }
}
`

/** Touch every page of `buffers` on a worker thread (fire and forget; never keeps the process alive). */
export function prefault(buffers: SharedArrayBuffer[]): void {
  if (buffers.length === 0 || process.env.NPA_TRACE_NO_PREFAULT) return
  try {
    const w = new Worker(WORKER, {eval: true, workerData: buffers, execArgv: [], stdout: true, stderr: true})
    w.unref()
    w.on('error', () => {}) // best effort
  } catch {
    // no worker threads: the JS thread takes the faults
  }
}
