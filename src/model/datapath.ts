import type {PluginInstance} from '../plugins/api.js'
import {NS_ZERO} from '../sim/time.js'

export const DEV_EMULATED = 0
export const DEV_VF = 1

/**
 * One VM's rings on one device: the vmxnet3 rings (emulated mode) or a VF's rings (passthrough).
 * Descriptor state lives in typed arrays indexed by descriptor; indices wrap at the ring size.
 *
 * TX descriptor lifecycle: posted (plugin) → fetched → processed (DMA of the buffer) → written back
 * (device) → completed (plugin reaps). RX: posted (refill) → fetched (device prefetch) → processed (frame
 * DMA'd into the buffer) → written back → completed (plugin reaps, shell delivers).
 */
export class Datapath {
  readonly kind: number
  readonly plugin: PluginInstance
  /** Trace dictionary code of the plugin (name@version). */
  readonly pluginCode: number
  /** VF index for DEV_VF, -1 for emulated. */
  readonly vf: number

  // TX ring
  readonly txSize: number
  readonly txSlot: Int32Array // frame slot of a data descriptor; -1 for a context descriptor
  readonly txPkt: Float64Array
  readonly txRep: Int32Array
  readonly txWb: Float64Array // write-back time (Infinity until the device has processed it)
  txHead = 0 // next descriptor to reap
  txTail = 0 // next descriptor to post
  txCount = 0 // posted and not yet reaped
  txPending = 0 // posted since the last doorbell
  devTxFree = NS_ZERO // device TX engine busy until

  // RX ring
  readonly rxSize: number
  readonly rxSlot: Int32Array // frame slot held by a filled descriptor
  readonly rxWb: Float64Array
  rxFillIdx = 0 // next descriptor the device fills
  rxReapIdx = 0 // next descriptor the plugin reaps
  rxPostIdx = 0 // next descriptor the plugin posts
  rxAvail = 0 // posted, empty: the device may fill them
  rxFilled = 0 // filled by the device, not yet reaped
  rxFreeCount = 0 // reaped, not yet reposted
  devRxFree = NS_ZERO

  // interrupt vector (MSI-X or virtual) with moderation
  irqScheduled = false
  irqAt = NS_ZERO
  irqGen = 0
  lastIrq = -1e18
  /** earliest write-back not yet signalled (for the moderation delay in irq_raise.aux) */
  firstUnsignalled = -1
  timerGen = 0

  constructor(kind: number, plugin: PluginInstance, pluginCode: number, vf: number, txSize: number, rxSize: number) {
    this.kind = kind
    this.plugin = plugin
    this.pluginCode = pluginCode
    this.vf = vf
    this.txSize = txSize
    this.txSlot = new Int32Array(txSize).fill(-1)
    this.txPkt = new Float64Array(txSize)
    this.txRep = new Int32Array(txSize)
    this.txWb = new Float64Array(txSize).fill(Infinity)
    this.rxSize = rxSize
    this.rxSlot = new Int32Array(rxSize).fill(-1)
    this.rxWb = new Float64Array(rxSize).fill(Infinity)
    this.rxFreeCount = rxSize
  }

  get txFree(): number {
    return this.txSize - this.txCount
  }
}
