/**
 * The Shell API: everything a plugin may call, and the manifest every plugin carries.
 *
 * The RFC's split: the Shell owns buffers, interrupts and the guest stack; the Plugin only programs the
 * device rings ("TX and RX only by programming the hardware rings, along with buffer allocation and basic
 * initialization"). Here a plugin decides how many descriptors a frame takes, when to ring the doorbell,
 * how it reaps completions and refills RX buffers, and what its work costs the guest CPU. The shell turns
 * those calls into trace events and the device model (VF or vmxnet3 emulation) does the rest.
 *
 * A plugin module (built in, or a user's `--plugin-path my-plugin.js`) default-exports a PluginDefinition:
 *
 *   export default {
 *     manifest: {name: 'my-vf', version: '1.0.0', vendor: 'Me', licence: 'GPL-2.0-only',
 *                nics: ['intel-82599'], shellApi: '1.0', description: '...'},
 *     create(api) { return {init() {...}, xmit(q, len) {...}, poll(q, budget) {...}, timer(q) {}, quiesce() {}} },
 *   }
 *
 * Calls are synchronous and allocation-free; a plugin must not keep references to anything but `api`.
 */

/** The Shell API version this shell speaks. A plugin must declare the same major version. */
export const SHELL_API_VERSION = '1.0'

export interface PluginManifest {
  name: string
  version: string
  vendor: string
  /** Licence string as in a kernel module (`GPL`, `GPL v2`, `Dual BSD/GPL`) or an SPDX id (`GPL-2.0-only`). */
  licence: string
  /** NIC models this plugin drives (`vmxnet3` for the emulated device). */
  nics: string[]
  /** Shell API version the plugin was written against (`major.minor`). */
  shellApi: string
  description?: string
}

/** What a plugin asks for when it initialises the data path. */
export interface PluginRingConfig {
  /** TX descriptors in the ring. */
  txRing: number
  /** RX descriptors in the ring. */
  rxRing: number
}

export interface ShellApi {
  /** Current simulated time (ns) at the point of the call; advances as `cpu()` is charged. */
  readonly now: number
  /** Charge guest CPU time for plugin work (ns); moves `now` forward. */
  cpu(ns: number): void
  /** Post one TX descriptor for the frame being transmitted (`last` = end of packet). Returns false if the ring is full. */
  postTx(q: number, last: boolean): boolean
  /** Free TX descriptors in the ring. */
  txFree(q: number): number
  /** Descriptors posted since the last doorbell. */
  txPending(q: number): number
  /** Write the TX tail/producer register: makes pending descriptors visible to the device. */
  doorbellTx(q: number): void
  /** Reap TX descriptors the device wrote back; returns how many. */
  reapTx(q: number): number
  /** Index of the next written-back RX descriptor, or -1 if none is ready. */
  rxPeek(q: number): number
  /** Hand the next written-back RX descriptor's frame to the shell (which delivers it to the stack). */
  rxReceive(q: number): void
  /** Discard the next written-back RX descriptor's frame (e.g. an erratum); the reason goes into the trace. */
  rxDiscard(q: number, reason: 'erratum'): void
  /** RX descriptors free to be posted (reaped and not yet reposted). */
  rxFree(q: number): number
  /** Post `n` RX buffers and write the RX tail register once. */
  refillRx(q: number, n: number): void
  /** Ask for `timer(q)` to be called after `delayNs` (replaces a pending timer of this queue). */
  setTimer(q: number, delayNs: number): void
}

export interface PluginInstance {
  /** Initialise the data path: ring sizes. Called once after verification. */
  init(): PluginRingConfig
  /** Transmit one frame of `len` bytes (with `vlan` >= 0 when the guest tags it). */
  xmit(q: number, len: number, vlan: number): void
  /** Interrupt/poll pass: reap RX (≤ budget) and TX completions, refill RX. Returns RX frames processed. */
  poll(q: number, budget: number): number
  /** A timer set with `setTimer` expired. */
  timer(q: number): void
  /** Stop using the device (mode switch / migration): the shell reclaims what is left. */
  quiesce(): void
}

export interface PluginDefinition {
  manifest: PluginManifest
  create(api: ShellApi): PluginInstance
}

/** `name@version` of a manifest. */
export function pluginId(m: PluginManifest): string {
  return `${m.name}@${m.version}`
}
