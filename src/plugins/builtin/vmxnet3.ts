import type {PluginDefinition, PluginInstance, ShellApi} from '../api.js'

/**
 * vmxnet3: the paravirtual data path, compiled into the shell (RFC: "this vmxnet3 plugin is compiled
 * statically along with the shell"). Always available; the VM runs on it in emulated mode.
 * Ring sizes: TX 512, RX ring 1 1024 [L-INT]. TX threshold 1: the producer register is written for every
 * packet, as QEMU's device expects [Q-VMX]; every such write traps in emulation. RX buffers are reposted at
 * the end of each poll pass with one RXPROD write.
 */
const TX_RING = 512 // [L-INT] VMXNET3_DEF_TX_RING_SIZE
const RX_RING = 1024 // [L-INT] VMXNET3_DEF_RX_RING_SIZE
const DESC_CPU_NS = 40 // guest work per descriptor (assumed: a 16 B descriptor write + gen bit flip [L-DEFS])

export const vmxnet3: PluginDefinition = {
  manifest: {
    name: 'vmxnet3',
    version: '1.0.0',
    vendor: 'VMware',
    licence: 'GPL v2',
    nics: ['vmxnet3'],
    shellApi: '1.0',
    description: 'Paravirtual vmxnet3 rings (emulated mode); built into the shell',
  },
  create(api: ShellApi): PluginInstance {
    return {
      init: () => ({txRing: TX_RING, rxRing: RX_RING}),
      xmit(q, _len, vlan) {
        // A guest-tagged frame carries the tag in the descriptor (tci field): still one descriptor [L-DEFS].
        void vlan
        api.cpu(DESC_CPU_NS)
        api.postTx(q, true)
        api.doorbellTx(q) // tx threshold 1 [Q-VMX]
      },
      poll(q, budget) {
        api.reapTx(q)
        let n = 0
        while (n < budget && api.rxPeek(q) >= 0) {
          api.cpu(DESC_CPU_NS)
          api.rxReceive(q)
          n++
        }
        const free = api.rxFree(q)
        if (free > 0) api.refillRx(q, free)
        return n
      },
      timer() {},
      quiesce() {},
    }
  },
}
