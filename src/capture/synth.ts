/**
 * `capture synth`: a deterministic traffic generator. Same options (seed included) → byte-identical file;
 * nothing depends on the clock or the platform (integer-ns timestamps from a fixed start, a 32-bit PRNG).
 *
 * The capture is what a tap on the wire / vSwitch of one host would see:
 * - VMs `vm1..vmN` have MACs 02:00:00:00:00:01.. and IPs 10.0.0.1..; externals 02:ee:00:00:00:01.. and
 *   172.16.0.1.. (all locally administered unicast; the index sits in the low 24 bits of the MAC).
 * - round(vlanShare × N) VMs (the last ones) sit on VLANs from {10, 20, 30}, assigned round-robin over at most
 *   ⌊k/2⌋ VLANs so every VLAN has at least two members; the others are untagged. Every frame to or from a VM
 *   carries that VM's VLAN (802.1Q, TPID 0x8100, PCP 0); VM→VM frames stay inside one VLAN (or both untagged).
 * - Each frame is, by share of all frames: broadcast (any host, to ff:ff:ff:ff:ff:ff), multicast (any host, to
 *   one of a few IPv4 groups), VM→VM unicast, and the rest VM↔external unicast, half in each direction.
 *   Broadcast/multicast from an external carry the VLAN of a VM picked at random (so they land where VMs live).
 * - Frames are Ethernet + IPv4 (valid header checksum, DF) + UDP (checksum 0 = none, allowed for IPv4). The UDP
 *   payload starts with the frame index (uint32 big-endian) followed by a fixed byte pattern.
 * - Sizes are Ethernet frame lengths including the 4-byte FCS, before any VLAN tag: caplen = origlen = size − 4
 *   for an untagged frame, size for a tagged one (the tag adds 4 B: 1518 → 1522 on the wire, as a port-VLAN
 *   insert does; max_frame / max_frame_vlan 1518 / 1522 [PM-ETH; 82599-SU]). No FCS is captured.
 */
import {Rng} from '../sim/rng.js'
import {unlinkSync} from 'node:fs'
import {UserError} from '../errors.js'
import type {CaptureFormat} from './types.js'
import {CaptureWriter, formatFromPath} from './writer.js'

export type Arrival = 'exp' | 'const'

export interface SynthOptions {
  /** PRNG seed, an integer 0..2^53−1. Default 1. */
  seed?: number
  /** Frames to generate. Default 10000. */
  frames?: number
  /** Number of VMs (1..65535). Default 8. */
  vms?: number
  /** Number of external hosts (0..65535). Default 4. */
  externals?: number
  /** Share of the VMs on a VLAN (0..1). Default 0.5. */
  vlanShare?: number
  /** Share of all frames that are VM→VM unicast. Default 0.5 (the issue-3 benchmark mix). */
  vmToVmShare?: number
  /** Share of all frames that are broadcast. Default 0.01. */
  broadcastShare?: number
  /** Share of all frames that are multicast. Default 0.02. */
  multicastShare?: number
  /** "imix" (64/594/1518 in 7:4:1), "fixed:N" or "uniform:A-B"; frame sizes 64..9018 incl. FCS. Default "imix". */
  sizes?: string
  /** Mean frame rate, frames per second (integer 1..1e9). Default 100000. */
  pps?: number
  /** Inter-arrival times: exponential (Poisson arrivals) or constant. Default "exp". */
  arrival?: Arrival
  /** Timestamp of the first frame: ISO 8601 string or ms since the epoch. Default 2024-01-01T00:00:00Z. */
  start?: string | number
  /** pcap or pcapng. `synthesize` infers it from the file extension when absent; `synthesizeToBuffer` uses pcap. */
  format?: CaptureFormat
  /** Nanosecond timestamps (pcap ns magic / pcapng if_tsresol 9). Default false (µs). */
  nanosecond?: boolean
}

export interface ResolvedSynthOptions {
  seed: number
  frames: number
  vms: number
  externals: number
  vlanShare: number
  vmToVmShare: number
  broadcastShare: number
  multicastShare: number
  sizes: string
  pps: number
  arrival: Arrival
  start: string
  format: CaptureFormat
  nanosecond: boolean
}

export interface SynthHost {
  name: string
  mac: string
  ip: string
  /** 802.1Q VLAN id, or null when untagged. */
  vlan: number | null
}

export interface SynthSummary {
  path: string
  format: CaptureFormat
  nanosecond: boolean
  seed: number
  frames: number
  /** Captured (= original) bytes of all frames. */
  bytes: number
  fileBytes: number
  vms: SynthHost[]
  externals: string[]
  vlans: number[]
  counts: {vmToVm: number; vmToExternal: number; externalToVm: number; broadcast: number; multicast: number; tagged: number}
  /** First frame's timestamp, ns since the epoch, decimal string (exact). */
  firstTimestampNs: string
  /** Last minus first timestamp, ns. */
  durationNs: number
  options: ResolvedSynthOptions
}

export const SYNTH_DEFAULTS: Omit<ResolvedSynthOptions, 'format'> = {
  seed: 1,
  frames: 10_000,
  vms: 8,
  externals: 4,
  vlanShare: 0.5,
  vmToVmShare: 0.5,
  broadcastShare: 0.01,
  multicastShare: 0.02,
  sizes: 'imix',
  pps: 100_000,
  arrival: 'exp',
  start: '2024-01-01T00:00:00.000Z',
  nanosecond: false,
}

/** VLAN ids handed to VMs, in order. */
export const SYNTH_VLANS = [10, 20, 30] as const
/** IPv4 multicast groups (MAC, IP, UDP port): all-hosts, mDNS, SSDP. */
const MCAST_GROUPS = [
  {mac: 0x01005e000001, ip: 0xe0000001, port: 9},
  {mac: 0x01005e0000fb, ip: 0xe00000fb, port: 5353},
  {mac: 0x01005e7ffffa, ip: 0xeffffffa, port: 1900},
]
const VM_MAC_BASE = 0x020000000000
const EXT_MAC_BASE = 0x02ee00000000
const VM_IP_BASE = 0x0a000000 // 10.0.0.0/8
const EXT_IP_BASE = 0xac100000 // 172.16.0.0/12
const BROADCAST_IP = 0xffffffff
const TWO32 = 4_294_967_296
/** Smallest and largest frame incl. FCS: Ethernet minimum 64, jumbo_max 9018 [PM-ETH; 82599-SU]. */
const MIN_FRAME = 64
const MAX_FRAME = 9018

/**
 * The generator's random stream: the project's sfc32 (src/sim/rng.ts), seeded the way capture synth
 * always was (fixed words + the seed's two halves), so a seed keeps producing the same file.
 */
export function synthRng(seed: number): Rng {
  return Rng.fromState(`synth/${seed}`, 0x9e3779b9, 0x243f6a88, Math.floor(seed / TWO32) | 0, seed >>> 0)
}

/** Validates options, fills defaults; throws UserError naming the option (and its command flag). */
export function resolveSynthOptions(opts: SynthOptions, path?: string): ResolvedSynthOptions {
  const d = SYNTH_DEFAULTS
  const int = (v: number | undefined, def: number, name: string, flag: string, min: number, max: number): number => {
    const x = v ?? def
    if (!Number.isInteger(x) || x < min || x > max) throw new UserError(`${name} (--${flag}) must be an integer from ${min} to ${max}, got ${x}`)
    return x
  }
  const share = (v: number | undefined, def: number, name: string, flag: string): number => {
    const x = v ?? def
    if (!(typeof x === 'number' && x >= 0 && x <= 1)) throw new UserError(`${name} (--${flag}) must be a share from 0 to 1, got ${x}`)
    return x
  }
  const seed = int(opts.seed, d.seed, 'seed', 'seed', 0, Number.MAX_SAFE_INTEGER)
  const frames = int(opts.frames, d.frames, 'frames', 'frames', 0, 2 ** 32 - 1)
  const vms = int(opts.vms, d.vms, 'vms', 'vms', 1, 65_535)
  const externals = int(opts.externals, d.externals, 'externals', 'externals', 0, 65_535)
  const pps = int(opts.pps, d.pps, 'pps', 'pps', 1, 1e9)
  const vlanShare = share(opts.vlanShare, d.vlanShare, 'vlanShare', 'vlan-share')
  const vmToVmShare = share(opts.vmToVmShare, d.vmToVmShare, 'vmToVmShare', 'vm-to-vm')
  const broadcastShare = share(opts.broadcastShare, d.broadcastShare, 'broadcastShare', 'broadcast')
  const multicastShare = share(opts.multicastShare, d.multicastShare, 'multicastShare', 'multicast')
  const rest = 1 - vmToVmShare - broadcastShare - multicastShare
  if (rest < -1e-9) {
    throw new UserError(`--vm-to-vm + --broadcast + --multicast add up to ${(1 - rest).toFixed(4)}, more than 1`, {hint: 'the rest of the frames are VM<->external'})
  }
  if (rest > 1e-9 && externals === 0) {
    throw new UserError(`${rest.toFixed(4)} of the frames would be VM<->external but --externals is 0`, {hint: 'add externals or make --vm-to-vm + --broadcast + --multicast add up to 1'})
  }
  const sizes = opts.sizes ?? d.sizes
  parseSizes(sizes)
  const arrival = opts.arrival ?? d.arrival
  if (arrival !== 'exp' && arrival !== 'const') throw new UserError(`arrival (--arrival) must be exp or const, got ${String(arrival)}`)
  const startMs = typeof opts.start === 'number' ? opts.start : Date.parse(opts.start ?? d.start)
  if (!Number.isInteger(startMs) || startMs < 0 || startMs >= 2 ** 32 * 1000) {
    throw new UserError(`start (--start) must be an ISO 8601 time from 1970 to 2106, got ${String(opts.start)}`, {hint: 'e.g. 2024-01-01T00:00:00Z'})
  }
  let format = opts.format
  if (format === undefined && path !== undefined) {
    const f = formatFromPath(path)
    if (f === null) throw new UserError(`${path}: cannot tell the capture format from the file name`, {hint: 'use a .pcap or .pcapng extension, or --format'})
    format = f
  }
  format ??= 'pcap'
  if (format !== 'pcap' && format !== 'pcapng') throw new UserError(`format (--format) must be pcap or pcapng, got ${String(format)}`)
  return {
    seed, frames, vms, externals, vlanShare, vmToVmShare, broadcastShare, multicastShare, sizes, pps, arrival,
    start: new Date(startMs).toISOString(), format, nanosecond: opts.nanosecond ?? d.nanosecond,
  }
}

/** A size distribution: `values[i]` chosen with cumulative probability `cum[i]`, or uniform in [lo, hi]. */
export interface SizeMix {
  uniform: boolean
  lo: number
  hi: number
  values: number[]
  cum: number[]
}

/** Parses "imix", "fixed:N", "uniform:A-B" (frame sizes incl. FCS, 64..9018). */
export function parseSizes(spec: string): SizeMix {
  const bad = (why: string): never => {
    throw new UserError(`sizes (--sizes) "${spec}": ${why}`, {hint: 'use imix, fixed:N or uniform:A-B with sizes from 64 to 9018 (incl. FCS)'})
  }
  const size = (s: string): number => {
    if (!/^\d+$/.test(s)) bad(`"${s}" is not a frame size`)
    const n = Number(s)
    if (n < MIN_FRAME || n > MAX_FRAME) bad(`${n} is outside 64..9018`)
    return n
  }
  const t = spec.trim().toLowerCase()
  // Simple IMIX: 7 × 64 B, 4 × 594 B, 1 × 1518 B (the common "7:4:1" mix).
  if (t === 'imix') return {uniform: false, lo: 64, hi: 1518, values: [64, 594, 1518], cum: [7 / 12, 11 / 12, 1]}
  let m = /^fixed:(.+)$/.exec(t)
  if (m) {
    const n = size(m[1])
    return {uniform: false, lo: n, hi: n, values: [n], cum: [1]}
  }
  m = /^uniform:([^-]+)-(.+)$/.exec(t)
  if (m) {
    const lo = size(m[1])
    const hi = size(m[2])
    if (lo > hi) bad(`${lo} > ${hi}`)
    return {uniform: true, lo, hi, values: [], cum: []}
  }
  return bad('unknown form')
}

export function vmMac(i: number): number {
  return VM_MAC_BASE + i + 1
}

export function externalMac(i: number): number {
  return EXT_MAC_BASE + i + 1
}

function macString(mac: number): string {
  const hex = mac.toString(16).padStart(12, '0')
  return hex.replace(/(..)(?!$)/g, '$1:')
}

function ipString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`
}

/** The hosts a resolved option set produces (also in the summary). */
export function synthHosts(o: Pick<ResolvedSynthOptions, 'vms' | 'externals' | 'vlanShare'>): {vms: SynthHost[]; externals: SynthHost[]; vlans: number[]} {
  const tagged = Math.round(o.vlanShare * o.vms)
  const nVlans = Math.min(SYNTH_VLANS.length, Math.max(1, Math.floor(tagged / 2)))
  const vms: SynthHost[] = []
  for (let i = 0; i < o.vms; i++) {
    const k = i - (o.vms - tagged)
    vms.push({name: `vm${i + 1}`, mac: macString(vmMac(i)), ip: ipString(VM_IP_BASE + i + 1), vlan: k >= 0 ? SYNTH_VLANS[k % nVlans] : null})
  }
  const externals: SynthHost[] = []
  for (let i = 0; i < o.externals; i++) {
    externals.push({name: `ext${i + 1}`, mac: macString(externalMac(i)), ip: ipString(EXT_IP_BASE + i + 1), vlan: null})
  }
  const vlans = tagged > 0 ? SYNTH_VLANS.slice(0, nVlans) : []
  return {vms, externals, vlans: [...vlans]}
}

/** Writes a synthetic capture to `path`; on failure the partial file is removed. */
export function synthesize(opts: SynthOptions, path: string): SynthSummary {
  const o = resolveSynthOptions(opts, path)
  const w = new CaptureWriter(path, writerOptions(o))
  try {
    const s = generate(o, w)
    w.close()
    s.fileBytes = w.fileBytes
    s.path = path
    return s
  } catch (error) {
    w.abort()
    try {
      unlinkSync(path)
    } catch {
      // nothing to clean up
    }
    throw error
  }
}

/** The same capture in memory (tests). Format defaults to pcap. */
export function synthesizeToBuffer(opts: SynthOptions): {buffer: Buffer; summary: SynthSummary} {
  const o = resolveSynthOptions(opts)
  const w = CaptureWriter.inMemory(writerOptions(o))
  const summary = generate(o, w)
  const buffer = w.toBuffer()
  summary.fileBytes = buffer.length
  return {buffer, summary}
}

function writerOptions(o: ResolvedSynthOptions) {
  // The comment records how the file was made; it is fixed by the options, so output stays deterministic.
  return {format: o.format, nanosecond: o.nanosecond, linktype: 1, userAppl: 'npa-trace capture synth', comment: `npa-trace capture synth ${JSON.stringify(o)}`}
}

/** Kinds of frame, in the order the share thresholds are tested. */
const K_BCAST = 0
const K_MCAST = 1
const K_VMVM = 2
const K_VM_EXT = 3
const K_EXT_VM = 4

function generate(o: ResolvedSynthOptions, w: CaptureWriter): SynthSummary {
  const rng = synthRng(o.seed)
  const hosts = synthHosts(o)
  const nVm = o.vms
  const nExt = o.externals
  const nHosts = nVm + nExt

  // Per-host tables (VMs first, then externals): MAC halves, IP, VLAN (-1 untagged), UDP port.
  const macHi = new Uint16Array(nHosts)
  const macLo = new Uint32Array(nHosts)
  const ip = new Uint32Array(nHosts)
  const vlan = new Int32Array(nHosts).fill(-1)
  for (let i = 0; i < nHosts; i++) {
    const mac = i < nVm ? vmMac(i) : externalMac(i - nVm)
    macHi[i] = Math.floor(mac / TWO32)
    macLo[i] = mac % TWO32
    ip[i] = i < nVm ? VM_IP_BASE + i + 1 : EXT_IP_BASE + i - nVm + 1
    if (i < nVm && hosts.vms[i].vlan !== null) vlan[i] = hosts.vms[i].vlan as number
  }
  // VLAN groups (untagged counts as one): members listed contiguously, each VM knows its group and position.
  const groupKeys = [...new Set(Array.from(vlan.subarray(0, nVm)))]
  const members = new Int32Array(nVm)
  const groupStart = new Int32Array(groupKeys.length)
  const groupSize = new Int32Array(groupKeys.length)
  const groupOf = new Int32Array(nVm)
  const posInGroup = new Int32Array(nVm)
  let fill = 0
  for (let g = 0; g < groupKeys.length; g++) {
    groupStart[g] = fill
    for (let i = 0; i < nVm; i++) {
      if (vlan[i] !== groupKeys[g]) continue
      groupOf[i] = g
      posInGroup[i] = fill - groupStart[g]
      members[fill++] = i
    }
    groupSize[g] = fill - groupStart[g]
  }
  // VM→VM sources: VMs with at least one same-VLAN peer.
  const peered: number[] = []
  for (let i = 0; i < nVm; i++) if (groupSize[groupOf[i]] >= 2) peered.push(i)
  const vmvmSources = Int32Array.from(peered)
  if (o.vmToVmShare > 0 && vmvmSources.length === 0) {
    throw new UserError(`--vm-to-vm ${o.vmToVmShare} needs two VMs on the same VLAN, but no VLAN has two`, {hint: 'add VMs, change --vlan-share, or use --vm-to-vm 0'})
  }

  const tBcast = o.broadcastShare
  const tMcast = tBcast + o.multicastShare
  // With no externals the shares add up to 1; never let float rounding pick a VM↔external frame.
  const tVmvm = nExt === 0 ? 2 : tMcast + o.vmToVmShare
  const mix = parseSizes(o.sizes)
  const sizeVals = Float64Array.from(mix.values)
  const sizeCum = Float64Array.from(mix.cum)
  const nSizes = sizeVals.length
  const uniformSizes = mix.uniform
  const sizeLo = mix.lo
  const sizeSpan = mix.hi - mix.lo + 1

  // Payload after the frame index: a fixed pattern, copied from views made once per payload length.
  const pattern = new Uint8Array(MAX_FRAME + 4)
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 7 + 0x5a) & 0xff
  const patternViews: Uint8Array[] = []

  // Time: integer ns since the first frame, kept as (second, ns-in-second) for the record headers.
  const startMs = Date.parse(o.start)
  let sec = Math.floor(startMs / 1000)
  let nsec = (startMs % 1000) * 1e6
  const firstTimestampNs = BigInt(sec) * 1_000_000_000n + BigInt(nsec)
  const constArrival = o.arrival === 'const'
  const gapBase = Math.floor(1e9 / o.pps)
  const gapRem = 1e9 % o.pps
  const meanGap = 1e9 / o.pps
  let remAcc = 0
  let elapsed = 0

  let cBcast = 0
  let cMcast = 0
  let cVmvm = 0
  let cVmExt = 0
  let cExtVm = 0
  let cTagged = 0
  let bytes = 0
  const out = w.bytes
  const frames = o.frames

  for (let f = 0; f < frames; f++) {
    if (f > 0) {
      let gap: number
      if (constArrival) {
        gap = gapBase
        remAcc += gapRem
        if (remAcc >= o.pps) {
          remAcc -= o.pps
          gap++
        }
      } else {
        gap = Math.round(-Math.log((rng.nextU32() + 1) / TWO32) * meanGap)
      }
      elapsed += gap
      nsec += gap
      while (nsec >= 1e9) {
        nsec -= 1e9
        sec++
      }
    }

    // Kind, source, destination, VLAN.
    const u = rng.next()
    const kind = u < tBcast ? K_BCAST : u < tMcast ? K_MCAST : u < tVmvm ? K_VMVM : rng.nextU32() & 1 ? K_EXT_VM : K_VM_EXT
    let src: number
    let dst = -1
    let tag: number
    let group = 0
    if (kind === K_VMVM) {
      src = vmvmSources[(rng.next() * vmvmSources.length) | 0]
      const g = groupOf[src]
      let k = (rng.next() * (groupSize[g] - 1)) | 0
      if (k >= posInGroup[src]) k++
      dst = members[groupStart[g] + k]
      tag = vlan[src]
      cVmvm++
    } else if (kind === K_VM_EXT) {
      src = (rng.next() * nVm) | 0
      dst = nVm + ((rng.next() * nExt) | 0)
      tag = vlan[src]
      cVmExt++
    } else if (kind === K_EXT_VM) {
      src = nVm + ((rng.next() * nExt) | 0)
      dst = (rng.next() * nVm) | 0
      tag = vlan[dst]
      cExtVm++
    } else {
      src = (rng.next() * nHosts) | 0
      tag = src < nVm ? vlan[src] : vlan[(rng.next() * nVm) | 0]
      if (kind === K_MCAST) {
        group = (rng.next() * MCAST_GROUPS.length) | 0
        cMcast++
      } else {
        cBcast++
      }
    }

    // Size.
    let size: number
    if (uniformSizes) {
      size = sizeLo + ((rng.next() * sizeSpan) | 0)
    } else if (nSizes === 1) {
      size = sizeVals[0]
    } else {
      const r = rng.next()
      let i = 0
      while (i < nSizes - 1 && r >= sizeCum[i]) i++
      size = sizeVals[i]
    }
    const tagged = tag >= 0
    const caplen = size - 4 + (tagged ? 4 : 0)
    bytes += caplen
    if (tagged) cTagged++

    // Ethernet.
    const p = w.beginRecord(sec, nsec, caplen, caplen)
    let dstIp: number
    let dstPort: number
    if (dst >= 0) {
      writeMac(out, p, macHi[dst], macLo[dst])
      dstIp = ip[dst]
      dstPort = 1024 + (dst % 64_000)
    } else if (kind === K_BCAST) {
      writeMac(out, p, 0xffff, 0xffffffff)
      dstIp = BROADCAST_IP
      dstPort = 9
    } else {
      const gr = MCAST_GROUPS[group]
      writeMac(out, p, Math.floor(gr.mac / TWO32), gr.mac % TWO32)
      dstIp = gr.ip
      dstPort = gr.port
    }
    writeMac(out, p + 6, macHi[src], macLo[src])
    let q = p + 12
    if (tagged) {
      out[q] = 0x81
      out[q + 1] = 0x00
      out[q + 2] = tag >>> 8 // PCP 0, DEI 0
      out[q + 3] = tag & 0xff
      q += 4
    }
    out[q] = 0x08
    out[q + 1] = 0x00
    q += 2

    // IPv4: 0x4500, total length, id, DF, TTL 64 / UDP, checksum, source, destination.
    const ipLen = caplen - (q - p)
    const id = f & 0xffff
    const sIp = ip[src]
    let sum = 0x4500 + ipLen + id + 0x4000 + 0x4011 + (sIp >>> 16) + (sIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff)
    sum = (sum & 0xffff) + (sum >>> 16)
    sum = (sum & 0xffff) + (sum >>> 16)
    const csum = ~sum & 0xffff
    put16(out, q, 0x4500)
    put16(out, q + 2, ipLen)
    put16(out, q + 4, id)
    put16(out, q + 6, 0x4000)
    put16(out, q + 8, 0x4011)
    put16(out, q + 10, csum)
    put32(out, q + 12, sIp)
    put32(out, q + 16, dstIp)
    q += 20
    // UDP: ports, length, checksum 0 (none).
    put16(out, q, 1024 + (src % 64_000))
    put16(out, q + 2, dstPort)
    put16(out, q + 4, ipLen - 20)
    put16(out, q + 6, 0)
    q += 8
    put32(out, q, f)
    q += 4
    const rest = p + caplen - q
    let view = patternViews[rest]
    if (view === undefined) view = patternViews[rest] = pattern.subarray(0, rest)
    out.set(view, q)
    w.endRecord()
  }

  return {
    path: '<memory>',
    format: o.format,
    nanosecond: o.nanosecond,
    seed: o.seed,
    frames,
    bytes,
    fileBytes: 0,
    vms: hosts.vms,
    externals: hosts.externals.map((h) => h.mac),
    vlans: hosts.vlans,
    counts: {vmToVm: cVmvm, vmToExternal: cVmExt, externalToVm: cExtVm, broadcast: cBcast, multicast: cMcast, tagged: cTagged},
    firstTimestampNs: firstTimestampNs.toString(),
    durationNs: elapsed,
    options: o,
  }
}

function writeMac(b: Uint8Array, p: number, hi: number, lo: number): void {
  b[p] = hi >>> 8
  b[p + 1] = hi & 0xff
  b[p + 2] = lo >>> 24
  b[p + 3] = (lo >>> 16) & 0xff
  b[p + 4] = (lo >>> 8) & 0xff
  b[p + 5] = lo & 0xff
}

function put16(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 8
  b[p + 1] = v & 0xff
}

function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24
  b[p + 1] = (v >>> 16) & 0xff
  b[p + 2] = (v >>> 8) & 0xff
  b[p + 3] = v & 0xff
}
