/**
 * A scenario derived from a capture (DESIGN §2 "Scenario", issue 3): the busiest unicast source
 * MACs become VMs on one host, in passthrough with the default plugin; every other MAC is external.
 *
 * - Count Ethernet frames per unicast source MAC (group bit clear, not all-zero). The top N by count
 *   (ties: lower MAC first) become VMs, named vm1..vmN in MAC order so names are stable.
 * - Host `host-a` (intel-82599 by default) with vfs = max(8, N) (≤ 63 [IX-SRIOV]).
 * - VLAN from the outer tag of the frames each VM sent: always the same VID → port VLAN (`vlan`);
 *   several VIDs, or tagged and untagged frames mixed → guest-tagged `vlans` (untagged traffic is
 *   allowed without a port VLAN); never tagged → none. VID 0 (priority tag) and 4095 count as untagged.
 * - Multicast: the most frequent multicast destinations in the whole capture (broadcast excluded),
 *   at most 30 — what a VF can program [IX-H] (vf_max_mc_hashes) — given to every VM, since the
 *   capture cannot tell which VM joined which group.
 *
 * The capture is streamed with one reused frame and L2Info: per frame, only Map lookups on number
 * keys and typed-array writes (a new source MAC or a new VID for a MAC allocates, nothing else).
 */
import {openCapture} from '../capture/reader.js'
import {decodeL2, LINKTYPE_ETHERNET, newL2Info} from '../capture/ethernet.js'
import {UserError} from '../errors.js'
import {DEFAULT_HOST, DEFAULT_POLICY, DEFAULT_VFS, MAX_VFS, PLUGIN_RE, VF_MAX_MC_HASHES} from './schema.js'
import {DEFAULT_PARAMS} from '../model/params.js'
import type {Mode, NicModel, Scenario, VmSpec} from './types.js'

export interface DeriveOptions {
  /** How many sources become VMs (default 8, at most 63). */
  vms?: number
  /** Host name (default host-a). */
  host?: string
  /** Host NIC model (default intel-82599). */
  nic?: NicModel
  /** Plugin for every VM, `name@x.y.z`; null/undefined = the NIC's default. */
  plugin?: string | null
  /** Mode for every VM (default passthrough). */
  mode?: Mode
  seed?: number
}

export interface DeriveStats {
  /** Packet records read, and those that were decodable Ethernet frames. */
  frames: number
  ethernetFrames: number
  /** Distinct unicast source MACs. */
  unicastSources: number
  /** Frames sent by the VMs (sum) and per VM, in VM order. */
  vmFrames: number
  perVm: {name: string; mac: number; frames: number}[]
  /** Distinct multicast destinations seen; how many were kept (≤ 30). */
  multicastGroupsSeen: number
  multicastGroupsKept: number
}

export function deriveScenario(capturePath: string, opts: DeriveOptions = {}): Scenario {
  return deriveScenarioDetailed(capturePath, opts).scenario
}

export function deriveScenarioDetailed(capturePath: string, opts: DeriveOptions = {}): {scenario: Scenario; stats: DeriveStats} {
  const n = opts.vms ?? 8
  if (!Number.isInteger(n) || n < 0 || n > MAX_VFS) {
    throw new UserError(`--vms ${n}: expected 0..${MAX_VFS} (one host has at most ${MAX_VFS} VFs [IX-SRIOV])`)
  }
  const plugin = opts.plugin ?? null
  if (plugin !== null && !PLUGIN_RE.test(plugin)) {
    throw new UserError(`plugin "${plugin}": expected name@x.y.z, e.g. ixgbevf@1.1.0`)
  }
  const hostName = opts.host ?? DEFAULT_HOST
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(hostName)) {
    throw new UserError(`host "${hostName}": expected a name (a letter, then letters, digits, "_", "." or "-")`)
  }
  const nic: NicModel = opts.nic ?? 'intel-82599'
  const seed = opts.seed ?? 1

  // --- stream the capture
  const srcIndex = new Map<number, number>() // source MAC → slot
  let cap = 1024
  let macs = new Float64Array(cap)
  let counts = new Float64Array(cap)
  let firstVid = new Int16Array(cap) // 0 = no tagged frame yet
  let untagged = new Uint8Array(cap)
  const moreVids = new Map<number, Set<number>>() // slot → further VIDs (rare)
  const mcCounts = new Map<number, number>()
  let frames = 0
  let eth = 0
  let otherLinktype = -1

  const reader = openCapture(capturePath)
  try {
    const l2 = newL2Info()
    for (let f = reader.next(); f !== null; f = reader.next()) {
      frames++
      if (f.linktype !== LINKTYPE_ETHERNET) {
        if (otherLinktype < 0) otherLinktype = f.linktype
        continue
      }
      if (!decodeL2(f.data, l2)) continue
      eth++
      if (l2.isMulticast) mcCounts.set(l2.dst, (mcCounts.get(l2.dst) ?? 0) + 1)
      const src = l2.src
      if (src === 0 || ((src / 0x10000000000) & 1) === 1) continue // not a unicast source
      let slot = srcIndex.get(src)
      if (slot === undefined) {
        slot = srcIndex.size
        if (slot === cap) {
          cap *= 2
          macs = grow(macs, cap)
          counts = grow(counts, cap)
          firstVid = grow(firstVid, cap)
          untagged = grow(untagged, cap)
        }
        srcIndex.set(src, slot)
        macs[slot] = src
      }
      counts[slot]++
      const vid = l2.outerVid
      if (vid <= 0 || vid === 4095) untagged[slot] = 1
      else if (firstVid[slot] === 0) firstVid[slot] = vid
      else if (firstVid[slot] !== vid) {
        let set = moreVids.get(slot)
        if (set === undefined) moreVids.set(slot, (set = new Set()))
        set.add(vid)
      }
    }
    if (eth === 0 && frames === 0) {
      const lt = reader.interfaces.find((i) => i.linktype !== LINKTYPE_ETHERNET)?.linktype
      if (lt !== undefined && !reader.interfaces.some((i) => i.linktype === LINKTYPE_ETHERNET)) otherLinktype = lt
    }
  } finally {
    reader.close()
  }
  if (eth === 0 && otherLinktype >= 0) {
    throw new UserError(`${capturePath}: not an Ethernet capture (linktype ${otherLinktype}): replay models Ethernet only; inspect still works`)
  }

  // --- pick the VMs: count desc, MAC asc; then name them in MAC order
  const slots = Array.from({length: srcIndex.size}, (_, i) => i)
  slots.sort((a, b) => counts[b] - counts[a] || macs[a] - macs[b])
  const chosen = slots.slice(0, n).sort((a, b) => macs[a] - macs[b])

  const groups = [...mcCounts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, VF_MAX_MC_HASHES)
    .map(([mac]) => mac)
    .sort((a, b) => a - b)

  const vms: VmSpec[] = chosen.map((slot, i) => {
    const vids = new Set<number>()
    if (firstVid[slot] !== 0) vids.add(firstVid[slot])
    for (const v of moreVids.get(slot) ?? []) vids.add(v)
    const sorted = [...vids].sort((a, b) => a - b)
    const portVlan = sorted.length === 1 && untagged[slot] === 0
    return {
      name: `vm${i + 1}`,
      mac: macs[slot],
      host: hostName,
      vlan: portVlan ? sorted[0] : null,
      vlans: portVlan ? [] : sorted,
      multicast: [...groups],
      promiscuous: false,
      mode: opts.mode ?? 'passthrough',
      plugin,
    }
  })

  const scenario: Scenario = {
    version: 1,
    seed,
    pacing: {kind: 'original'},
    params: {},
    hosts: [{name: hostName, nic, vfs: nic === 'none' ? 0 : Math.min(MAX_VFS, Math.max(DEFAULT_VFS, n)), linkGbps: DEFAULT_PARAMS.link_gbps}],
    vms,
    policies: [{vm: '*', ...DEFAULT_POLICY}],
    operations: [],
    source: `derived from ${capturePath}`,
  }
  const perVm = vms.map((vm, i) => ({name: vm.name, mac: vm.mac, frames: counts[chosen[i]]}))
  return {
    scenario,
    stats: {
      frames,
      ethernetFrames: eth,
      unicastSources: srcIndex.size,
      vmFrames: perVm.reduce((s, v) => s + v.frames, 0),
      perVm,
      multicastGroupsSeen: mcCounts.size,
      multicastGroupsKept: groups.length,
    },
  }
}

function grow<T extends Float64Array | Int16Array | Uint8Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap)
  b.set(a)
  return b
}

/** Header comment for `scenario init`: where the scenario came from and how it was derived. */
export function derivationHeader(capturePath: string, s: Scenario, st: DeriveStats): string {
  const pct = st.ethernetFrames ? ((100 * st.vmFrames) / st.ethernetFrames).toFixed(1) : '0.0'
  const host = s.hosts[0]
  return [
    `Scenario derived from ${capturePath} by \`npa-trace scenario init\`.`,
    `The ${s.vms.length} busiest of ${st.unicastSources} unicast source MACs (${st.vmFrames} of ${st.ethernetFrames} Ethernet frames, ${pct}%)`,
    `became VMs on ${host.name} (${host.nic}); every other MAC is external.`,
    `VLAN: the same VID on all of a VM's frames -> port VLAN (vlan:); several VIDs, or tagged and`,
    `untagged mixed -> guest-tagged VLANs (vlans:).`,
    `Multicast: the ${st.multicastGroupsKept} most frequent of ${st.multicastGroupsSeen} multicast destinations (a VF holds ${VF_MAX_MC_HASHES}), for every VM.`,
    `A VM without plugin: gets the NIC's default plugin. Check an edited copy with \`npa-trace scenario validate\`.`,
  ].join('\n')
}
