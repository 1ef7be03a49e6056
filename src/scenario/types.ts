/**
 * The resolved scenario: what the model consumes after the YAML has been validated and defaults filled.
 * Times are integer ns of simulated time (0 = the capture's first frame); MACs are 48-bit integers.
 */

export type NicModel = 'intel-82599' | 'acme-x700' | 'none'
export type Mode = 'passthrough' | 'emulated'
export type Pacing =
  | {kind: 'original'}
  | {kind: 'speed'; factor: number}
  | {kind: 'pps'; pps: number}
  | {kind: 'topspeed'}

export interface HostSpec {
  name: string
  /** NIC model; 'none' is a host without SR-IOV (VMs there are always emulated). */
  nic: NicModel
  /** VFs the PF exposes (≤ 63 [IX-SRIOV]). */
  vfs: number
  /** Uplink rate, Gb/s. */
  linkGbps: number
}

export interface VmSpec {
  name: string
  mac: number
  host: string
  /** Port VLAN (pvid) set by the hypervisor, or null. */
  vlan: number | null
  /** VLANs the guest may tag itself (no pvid). */
  vlans: number[]
  /** Multicast MACs the VM listens to; 'all' = all-multicast. */
  multicast: number[] | 'all'
  promiscuous: boolean
  /** Mode the VM wants at start; it boots emulated and switches if a VF and plugin are available (RFC). */
  mode: Mode
  /** Plugin for passthrough, `name@version`; null = the host NIC's default plugin. */
  plugin: string | null
  /** NIC models the guest itself has drivers for (bonding strategy); default: its first host's NIC. */
  guestDrivers?: string[]
}

export interface PolicySpec {
  /** VM name or '*' for all. */
  vm: string
  allowMacChange: boolean
  allowVlanChange: boolean
  allowPromiscuous: boolean
  allowMulticast: boolean
}

export type OperationSpec =
  | {at: number; vm: string; op: 'mac'; mac: number}
  | {at: number; vm: string; op: 'vlan'; vlan: number | null}
  | {at: number; vm: string; op: 'multicast'; groups: number[] | 'all'}
  | {at: number; vm: string; op: 'promiscuous'; on: boolean}
  | {at: number; vm: string; op: 'mode'; mode: Mode}
  | {at: number; vm: string; op: 'migrate'; to: string; strategy: MigrationStrategy}
  | {at: number; vm: string; op: 'suspend'}
  | {at: number; vm: string; op: 'resume'}

export type MigrationStrategy = 'npa' | 'bonding' | 'uniform'

export interface Scenario {
  version: 1
  seed: number
  pacing: Pacing
  params: Partial<Record<string, number | boolean>>
  hosts: HostSpec[]
  vms: VmSpec[]
  policies: PolicySpec[]
  operations: OperationSpec[]
  /** Where the scenario came from: a file path, or 'derived from <capture>'. */
  source: string
}
