/**
 * The trace schema: the one home of every event name, every column and every fixed dictionary.
 * The model emits integer codes from here; the writer turns them into Arrow dictionaries; the SQL
 * library and `npa-trace schema` read the descriptions. Change an event or column here and nowhere else.
 *
 * Bump SCHEMA_VERSION whenever a column or an event's meaning changes; it is written into the Arrow
 * schema metadata of every file (`npa_trace.schema_version`).
 */

export const SCHEMA_VERSION = '4'

// ---------------------------------------------------------------------------------------------
// Fixed dictionaries (codes are array indices; -1 in a nullable column means null)
// ---------------------------------------------------------------------------------------------

/** Who emits an event. */
export const COMPONENTS = [
  'capture', // the replay driver injecting a frame from the capture
  'wire', // a host's uplink (serialization at line rate)
  'pswitch', // the physical switch joining hosts and external endpoints
  'external', // an endpoint outside the modelled hosts
  'nic', // SR-IOV NIC: queues, descriptor rings, DMA, MSI-X
  'eswitch', // the NIC's embedded switch (VEB)
  'hypervisor', // PF driver, control-path traps and policy, VF allocation, plugin injection, mode switching
  'vswitch', // the hypervisor's software switch for emulated vNICs
  'vmxnet3_emu', // the hypervisor's vmxnet3 device emulation
  'shell', // guest driver shell
  'plugin', // guest driver plugin (vmxnet3 built in, or a VF plugin)
] as const

export const MODES = ['passthrough', 'emulated'] as const
export const RINGS = ['tx', 'rx'] as const
/** Whose CPU pays for an event's cpu_ns. */
export const SIDES = ['guest', 'hypervisor', 'nic'] as const

/** Why something was dropped, rejected or reclaimed. */
export const REASONS = [
  'rx_ring_full', // a VF/vmxnet3 RX ring had no free descriptor: the NIC drops the frame for that port (drop enable, [IX-SRIOV])
  'tx_queue_full', // the shell's TX backlog was over its bound while the ring was full (guest stack would see ENOBUFS)
  'anti_spoof_mac', // VF transmitted with a source MAC that is not its own
  'anti_spoof_vlan', // VF transmitted with a VLAN it may not use
  'vlan_filter', // no port of the frame's VLAN accepts it
  'no_destination', // switching found no port (e.g. unknown unicast inside the vSwitch)
  'rx_disabled', // destination port's receive is disabled (mode switch in progress)
  'mode_switch', // an in-flight descriptor reclaimed because the VM left passthrough
  'vm_paused', // the VM was paused (migration stop-and-copy) and the hypervisor buffer was full
  'link_down', // the guest's active link was down (bonding failover window)
  'stale_location', // the physical switch still sent the frame to the host the VM left
  'policy_denied', // a control operation refused by the hypervisor's policy
  'licence', // plugin rejected: licence not GPL-compatible
  'shell_api', // plugin rejected: Shell API version the shell does not speak
  'nic_unsupported', // plugin rejected: does not support the VM's NIC
  'plugin_threw', // plugin raised an error; contained by the shell
  'no_vf', // no free VF on the host: VM stays emulated
  'erratum', // a plugin erratum lost the frame (ixgbevf 1.0.0, see src/plugins)
  'not_ethernet', // frame shorter than an Ethernet header
] as const

/** Control operations (the `detail` of ctrl_* events). */
export const CTRL_OPS = ['mac', 'vlan', 'multicast', 'promiscuous', 'mode'] as const
/** Live-migration strategies (the `detail` of mig_begin / mig_end). */
export const MIG_STRATEGIES = ['npa', 'bonding', 'uniform'] as const
/** Migration phases (the `detail` of mig_phase_begin / mig_phase_end). */
export const MIG_PHASES = [
  'switch_to_emulated', // NPA: quiesce the plugin, reclaim descriptors, reprogram the eswitch (RFC)
  'uniform_switch', // uniform data path: save ring indices, switch without the guest
  'unplug', // bonding: hot-unplug of the VF until the guest released it
  'failover_detect', // bonding: link loss not yet detected; the bond still uses the dead VF
  'precopy', // one pre-copy round (aux of the end event: bytes sent)
  'stop_and_copy', // VM paused; remaining dirty memory and device state copied
  'resume', // VM resumed on the destination; buffered frames released
  'announce', // until the physical switch relearned the VM's MAC (RARP/GARP)
  'hotadd', // bonding: VF hot-added on the destination and the bond failed back
  'switch_to_passthrough', // NPA/uniform: back to passthrough on the destination
] as const
/** Values of the `detail` column: control operations, strategies and phases. */
export const DETAILS = [...CTRL_OPS, 'suspend', 'resume_vm', ...MIG_STRATEGIES, ...MIG_PHASES] as const

export type Component = (typeof COMPONENTS)[number]

/** An event of the trace: name, who emits it, what it means and what the `aux` column carries. */
export interface EventSpec {
  name: string
  component: Component | Component[]
  description: string
  aux?: string
}

// ---------------------------------------------------------------------------------------------
// The event registry
// ---------------------------------------------------------------------------------------------

export const EVENT_SPECS = [
  // --- entry and exit of frames
  {name: 'frame_in', component: 'capture', description: 'A capture frame enters the model (at the VM stack for VM TX, at the physical switch otherwise)'},
  {name: 'stack_tx', component: 'shell', description: 'The guest stack hands a frame to the shell for transmission', aux: 'shell TX backlog after enqueue'},
  {name: 'shell_txq_stop', component: 'shell', description: 'The shell stops its TX queue: the ring is full (backpressure to the stack)', aux: 'backlog length'},
  {name: 'shell_txq_wake', component: 'shell', description: 'The shell restarts its TX queue after completions freed descriptors', aux: 'free descriptors'},
  {name: 'shell_rx_deliver', component: 'shell', description: 'Frame delivered to the guest stack (end of an RX path)', aux: 'latency of this replica in ns from frame_in'},
  {name: 'ext_deliver', component: 'external', description: 'Frame delivered to an endpoint outside the hosts (end of a path to the wire)', aux: 'latency of this replica in ns from frame_in'},
  {name: 'drop', component: ['nic', 'eswitch', 'hypervisor', 'vswitch', 'shell', 'plugin', 'pswitch', 'wire'], description: 'A frame replica is lost; `reason` says why'},
  // --- wire and physical switch
  {name: 'wire_tx', component: 'wire', description: 'Frame serialized onto a host uplink toward the physical switch (time = end of serialization)', aux: 'serialization ns including preamble+IFG'},
  {name: 'wire_rx', component: 'wire', description: 'Frame received from the physical switch on a host uplink (time = end of serialization)', aux: 'serialization ns including preamble+IFG'},
  {name: 'phys_forward', component: 'pswitch', description: 'The physical switch forwards a frame (learned port, or flood)', aux: 'parent replica (a flood gives each port a new replica)'},
  // --- descriptor lifecycle (one state machine; ring = tx|rx, desc = index)
  {name: 'desc_post', component: 'plugin', description: 'Descriptor posted by the plugin (TX: frame to send; RX: empty buffer)', aux: 'ring occupancy after posting'},
  {name: 'doorbell', component: 'plugin', description: 'Tail/producer register write: straight to the VF in passthrough, trapped in emulation', aux: 'descriptors made visible by this write'},
  {name: 'desc_fetch', component: ['nic', 'vmxnet3_emu'], description: 'Device fetched the descriptor (DMA read of the descriptor)'},
  {name: 'desc_process', component: ['nic', 'vmxnet3_emu'], description: 'Device moved the frame data (TX: DMA read of the buffer; RX: DMA write into the buffer)', aux: 'DMA ns'},
  {name: 'desc_writeback', component: ['nic', 'vmxnet3_emu'], description: 'Device wrote the descriptor back (done bit / completion ring entry)'},
  {name: 'desc_complete', component: 'plugin', description: 'Plugin reaped the written-back descriptor (TX: buffer freed; RX: frame handed to the shell)', aux: 'ring occupancy after reaping'},
  {name: 'rx_refill', component: 'plugin', description: 'Plugin reposted RX buffers in a batch', aux: 'descriptors reposted'},
  // --- interrupts
  {name: 'irq_raise', component: ['nic', 'vmxnet3_emu'], description: 'MSI-X vector fired (after interrupt moderation)', aux: 'moderation delay ns'},
  {name: 'virq_inject', component: 'hypervisor', description: 'Hypervisor injected a virtual interrupt into the guest (exits on delivery and EOI unless posted)'},
  {name: 'shell_irq', component: 'shell', description: 'Shell interrupt handler / poll pass ran', aux: 'descriptors processed in this pass'},
  // --- hypervisor data path (emulated mode)
  {name: 'vmexit', component: 'hypervisor', description: 'VM exit for a trapped doorbell or interrupt EOI'},
  {name: 'emu_tx', component: 'vmxnet3_emu', description: 'vmxnet3 emulation copied a TX frame out of the guest ring'},
  {name: 'emu_rx', component: 'vmxnet3_emu', description: 'vmxnet3 emulation copied an RX frame into the guest ring'},
  {name: 'vswitch_forward', component: 'vswitch', description: 'vSwitch forwarded a frame replica (to an emulated VM or to the PF uplink)'},
  // --- NIC switching
  {name: 'eswitch_lookup', component: 'eswitch', description: 'Embedded switch looked up a frame', aux: 'number of destinations'},
  {name: 'eswitch_forward', component: 'eswitch', description: 'Embedded switch sent a replica to a port (`target`)'},
  // --- control path
  {name: 'ctrl_trap', component: 'hypervisor', description: 'Guest control operation trapped (MAC, VLAN, multicast, promiscuous); `detail` names it'},
  {name: 'ctrl_apply', component: 'hypervisor', description: 'Control operation programmed into the eswitch/vSwitch through the PF control API'},
  {name: 'ctrl_reject', component: 'hypervisor', description: 'Control operation refused by policy (`reason`)'},
  {name: 'vf_alloc', component: 'hypervisor', description: 'A VF was allocated to the VM', aux: 'VF index'},
  {name: 'vf_free', component: 'hypervisor', description: 'The VM gave its VF back', aux: 'VF index'},
  {name: 'plugin_inject', component: 'hypervisor', description: 'Hypervisor injected the plugin image into guest memory'},
  {name: 'plugin_load', component: 'shell', description: 'Shell verified and initialised the plugin; data path now uses it'},
  {name: 'plugin_reject', component: 'shell', description: 'Shell refused or contained a plugin (`reason`); the VM stays emulated'},
  {name: 'mode_switch_begin', component: 'hypervisor', description: 'Mode switch started (`mode` = the target mode)'},
  {name: 'mode_quiesce', component: 'shell', description: 'Plugin quiesced; in-flight descriptors reclaimed', aux: 'descriptors reclaimed'},
  {name: 'mode_switch_end', component: 'hypervisor', description: 'Mode switch finished: the VM now runs in `mode`', aux: 'switch duration ns'},
  // --- live migration and suspend/resume
  {name: 'mig_begin', component: 'hypervisor', description: 'Live migration of `vm` started (`detail` = strategy, `target` = destination host name is in run.json)', aux: 'destination host index'},
  {name: 'mig_phase_begin', component: 'hypervisor', description: 'A migration phase started (`detail` = phase)'},
  {name: 'mig_phase_end', component: 'hypervisor', description: 'A migration phase ended (`detail` = phase)', aux: 'phase duration ns (precopy: bytes sent)'},
  {name: 'mig_end', component: 'hypervisor', description: 'Live migration finished (`detail` = strategy); `host` is the destination', aux: 'total duration ns'},
  {name: 'vm_pause', component: 'hypervisor', description: 'VM paused (stop-and-copy or suspend): its vCPU does not run, frames for it are buffered'},
  {name: 'vm_resume', component: 'hypervisor', description: 'VM runs again', aux: 'frames released from the hypervisor buffer'},
  {name: 'mig_buffer', component: 'hypervisor', description: 'Frame for a paused VM held in the hypervisor buffer', aux: 'buffer occupancy'},
] as const satisfies readonly EventSpec[]

export type EventName = (typeof EVENT_SPECS)[number]['name']
export const EVENT_NAMES: readonly EventName[] = EVENT_SPECS.map((e) => e.name)

function codes<const T extends readonly string[]>(names: T): {readonly [K in T[number]]: number} {
  const out: Record<string, number> = {}
  names.forEach((n, i) => (out[n] = i))
  return Object.freeze(out) as {readonly [K in T[number]]: number}
}

/** Integer code of each event (index into EVENT_NAMES). */
export const EV = codes(EVENT_NAMES as readonly EventName[])
export const COMP = codes(COMPONENTS)
export const MODE = codes(MODES)
export const RING = codes(RINGS)
export const SIDE = codes(SIDES)
export const REASON = codes(REASONS)
export const CTRL = codes(CTRL_OPS)
export const DETAIL = codes(DETAILS)

// ---------------------------------------------------------------------------------------------
// Columns of the three tables
// ---------------------------------------------------------------------------------------------

/**
 * Column types the writer knows. `dict:<name>` is a Dictionary<Int8|Int16|Int32, Utf8> column whose values are
 * either a fixed list above or a per-run list (host, vm, plugin, target: from the resolved scenario);
 * the writer picks Int8, Int16 or Int32 indices by the dictionary's size.
 * Nullable integer columns use -1 as the null sentinel in the model's arrays.
 */
export type ColumnType = 'i64' | 'u32' | 'i32' | 'u16' | 'i16' | 'u8' | 'bool' | 'utf8' | `dict:${string}`

export interface ColumnSpec {
  name: string
  type: ColumnType
  nullable: boolean
  description: string
}

/** Dictionaries that come from the run (scenario), not from this module. */
export const RUN_DICTIONARIES = ['host', 'vm', 'plugin', 'target'] as const
export type RunDictionaries = Record<(typeof RUN_DICTIONARIES)[number], string[]>

/** Fixed dictionaries by name. */
export const FIXED_DICTIONARIES: Record<string, readonly string[]> = {
  event: EVENT_NAMES,
  component: COMPONENTS,
  mode: MODES,
  ring: RINGS,
  side: SIDES,
  reason: REASONS,
  detail: DETAILS,
  dst_kind: ['unicast', 'multicast', 'broadcast'],
}

export const EVENT_COLUMNS: readonly ColumnSpec[] = [
  {name: 't_ns', type: 'i64', nullable: false, description: 'Simulated time in ns since the first frame of the capture'},
  {name: 'event', type: 'dict:event', nullable: false, description: 'Event name (see the event list)'},
  {name: 'component', type: 'dict:component', nullable: false, description: 'Component that emitted the event'},
  {name: 'packet_id', type: 'u32', nullable: true, description: 'Input frame (frames.packet_id); null for control events'},
  {name: 'replica', type: 'u16', nullable: true, description: 'Copy of the frame after replication: 0 before the first switch decision, then 1..n per destination'},
  {name: 'host', type: 'dict:host', nullable: true, description: 'Host where the event happened'},
  {name: 'vm', type: 'dict:vm', nullable: true, description: 'VM the event belongs to (sender for TX stages, receiver for RX stages)'},
  {name: 'mode', type: 'dict:mode', nullable: true, description: "The VM's data path mode at the event: passthrough or emulated"},
  {name: 'plugin', type: 'dict:plugin', nullable: true, description: 'Plugin (name@version) driving the data path for this event'},
  {name: 'queue', type: 'i16', nullable: true, description: 'Queue index on the device'},
  {name: 'ring', type: 'dict:ring', nullable: true, description: 'Descriptor ring: tx or rx'},
  {name: 'desc_idx', type: 'i16', nullable: true, description: 'Descriptor index in the ring (rings hold at most 8192 descriptors)'},
  {name: 'len', type: 'u32', nullable: true, description: 'Frame length in bytes on this hop (after VLAN insert/strip)'},
  {name: 'vlan', type: 'i16', nullable: true, description: 'VLAN id the frame carries on this hop; null when untagged'},
  {name: 'target', type: 'dict:target', nullable: true, description: 'Where a forward/deliver event sends the replica: a VM name, "pf" (the vSwitch side), "uplink" (the host\'s wire) or "external" (outside the modelled hosts)'},
  {name: 'reason', type: 'dict:reason', nullable: true, description: 'Why a frame was dropped or an operation refused'},
  {name: 'detail', type: 'dict:detail', nullable: true, description: 'Control operation of ctrl_* events; strategy of mig_begin/mig_end; phase of mig_phase_*'},
  {name: 'cpu_ns', type: 'u32', nullable: false, description: 'CPU time this event cost, in ns (0 for pure hardware or bookkeeping events)'},
  {name: 'side', type: 'dict:side', nullable: true, description: 'Whose CPU pays cpu_ns: guest, hypervisor or nic'},
  {name: 'aux', type: 'i64', nullable: true, description: 'Event-specific number (see the event list: occupancy, delay, latency...)'},
]

export const FRAME_COLUMNS: readonly ColumnSpec[] = [
  {name: 'packet_id', type: 'u32', nullable: false, description: 'Index of the frame in the capture (0-based, packet records only)'},
  {name: 't_ns', type: 'i64', nullable: false, description: 'Simulated time the frame entered the model (after pacing)'},
  {name: 'ts_sec', type: 'i64', nullable: false, description: 'Capture timestamp: seconds since the epoch'},
  {name: 'ts_nsec', type: 'u32', nullable: false, description: 'Capture timestamp: nanoseconds within the second'},
  {name: 'caplen', type: 'u32', nullable: false, description: 'Captured length'},
  {name: 'len', type: 'u32', nullable: false, description: 'Original length on the wire'},
  {name: 'src_mac', type: 'i64', nullable: false, description: 'Source MAC as a 48-bit integer (mac_str() formats it)'},
  {name: 'dst_mac', type: 'i64', nullable: false, description: 'Destination MAC as a 48-bit integer'},
  {name: 'dst_kind', type: 'dict:dst_kind', nullable: false, description: 'unicast, multicast or broadcast destination'},
  {name: 'vlan', type: 'i16', nullable: true, description: 'Outer VLAN id in the capture; null when untagged'},
  {name: 'inner_vlan', type: 'i16', nullable: true, description: 'Inner VLAN id (QinQ); null when absent'},
  {name: 'pcp', type: 'u8', nullable: true, description: 'Outer priority code point'},
  {name: 'ethertype', type: 'u16', nullable: false, description: 'Ethertype after the VLAN tags'},
  {name: 'src_vm', type: 'dict:vm', nullable: true, description: 'VM that sent the frame (its MAC is the source), null if it came from outside'},
  {name: 'host', type: 'dict:host', nullable: true, description: 'Host where the frame entered (the sending VM\'s host), null when it entered at the physical switch'},
]

export const CONFIG_COLUMNS: readonly ColumnSpec[] = [
  {name: 'vm', type: 'dict:vm', nullable: false, description: 'VM'},
  {name: 'host', type: 'dict:host', nullable: false, description: 'Host the VM runs on during the interval'},
  {name: 'mac', type: 'i64', nullable: false, description: 'VM MAC (48-bit integer)'},
  {name: 'vlan', type: 'i16', nullable: true, description: 'Port VLAN (inserted on TX, stripped on RX); null for none'},
  {name: 'vlans', type: 'utf8', nullable: false, description: 'Comma-separated VLANs the guest may tag itself (VLAN filter); empty for none'},
  {name: 'multicast', type: 'utf8', nullable: false, description: 'Comma-separated multicast MACs the VM listens to; "*" for all'},
  {name: 'promiscuous', type: 'bool', nullable: false, description: 'Port receives unknown unicast and all multicast of its VLANs'},
  {name: 'mode', type: 'dict:mode', nullable: false, description: 'passthrough or emulated'},
  {name: 'plugin', type: 'dict:plugin', nullable: true, description: 'Plugin driving the data path (name@version)'},
  {name: 'port', type: 'utf8', nullable: false, description: 'eswitch port: vf<N> in passthrough, pf (vSwitch) in emulated mode'},
  {name: 'valid_from_ns', type: 'i64', nullable: false, description: 'Start of the interval (simulated ns, inclusive)'},
  {name: 'valid_to_ns', type: 'i64', nullable: true, description: 'End of the interval (exclusive); null while still valid at the end of the run'},
]
