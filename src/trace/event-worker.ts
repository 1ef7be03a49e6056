/** Worker side of ThreadedSink: encodes the batches it is handed and writes them with a TableWriter. */
import {parentPort, workerData} from 'node:worker_threads'
import type {WorkerInit} from './threaded-sink.js'
import {TableWriter} from './writer.js'

const init = workerData as WorkerInit
const SLOTS = init.slots.length
Atomics.store(init.state, SLOTS + 1, 1) // started (the producer stops waiting for a thread that never starts)
let writer: TableWriter | null = null

function fail(err: unknown): void {
  const msg = new TextEncoder().encode(err instanceof Error ? err.message : String(err))
  const n = Math.min(msg.length, init.errorText.length - 1)
  init.errorText.set(msg.subarray(0, n))
  init.errorText[n] = 0
  Atomics.store(init.state, SLOTS, 1)
  for (let i = 0; i < SLOTS; i++) Atomics.notify(init.state, i)
  parentPort!.postMessage({error: err instanceof Error ? err.message : String(err)})
}

try {
  writer = new TableWriter(init.target, init.columns, init.options)
} catch (err) {
  fail(err)
}

parentPort!.on('message', (m: {slot?: number; n?: number; close?: boolean}) => {
  if (!writer || Atomics.load(init.state, SLOTS) !== 0) return
  try {
    if (m.close) {
      parentPort!.postMessage({result: writer.close()})
      return
    }
    const k = m.slot!
    const n = m.n!
    writer.writeBatchFrom(init.slots[k], n)
    Atomics.store(init.state, k, 0)
    Atomics.notify(init.state, k)
  } catch (err) {
    fail(err)
  }
})
