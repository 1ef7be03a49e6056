/**
 * The replay's I/O thread (the worker side of FrameSource, see frame-source.ts): read, hash, decode and
 * pace the capture into the shared frames slots; write each frames slot the replay thread hands back to
 * frames.arrow, and each full event slot to events-NNNN.arrow (src/trace/event-slots.ts). One thread
 * for all of it: on two cores, the model's thread and this one.
 */
import {createHash} from 'node:crypto'
import {parentPort, workerData} from 'node:worker_threads'
import {openCapture} from '../capture/reader.js'
import {UserError} from '../errors.js'
import {FRAME_COLUMNS} from '../trace/schema.js'
import {EventSlotsDrain, EVENT_SLOTS} from '../trace/event-slots.js'
import {ColumnArena} from '../trace/simd.js'
import {allocColumnArrays, TableWriter} from '../trace/writer.js'
import {FrameFiller} from './frame-fill.js'
import {
  CAUGHT, CLOSE, CONSUMED, DOORBELL, EMPTY, ERR, HANDED, HANDOFF_FRAMES, HANDOFF_SLOT, MAIN_FRAMES, notifySlots, publishEof, publishSlot, ROWS, SLOTS, STARTED,
  type FrameSourceInit, type FrameSourceResult,
} from './frame-slots.js'

const init = workerData as FrameSourceInit
const st = init.state
Atomics.store(st, STARTED, 1)

/** 1 MiB reads: each run of bytes is hashed and decoded while it is still in cache. */
const READ_BYTES = 1 << 20

function fail(err: unknown): void {
  const user = err instanceof UserError
  const text = JSON.stringify({message: err instanceof Error ? err.message : String(err), hint: user ? err.hint : undefined, user})
  const bytes = new TextEncoder().encode(text)
  const n = Math.min(bytes.length, init.errorText.length - 1)
  init.errorText.set(bytes.subarray(0, n))
  init.errorText[n] = 0
  Atomics.store(st, ERR, 1)
  notifySlots(st)
  if (init.events) for (let k = 0; k < EVENT_SLOTS; k++) Atomics.notify(init.events.state, k)
}

function run(): FrameSourceResult {
  const hash = createHash('sha256')
  const reader = openCapture(init.capture, {bufferSize: READ_BYTES, onRead: (b) => hash.update(b)})
  let writer: TableWriter | null = null
  const ev = init.events
  let evWriter: TableWriter | null = null
  try {
    // The events writer first: the model fills its first event slots while frames are still handed over.
    // With the slots in a ColumnArena the drain's lanes and the writer's buffers come from this thread's
    // range of it: the SIMD kernels work in place.
    const evArena = ev?.arena ? ColumnArena.from(ev.arena) : null
    const evDrain = ev ? new EventSlotsDrain(ev, evArena) : null
    if (ev) evWriter = new TableWriter(ev.target, ev.columns, {...ev.options, arena: evArena ?? undefined})
    const writeEvents = (cols: Parameters<TableWriter['writeBatchFrom']>[0], n: number) => evWriter!.writeBatchFrom(cols, n)
    init.stats[1] = reader.fileSize
    const filler = new FrameFiller(reader, init.fill)
    const batchRows = init.options.batchRows

    // Until the hand-over the replay thread fills frames slots itself; this thread follows it through
    // the capture (reading and hashing the same frames, into a scratch batch) and says when it has caught
    // up, and meanwhile writes the event batches and the frames slots handed back.
    let handed = false
    let scratch: ReturnType<typeof allocColumnArrays> | null = null
    const scratchOk = new Uint8Array(batchRows)
    const follow = (upTo: number) => {
      scratch ??= allocColumnArrays(FRAME_COLUMNS, init.options.dictionaries ?? {}, batchRows)
      filler.fill(scratch, scratchOk, Math.min(batchRows, upTo - filler.count))
    }
    let fill = 0 // next slot to fill (after the hand-over)
    let drain = 0 // next slot to write (slots are consumed in order from slot 0)
    for (;;) {
      const bell = Atomics.load(st, DOORBELL)
      let progressed = false
      if (!handed) {
        if (Atomics.load(st, HANDED) !== 0) {
          const from = Atomics.load(st, HANDOFF_FRAMES)
          while (filler.count < from && !filler.eof) follow(from)
          fill = Atomics.load(st, HANDOFF_SLOT)
          handed = true
          progressed = true
        } else {
          const target = Atomics.load(st, MAIN_FRAMES)
          if (filler.count < target) {
            follow(target)
            progressed = true
          } else if (Atomics.load(st, CAUGHT) !== target + 1) {
            Atomics.store(st, CAUGHT, target + 1)
            notifySlots(st)
          }
        }
      }
      // Fill the next empty slot from the capture (first: the replay thread may be waiting for it).
      if (handed && !filler.eof && Atomics.load(st, fill) === EMPTY) {
        try {
          filler.fill(init.slots[fill], init.ok[fill], batchRows)
        } finally {
          // Frames before a damaged record are published before the error.
          init.stats[0] = reader.bytesRead
          if (filler.filled > 0) {
            publishSlot(st, fill, filler.filled)
            fill = (fill + 1) % SLOTS
          }
        }
        if (filler.eof) publishEof(st)
        progressed = true
      }
      // Full event batches: the model waits when all event slots are full.
      if (evDrain?.drain(writeEvents)) progressed = true
      // Frames slots handed back: write them to frames.arrow, in order, and free them.
      if (writer === null && Atomics.load(st, drain) === CONSUMED) writer = new TableWriter(init.framesPath, FRAME_COLUMNS, init.options)
      while (writer !== null && Atomics.load(st, drain) === CONSUMED) {
        writer.writeBatchFrom(init.slots[drain], Atomics.load(st, ROWS + drain))
        Atomics.store(st, drain, EMPTY)
        Atomics.notify(st, drain)
        drain = (drain + 1) % SLOTS
        progressed = true
      }
      // The replay thread closes after handing its last slot back and finishing the events: everything is written.
      if (handed && filler.eof && Atomics.load(st, CLOSE) !== 0 && Atomics.load(st, drain) !== CONSUMED && (!evDrain || evDrain.done)) break
      // Every hand-off from the replay thread rings DOORBELL; the timeout is only a backstop against a
      // lost wake-up turning into a hang (a run then stalls 100 ms instead of forever).
      if (!progressed) Atomics.wait(st, DOORBELL, bell, 100)
    }
    // An empty capture hands no slot back: its frames.arrow is still a file with the schema.
    writer ??= new TableWriter(init.framesPath, FRAME_COLUMNS, init.options)
    const frames = writer.close()
    const events = evWriter ? evWriter.close() : null
    const warnings = reader.warnings.map((w) => ({offset: w.offset, message: w.message}))
    const format = reader.format
    reader.close()
    // The reader reads to the end of the file (anything after the last record is an error or a warning),
    // so the digest is of every byte replayed: the whole file, or more if it grew while being read.
    return {
      frames, events, eventTally: evDrain ? evDrain.tally : null, sha256: hash.digest('hex'), format, count: filler.count, warnings,
      outOfOrder: filler.outOfOrder, noTimestamp: filler.noTimestamp, notEthernet: filler.notEthernet,
    }
  } catch (err) {
    reader.close()
    writer?.destroy()
    evWriter?.destroy()
    throw err
  }
}

try {
  parentPort!.postMessage({result: run()})
} catch (err) {
  fail(err)
}
