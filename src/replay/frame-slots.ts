/**
 * The shared-memory protocol between FrameSource (the replay thread) and frame-worker.ts (the replay's
 * I/O thread): frame slot states, the layout of the state words, and what crosses at start and at the
 * end. The event slots have their own protocol (src/trace/event-slots.ts); both share DOORBELL and ERR.
 */
import type {FillConfig} from './frame-fill.js'
import type {EventSlotsShared, EventTally} from '../trace/event-slots.js'
import type {ColumnArray, TableWriterOptions, TableWriterResult} from '../trace/writer.js'

/** 8 slots of 8192 frames: ~130 ms of model time at 500k frames/s, more than the worker needs to boot. */
export const SLOTS = 8
/** state[] layout: SLOTS slot states, SLOTS row counts, then the flags below. */
export const EMPTY = 0
export const FILLED = 1
export const CONSUMED = 2
export const ROWS = SLOTS
/** Bumped (and notified) by the replay thread whenever it gives the worker something to do (frames or events). */
export const DOORBELL = 2 * SLOTS
/** Set by whichever side reads the end of the capture: every frame has been published. */
export const EOF = DOORBELL + 1
/** Set by the worker after it wrote the error text (JSON {message, hint}). */
export const ERR = DOORBELL + 3
export const STARTED = DOORBELL + 4
/** Set by the replay thread: the last slot is handed back; finish frames.arrow and report. */
export const CLOSE = DOORBELL + 5
/**
 * Hand-over: until the worker has booted, the replay thread fills slots itself and publishes in
 * MAIN_FRAMES how many frames it has filled. The worker follows it through the capture (reading and
 * hashing the same frames) and, when it has read exactly MAIN_FRAMES frames, stores MAIN_FRAMES + 1 in
 * CAUGHT. At a slot boundary where CAUGHT is its count + 1, the replay thread stops filling, stores its
 * count and the first slot the worker fills, and sets HANDED; only then does the worker fill slots.
 * (At close the hand-over happens whatever CAUGHT says; the worker then reads up to HANDOFF_FRAMES.)
 */
export const MAIN_FRAMES = DOORBELL + 6
export const CAUGHT = DOORBELL + 7
export const HANDED = DOORBELL + 8
export const HANDOFF_FRAMES = DOORBELL + 9
export const HANDOFF_SLOT = DOORBELL + 10
export const STATE_LEN = DOORBELL + 11

export interface FrameSourceInit {
  capture: string
  framesPath: string
  options: TableWriterOptions & {batchRows: number}
  slots: Record<string, ColumnArray>[]
  /** Per slot: 1 when the row is an Ethernet frame the model can switch, 0 otherwise (not_ethernet). */
  ok: Uint8Array[]
  state: Int32Array
  /** [0] bytes of the capture consumed, [1] its size (progress). */
  stats: Float64Array
  errorText: Uint8Array
  fill: FillConfig
  /** The events table's slots (none with --no-events). */
  events: EventSlotsShared | null
}

export interface FrameSourceResult {
  frames: TableWriterResult
  events: TableWriterResult | null
  /** What the events table holds per event, reason and side (the Tracer adopts it). */
  eventTally: EventTally | null
  /** Hex SHA-256 of the capture file. */
  sha256: string
  format: string
  count: number
  warnings: {offset: number; message: string}[]
  outOfOrder: number
  noTimestamp: number
  notEthernet: number
}


/** Publish slot k with `rows` frames (the row count first: the replay thread reads it after FILLED). */
export function publishSlot(st: Int32Array, k: number, rows: number): void {
  Atomics.store(st, ROWS + k, rows)
  Atomics.store(st, k, FILLED)
  Atomics.notify(st, k)
}

/** Wake the replay thread wherever it waits (it waits on the slot it wants next). */
export function notifySlots(st: Int32Array): void {
  for (let i = 0; i < SLOTS; i++) Atomics.notify(st, i)
}

/** No frame follows the ones published. */
export function publishEof(st: Int32Array): void {
  Atomics.store(st, EOF, 1)
  notifySlots(st)
}
