/**
 * NIC models a host can carry. The descriptor format is the hardware's: it sets the bytes of each
 * descriptor DMA and how the device batches fetches and write-backs.
 */
export interface NicModelSpec {
  name: string
  /** Bytes per descriptor (fetch and write-back DMA size). */
  descBytes: number
  /** TX descriptors fetched per DMA read burst. */
  txPrefetch: number
  /** TX descriptors written back per write-back DMA. */
  txWbBatch: number
  /** Plugin used when a VM on this NIC asks for none. */
  defaultPlugin: string | null
  /** VFs the hardware can expose. */
  maxVfs: number
  /**
   * Implements the uniform ring format (vmxnet3 UPT style) so a hypervisor can switch the data path
   * without the guest. Assumed true for the 82599-class model, false for the second vendor — the RFC's
   * point: a uniform format takes away the IHV's freedom, and a NIC without it cannot take passthrough.
   */
  uniformRings: boolean
}

export const NIC_MODELS: Record<string, NicModelSpec> = {
  // 82599: 16 B advanced descriptors [IXVF-DEF]; prefetch 40, write-back batch 8 [PM]; 63 VFs with 1 TC [IX-SRIOV].
  'intel-82599': {name: 'intel-82599', descBytes: 16, txPrefetch: 40, txWbBatch: 8, defaultPlugin: 'ixgbevf@1.1.0', maxVfs: 63, uniformRings: true},
  // Acme X700 (fictional second vendor): 32 B descriptors with inline metadata, completion write-back every 16.
  'acme-x700': {name: 'acme-x700', descBytes: 32, txPrefetch: 64, txWbBatch: 16, defaultPlugin: 'acme-vf@1.0.0', maxVfs: 63, uniformRings: false},
  // A host without SR-IOV: a plain NIC behind the vSwitch; VMs there run emulated.
  none: {name: 'none', descBytes: 16, txPrefetch: 40, txWbBatch: 8, defaultPlugin: null, maxVfs: 0, uniformRings: false},
}
