/**
 * Model parameters: every timing and size default, with its source key from
 * ../shared/reference/npa-model-reference.md (§7 expands the keys). "assumed" marks a value with no
 * public source; sweep it rather than trust it. Every key can be overridden in a scenario's `params:`.
 */
export const DEFAULT_PARAMS = {
  // --- wire
  /** Host uplink rate, Gb/s. 82599 / vmxnet3 link [L-DEFS]. */
  link_gbps: 10,
  /** Preamble 7 + SFD 1 + IFG 12 bytes per frame on the wire [PM-ETH]. */
  eth_overhead_bytes: 20,
  /** FCS bytes added on the wire to a captured frame (captures omit the FCS) [PM-ETH]. */
  fcs_bytes: 4,
  /** Physical switch store-and-forward latency, ns (assumed; cut-through ToR switches are ~300-600 ns). */
  pswitch_latency_ns: 500,

  // --- PCIe / DMA
  /** DMA read latency base, ns: fit 520 ns + 0.30 ns/B to NFP6000 medians [PD]. */
  dma_read_base_ns: 520,
  /** DMA read latency per byte, ns [PD]. */
  dma_read_per_byte_ns: 0.3,
  /** Posted DMA write latency, ns (assumed, from the WRRD−RD gap ≈ 230 ns [PD]). */
  dma_write_ns: 150,
  /** Descriptor size in bytes for the DMA of a descriptor fetch/write-back (82599 advanced desc = 16 B [IXVF-DEF]). */
  desc_bytes: 16,
  /** Mean of an exponential extra DMA latency, ns: PCIe reads have a tail (outliers with IOMMU [PD-IOMMU]); assumed. 0 = none. */
  dma_jitter_ns: 25,
  /** Posted MMIO write (doorbell) cost to the guest CPU, ns; 50–300 ns apart [INTEL-MMIO]. */
  mmio_write_cpu_ns: 100,

  // --- NIC processing
  /** NIC pipeline time per frame through the eswitch (lookup + replication), ns (assumed). */
  eswitch_ns: 100,

  /** PF receive path to the vSwitch (DMA + PF driver interrupt/NAPI), ns (assumed; the PF runs low-latency ITR). */
  pf_rx_latency_ns: 2000,

  // --- interrupts
  /** VF RX interrupt throttle (ITR) interval, µs [IXVF-MAIN]. */
  vf_itr_rx_us: 50,
  /** VF TX-only ITR interval, µs [IXVF-MAIN]. */
  vf_itr_tx_us: 84,
  /** vmxnet3 emulation interrupt moderation interval, µs; IML 8 ≈ adaptive, modelled as a fixed interval (assumed from [L-DRV]). */
  vmxnet3_itr_us: 20,
  /** Exits per injected virtual interrupt: delivery + EOI [ELI]; 0 with posted interrupts [VTD-PI]. */
  virq_inject_exits: 2,
  /** Whether passthrough interrupts are posted (VT-d PI) so no exit occurs [VTD-PI]. */
  posted_interrupts: true,

  // --- virtualisation costs
  /** CPU clock, GHz, to turn cycle counts into ns [MMIO]. */
  cpu_ghz: 2.4,
  /** VM exit + entry round trip, cycles [LKML-SVM; INTEL-EXIT]. */
  vmexit_roundtrip_cycles: 1400,
  /** In-kernel trap handler (e.g. vmxnet3 doorbell emulation), ns: ~2.5k cycles KVM_RUN round trip [LKML-SVM]. */
  trap_kernel_handler_ns: 1000,
  /** Software vSwitch cost per packet, ns: 1 / 1.88 Mpps OVS kernel datapath [OVS-JNSM]. */
  vswitch_per_packet_ns: 530,
  /** vmxnet3 emulation copy cost per byte, ns (assumed: ~10 GB/s memcpy). */
  emu_copy_per_byte_ns: 0.1,
  /** Control-path operation latency (trap → PF mailbox → eswitch programmed), µs (assumed [IXVF-MBX]). */
  mailbox_roundtrip_us: 50,

  // --- guest
  /** Guest stack + shell TX cost per frame, ns (assumed; a few hundred ns per skb). */
  guest_tx_ns: 300,
  /** Relative spread of guest per-frame CPU costs (uniform ±x): caches, branch prediction; assumed. 0 = none. */
  guest_cpu_jitter: 0.1,
  /** Guest shell RX deliver cost per frame (netif_receive), ns (assumed). */
  guest_rx_ns: 400,
  /** Shell poll budget: descriptors per interrupt poll pass (NAPI weight 64 [L-DRV]). */
  poll_budget: 64,
  /** Shell interrupt handler entry cost, ns (assumed). */
  shell_irq_ns: 500,
  /** Frames the shell holds in its TX backlog while the ring is full before dropping (qdisc txqueuelen 1000 [L-DRV]). */
  shell_tx_backlog: 1000,

  // --- vmxnet3 (emulated path) ring sizes
  /** vmxnet3 TX ring size [L-INT]. */
  vmxnet3_tx_ring: 512,
  /** vmxnet3 RX ring 1 size [L-INT] (256 for 2010 fidelity). */
  vmxnet3_rx_ring: 1024,

  // --- mode switching
  /** Time to quiesce the plugin and reclaim descriptors, µs (assumed; one mailbox round trip [IXVF-MBX]). */
  quiesce_us: 50,
  /** Plugin injection + shell init of the plugin, µs (assumed). */
  plugin_inject_us: 200,

  // --- live migration (issue: NPA vs bonding vs uniform data path)
  /** Guest memory to copy, MiB (assumed: a small VM; sweep it). */
  mig_memory_mib: 1024,
  /** Memory dirtied per second while the VM runs, MiB/s (assumed; workload dependent). */
  mig_dirty_mibps: 64,
  /** Migration bandwidth cap, MiB/s: QEMU's default max-bandwidth [QM]. */
  mig_bandwidth_mibps: 128,
  /** Stop when the remaining dirty memory can be sent within this downtime, ms [QM]. */
  mig_downtime_target_ms: 300,
  /** Pre-copy rounds at most before stop-and-copy anyway (assumed). */
  mig_max_rounds: 30,
  /** Device state copied during stop-and-copy, KiB (assumed: vmxnet3 rings + shared area). */
  mig_device_state_kib: 256,
  /** Frames the hypervisor buffers for a paused VM; beyond it they are dropped (vm_paused) (assumed). */
  mig_buffer_frames: 1024,
  /** Delay from resume to the physical switch relearning the MAC (RARP/GARP announce), ms (QEMU announces at once; assumed 1 ms to reach the switch). */
  mig_announce_ms: 1,
  /** Forward frames that still reach the source host after resume to the destination (else lost: stale_location). */
  mig_forward_stale: false,
  /** Source → destination hypervisor forwarding latency for stale frames, µs (assumed). */
  mig_forward_us: 50,
  /** Bonding: hot-unplug until the guest releases the VF, ms: ≥1 s presence-detect unplug [PH-DISC] (5 s with the attention button [PH]). */
  bond_unplug_ms: 1000,
  /** Bonding: link-loss detection after the VF vanished, ms (Linux bonding miimon 100 ms; half an interval on average). */
  bond_detect_ms: 50,
  /** Bonding: VF hot-add on the destination until the guest driver is up, ms (assumed, like unplug). */
  bond_hotadd_ms: 1000,
  /** Bonding: fail back to the VF after it is up, ms: netvsc VF takeover [NV-DRV]. */
  failover_takeover_ms: 100,
  /** Uniform data path: save/restore ring indices to switch without the guest, µs (assumed). */
  uniform_switch_us: 5,

  // --- test-only fault injection (0 = off): deliberately broken eswitch rules that the analysis
  // library's switching oracle must catch. Never set them in a real scenario.
  /** Every Nth eswitch frame bound to a VF goes to another VM's VF instead. */
  fault_misdeliver_every: 0,
  /** Every Nth broadcast also reaches a VF outside the frame's VLAN. */
  fault_vlan_leak_every: 0,
} as const

export type ParamName = keyof typeof DEFAULT_PARAMS
export type Params = {-readonly [K in ParamName]: (typeof DEFAULT_PARAMS)[K] extends boolean ? boolean : number}

/** Defaults merged with overrides; unknown keys are the caller's (scenario schema's) to reject. */
export function resolveParams(overrides: Partial<Record<string, number | boolean>> = {}): Params {
  const p = {...DEFAULT_PARAMS} as unknown as Record<string, number | boolean>
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined && k in p) p[k] = v
  return p as Params
}

export const PARAM_NAMES = Object.keys(DEFAULT_PARAMS) as ParamName[]
