// A user plugin for an Intel 82599-class VF, loaded with:
//   npa-trace replay traces/samples/sample.pcapng --plugin-path traces/samples/plugins/my-vf.mjs --plugin all=my-vf@0.1.0
// It drives the rings only through the Shell API (see src/plugins/api.ts): a doorbell every 16 frames or
// after 10 µs, RX refill in batches of 64, and a 2048-descriptor RX ring.
export default {
  manifest: {
    name: 'my-vf',
    version: '0.1.0',
    vendor: 'Example Corp',
    licence: 'GPL-2.0-only',
    nics: ['intel-82599'],
    shellApi: '1.0',
    description: 'example user plugin with aggressive batching',
  },
  create(api) {
    return {
      init: () => ({txRing: 1024, rxRing: 2048}),
      xmit(q, _len, vlan) {
        if (vlan >= 0) {
          api.cpu(50)
          api.postTx(q, false) // context descriptor for the VLAN tag
        }
        api.cpu(50)
        api.postTx(q, true)
        if (api.txPending(q) >= 16) api.doorbellTx(q)
        else api.setTimer(q, 10_000)
      },
      poll(q, budget) {
        api.reapTx(q)
        let n = 0
        while (n < budget && api.rxPeek(q) >= 0) {
          api.cpu(40)
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
