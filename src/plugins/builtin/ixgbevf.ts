import type {PluginDefinition, PluginInstance, ShellApi} from '../api.js'

/**
 * ixgbevf: Intel 82599-class VF plugin, two versions whose behaviour differs on purpose (documented in
 * docs of `npa-trace compare`):
 *
 * | | 1.0.0 | 1.1.0 |
 * |---|---|---|
 * | TX / RX ring | 1024 / 512 [IXVF-H] | 1024 / 1024 |
 * | TX tail writes | every frame (tail batch 1 [IXVF-H; PM]) | every 8 frames or after 4 µs (fewer MMIO writes, +≤4 µs latency) |
 * | RX refill | batches of 16 [IXVF-H] | batches of 32 |
 * | erratum | the frame in the last RX descriptor of the ring is discarded on wrap (reason `erratum`) | fixed |
 *
 * The erratum is this project's model of a tail-pointer off-by-one of the kind IHVs fix in plugin updates
 * (the RFC's argument for IHV-owned plugins); it is not a documented 82599 erratum.
 * A VLAN the guest tags itself needs an advanced context descriptor before the data descriptor [IXVF-DEF].
 */
interface Version {
  version: string
  rxRing: number
  txBatch: number
  txFlushNs: number
  refillBatch: number
  erratum: boolean
}

const DESC_CPU_NS = 50 // guest work per advanced descriptor write (assumed)
const RX_DESC_CPU_NS = 40 // guest work per RX descriptor reaped (assumed)

function make(v: Version): PluginDefinition {
  return {
    manifest: {
      name: 'ixgbevf',
      version: v.version,
      vendor: 'Intel',
      licence: 'GPL-2.0-only',
      nics: ['intel-82599'],
      shellApi: '1.0',
      description: `82599 VF plugin ${v.version}`,
    },
    create(api: ShellApi): PluginInstance {
      const rxRing = v.rxRing
      return {
        init: () => ({txRing: 1024, rxRing}),
        xmit(q, _len, vlan) {
          if (vlan >= 0) {
            api.cpu(DESC_CPU_NS)
            api.postTx(q, false) // context descriptor
          }
          api.cpu(DESC_CPU_NS)
          api.postTx(q, true)
          if (api.txPending(q) >= v.txBatch) api.doorbellTx(q)
          else api.setTimer(q, v.txFlushNs)
        },
        poll(q, budget) {
          api.reapTx(q)
          let n = 0
          let d: number
          while (n < budget && (d = api.rxPeek(q)) >= 0) {
            api.cpu(RX_DESC_CPU_NS)
            if (v.erratum && d === rxRing - 1) api.rxDiscard(q, 'erratum')
            else api.rxReceive(q)
            n++
          }
          const free = api.rxFree(q)
          if (free >= v.refillBatch) api.refillRx(q, free - (free % v.refillBatch))
          return n
        },
        timer(q) {
          if (api.txPending(q) > 0) api.doorbellTx(q)
        },
        quiesce() {},
      }
    },
  }
}

export const ixgbevf100 = make({version: '1.0.0', rxRing: 512, txBatch: 1, txFlushNs: 0, refillBatch: 16, erratum: true})
export const ixgbevf110 = make({version: '1.1.0', rxRing: 1024, txBatch: 8, txFlushNs: 4000, refillBatch: 32, erratum: false})
