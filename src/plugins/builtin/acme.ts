import type {PluginDefinition, PluginInstance, ShellApi} from '../api.js'

/**
 * acme-vf: a second vendor's VF plugin for the (fictional) Acme X700 NIC, so a migration can land on
 * other hardware and load another plugin, as the RFC foresees ("reloading of a different plugin
 * corresponding to the new SR-IOV hardware"). Its descriptor format differs (32-byte descriptors with
 * inline metadata, see src/model/nics.ts) and so do its costs: large rings, cheaper per-descriptor work,
 * doorbell every 4 frames or after 2 µs, refill in batches of 64. Licence "Dual BSD/GPL" (GPL-compatible).
 */
const DESC_CPU_NS = 35 // assumed
const RX_DESC_CPU_NS = 30 // assumed

export const acmeVf: PluginDefinition = {
  manifest: {
    name: 'acme-vf',
    version: '1.0.0',
    vendor: 'Acme Networks',
    licence: 'Dual BSD/GPL',
    nics: ['acme-x700'],
    shellApi: '1.0',
    description: 'Acme X700 VF plugin (32-byte descriptors, completion batching)',
  },
  create(api: ShellApi): PluginInstance {
    return {
      init: () => ({txRing: 2048, rxRing: 2048}),
      xmit(q, _len, _vlan) {
        api.cpu(DESC_CPU_NS)
        api.postTx(q, true) // VLAN travels in the 32 B descriptor: no context descriptor
        if (api.txPending(q) >= 4) api.doorbellTx(q)
        else api.setTimer(q, 2000)
      },
      poll(q, budget) {
        api.reapTx(q)
        let n = 0
        while (n < budget && api.rxPeek(q) >= 0) {
          api.cpu(RX_DESC_CPU_NS)
          api.rxReceive(q)
          n++
        }
        const free = api.rxFree(q)
        if (free >= 64) api.refillRx(q, free - (free % 64))
        return n
      },
      timer(q) {
        if (api.txPending(q) > 0) api.doorbellTx(q)
      },
      quiesce() {},
    }
  },
}
