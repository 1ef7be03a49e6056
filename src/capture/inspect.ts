/**
 * `npa-trace inspect`: what capinfos would say about a capture, plus the L2 facts the replay
 * cares about (VLAN tags, broadcast / multicast, frames per source MAC). One pass, flat memory.
 */
import {CaptureFormatError, UserError, formatUserError} from '../errors.js'
import {LINKTYPE_ETHERNET, decodeL2At, macToString, newL2Info} from './ethernet.js'
import {openCapture, sniffFormat, type CaptureReader} from './reader.js'
import {tsDiffNs, tsToIso, tsToString} from './timestamp.js'
import type {CaptureFormat} from './types.js'

export interface InspectInterface {
  /** Index across the file; `section` and `sectionId` locate it in its pcapng section. */
  id: number
  section: number
  sectionId: number
  linktype: number
  linktypeName: string
  snaplen: number
  /** "µs", "ns", "10^-3 s", "2^-20 s", ... */
  timestampResolution: string
  tsOffsetSec: number
  name?: string
  frames: number
}

export interface InspectResult {
  file: string
  format: CaptureFormat | null
  /** LINKTYPE of the first interface (null when the file has none). */
  linktype: number | null
  frames: number
  capturedBytes: number
  originalBytes: number
  /** Integer nanoseconds since the epoch as decimal strings, first / last timestamped frame in file order. */
  firstTimestampNs: string | null
  lastTimestampNs: string | null
  /** Ethernet frames with at least one 802.1Q / 802.1ad tag in the outer header. */
  vlanTaggedFrames: number
  broadcastFrames: number
  /** Destination group bit set, broadcast excluded. */
  multicastFrames: number
  /** Frames per source MAC (Ethernet frames only), by count then address. */
  sources: Record<string, number>
  // Extra facts
  linktypeName: string | null
  fileSize: number
  byteOrder: 'little-endian' | 'big-endian' | null
  version: string | null
  sections: number
  interfaces: InspectInterface[]
  /** lastTimestamp - firstTimestamp in ns (exact below 2^53 ns, about 104 days). */
  durationNs: number | null
  ethernetFrames: number
  /** Ethernet frames with two or more stacked tags. */
  qinqFrames: number
  unicastFrames: number
  /** Frames too short for an Ethernet header on an Ethernet interface. */
  shortFrames: number
  /** Frames with caplen < original length (cut by the snaplen). */
  truncatedFrames: number
  /** pcapng Simple Packet Blocks: no timestamp, skipped for first/last. */
  framesWithoutTimestamp: number
  distinctSources: number
  warnings: string[]
  warningCount: number
  /** Present when the file is damaged: everything above covers the frames read before it. */
  error?: string
}

/** Open-addressing MAC → count table over typed arrays (no allocation per frame). */
export class MacCounter {
  private keys: Float64Array
  private counts: Float64Array
  private mask: number
  size = 0

  constructor(capacity = 1024) {
    let cap = 16
    while (cap < capacity * 2) cap *= 2
    this.keys = new Float64Array(cap).fill(-1)
    this.counts = new Float64Array(cap)
    this.mask = cap - 1
  }

  add(mac: number, n = 1): void {
    const keys = this.keys
    const mask = this.mask
    let i = hashMac(mac) & mask
    for (;;) {
      const k = keys[i]
      if (k === mac) {
        this.counts[i] += n
        return
      }
      if (k === -1) {
        keys[i] = mac
        this.counts[i] = n
        if (++this.size * 2 > mask) this.grow()
        return
      }
      i = (i + 1) & mask
    }
  }

  get(mac: number): number {
    let i = hashMac(mac) & this.mask
    for (;;) {
      const k = this.keys[i]
      if (k === mac) return this.counts[i]
      if (k === -1) return 0
      i = (i + 1) & this.mask
    }
  }

  /** [mac, count] pairs by count (descending) then address (ascending). */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = []
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== -1) out.push([this.keys[i], this.counts[i]])
    return out.sort((a, b) => b[1] - a[1] || a[0] - b[0])
  }

  private grow(): void {
    const oldK = this.keys
    const oldC = this.counts
    const cap = oldK.length * 2
    this.keys = new Float64Array(cap).fill(-1)
    this.counts = new Float64Array(cap)
    this.mask = cap - 1
    this.size = 0
    for (let i = 0; i < oldK.length; i++) if (oldK[i] !== -1) this.add(oldK[i], oldC[i])
  }
}

function hashMac(mac: number): number {
  const lo = mac >>> 0 // ToUint32 = mac mod 2^32
  const hi = (mac / 4294967296) | 0
  let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1)
  h ^= h >>> 15
  return h
}

const LINKTYPE_NAMES: Record<number, string> = {
  0: 'NULL (BSD loopback)', 1: 'EN10MB (Ethernet)', 6: 'IEEE802_5 (Token Ring)', 8: 'SLIP', 9: 'PPP', 10: 'FDDI',
  50: 'PPP_HDLC', 101: 'RAW (IP)', 104: 'C_HDLC', 105: 'IEEE802_11 (Wi-Fi)', 108: 'LOOP', 113: 'LINUX_SLL (Linux cooked)',
  119: 'PRISM_HEADER', 127: 'IEEE802_11_RADIOTAP', 163: 'IEEE802_11_AVS', 192: 'PPI', 195: 'IEEE802_15_4',
  197: 'ERF', 201: 'BLUETOOTH_HCI_H4_WITH_PHDR', 220: 'USB_LINUX_MMAPPED', 228: 'IPV4', 229: 'IPV6', 231: 'DBUS',
  239: 'NFLOG', 249: 'USBPCAP', 252: 'WIRESHARK_UPPER_PDU', 271: 'VSOCK', 274: 'NORDIC_BLE', 276: 'LINUX_SLL2',
  279: 'EBHSCR',
}

export function linktypeName(lt: number): string {
  return LINKTYPE_NAMES[lt] ?? `LINKTYPE ${lt}`
}

function resolutionName(unitsPerSec: number): string {
  if (unitsPerSec === 1e6) return 'µs'
  if (unitsPerSec === 1e9) return 'ns'
  if (unitsPerSec === 1e3) return 'ms'
  const log2 = Math.log2(unitsPerSec)
  if (Number.isInteger(log2) && unitsPerSec !== 1) return `2^-${log2} s`
  const log10 = Math.round(Math.log10(unitsPerSec))
  return log10 === 0 ? 's' : `10^-${log10} s`
}

/**
 * Inspect a capture. A damaged capture gives what was read plus `error`; a file that cannot be
 * opened at all (missing, a directory, unreadable) throws UserError.
 */
export function inspectCapture(path: string): InspectResult {
  return inspectCaptureDetailed(path).result
}

/** Like inspectCapture, plus the error object itself (for the command's exit code and message). */
export function inspectCaptureDetailed(path: string): {result: InspectResult; failure?: UserError} {
  const result: InspectResult = {
    file: path, format: null, linktype: null, frames: 0, capturedBytes: 0, originalBytes: 0,
    firstTimestampNs: null, lastTimestampNs: null, vlanTaggedFrames: 0, broadcastFrames: 0, multicastFrames: 0,
    sources: {}, linktypeName: null, fileSize: 0, byteOrder: null, version: null, sections: 0, interfaces: [],
    durationNs: null, ethernetFrames: 0, qinqFrames: 0, unicastFrames: 0, shortFrames: 0, truncatedFrames: 0,
    framesWithoutTimestamp: 0, distinctSources: 0, warnings: [], warningCount: 0,
  }
  let reader: CaptureReader
  try {
    reader = openCapture(path)
  } catch (error) {
    if (!(error instanceof CaptureFormatError)) throw error
    result.format = sniffFormat(path)
    result.error = formatUserError(error)
    return {result, failure: error}
  }
  const l2 = newL2Info()
  const macs = new MacCounter()
  const perIface: number[] = []
  let frames = 0
  let cap = 0
  let orig = 0
  let haveTs = false
  let firstSec = 0
  let firstNsec = 0
  let lastSec = 0
  let lastNsec = 0
  let noTs = 0
  let truncated = 0
  let eth = 0
  let short = 0
  let vlan = 0
  let qinq = 0
  let bcast = 0
  let mcast = 0
  let failure: UserError | undefined
  let errorMessage: string | undefined
  try {
    for (let f = reader.next(); f !== null; f = reader.next()) {
      frames++
      cap += f.caplen
      orig += f.origlen
      if (f.hasTimestamp) {
        if (!haveTs) {
          haveTs = true
          firstSec = f.tsSec
          firstNsec = f.tsNsec
        }
        lastSec = f.tsSec
        lastNsec = f.tsNsec
      } else {
        noTs++
      }
      if (f.caplen < f.origlen) truncated++
      const ifc = f.iface
      while (perIface.length <= ifc) perIface.push(0)
      perIface[ifc]++
      if (f.linktype === LINKTYPE_ETHERNET) {
        if (decodeL2At(f.bytes, f.dataOffset, f.caplen, l2)) {
          eth++
          if (l2.tags > 0) {
            vlan++
            if (l2.tags > 1) qinq++
          }
          if (l2.isBroadcast) bcast++
          else if (l2.isMulticast) mcast++
          macs.add(l2.src)
        } else {
          short++
        }
      }
    }
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    failure = error
    errorMessage = formatUserError(error)
  } finally {
    reader.close()
  }
  result.format = reader.format
  result.fileSize = reader.fileSize
  result.byteOrder = reader.littleEndian ? 'little-endian' : 'big-endian'
  result.version = `${reader.versionMajor}.${reader.versionMinor}`
  result.sections = reader.format === 'pcapng' ? reader.sections : 0
  result.linktype = reader.interfaces.length > 0 ? reader.interfaces[0].linktype : null
  result.linktypeName = result.linktype === null ? null : linktypeName(result.linktype)
  result.interfaces = reader.interfaces.map((i, id) => {
    const o: InspectInterface = {
      id, section: reader.interfaceSection[id], sectionId: reader.interfaceLocalId[id], linktype: i.linktype, linktypeName: linktypeName(i.linktype), snaplen: i.snaplen,
      timestampResolution: resolutionName(i.tsUnitsPerSec), tsOffsetSec: i.tsOffsetSec, frames: perIface[id] ?? 0,
    }
    if (i.name !== undefined) o.name = i.name
    return o
  })
  result.frames = frames
  result.capturedBytes = cap
  result.originalBytes = orig
  if (haveTs) {
    result.firstTimestampNs = tsToString(firstSec, firstNsec)
    result.lastTimestampNs = tsToString(lastSec, lastNsec)
    result.durationNs = tsDiffNs(firstSec, firstNsec, lastSec, lastNsec)
  }
  result.vlanTaggedFrames = vlan
  result.qinqFrames = qinq
  result.broadcastFrames = bcast
  result.multicastFrames = mcast
  result.ethernetFrames = eth
  result.unicastFrames = eth - bcast - mcast
  result.shortFrames = short
  result.truncatedFrames = truncated
  result.framesWithoutTimestamp = noTs
  const sources: Record<string, number> = {}
  for (const [mac, n] of macs.entries()) sources[macToString(mac)] = n
  result.sources = sources
  result.distinctSources = macs.size
  result.warnings = reader.warnings.map((w) => `byte ${w.offset}: ${w.message}`)
  result.warningCount = reader.warningCount
  if (errorMessage !== undefined) result.error = errorMessage // last key of the JSON object
  return {result, failure}
}

/** (sec, nsec) of a decimal nanosecond string (floor division, so negative times work too). */
function splitNs(s: string): [number, number] {
  const v = BigInt(s)
  let sec = v / 1_000_000_000n
  let nsec = v - sec * 1_000_000_000n
  if (nsec < 0n) {
    sec -= 1n
    nsec += 1_000_000_000n
  }
  return [Number(sec), Number(nsec)]
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US')
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = -1
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`
}

function fmtRate(v: number, unit: string): string {
  const prefixes = ['', 'k', 'M', 'G', 'T']
  let i = 0
  while (Math.abs(v) >= 1000 && i < prefixes.length - 1) {
    v /= 1000
    i++
  }
  return `${v.toFixed(2)} ${prefixes[i]}${unit}`
}

/** capinfos-like text report. */
export function formatInspectText(r: InspectResult, topSources = 10): string {
  const lines: string[] = []
  const row = (k: string, v: string): void => {
    lines.push(`${(k + ':').padEnd(22)}${v}`)
  }
  row('File name', r.file)
  const fmt = r.format === null ? 'unknown' : r.format === 'pcap'
    ? `pcap ${r.version} (${r.byteOrder}, ${r.interfaces[0]?.timestampResolution ?? '?'} timestamps)`
    : `pcapng ${r.version} (${r.byteOrder}${r.sections > 1 ? `, ${r.sections} sections` : ''})`
  row('File type', fmt)
  row('File size', `${fmtInt(r.fileSize)} bytes (${fmtBytes(r.fileSize)})`)
  row('Link type', r.linktype === null ? 'none' : `${r.linktype} ${r.linktypeName}`)
  if (r.format === 'pcapng' || r.interfaces.length > 1) {
    row('Interfaces', String(r.interfaces.length))
    for (const i of r.interfaces) {
      lines.push(`  #${i.id}${i.name ? ` ${i.name}` : ''}: ${i.linktype} ${i.linktypeName}, snaplen ${i.snaplen}, ${i.timestampResolution} timestamps${i.tsOffsetSec ? `, offset ${i.tsOffsetSec} s` : ''}, ${fmtInt(i.frames)} frames`)
    }
  } else if (r.interfaces.length === 1) {
    row('Snapshot length', String(r.interfaces[0].snaplen))
  }
  row('Frames', fmtInt(r.frames))
  row('Captured bytes', `${fmtInt(r.capturedBytes)}${r.truncatedFrames ? ` (${fmtInt(r.truncatedFrames)} frames cut by the snaplen)` : ''}`)
  row('Original bytes', fmtInt(r.originalBytes))
  if (r.firstTimestampNs !== null && r.lastTimestampNs !== null) {
    row('First frame time', `${tsToIso(...splitNs(r.firstTimestampNs))} (${r.firstTimestampNs} ns)`)
    row('Last frame time', `${tsToIso(...splitNs(r.lastTimestampNs))} (${r.lastTimestampNs} ns)`)
  } else {
    row('First frame time', r.firstTimestampNs ?? 'n/a')
    row('Last frame time', r.lastTimestampNs ?? 'n/a')
  }
  if (r.framesWithoutTimestamp) row('Without timestamp', `${fmtInt(r.framesWithoutTimestamp)} frames (pcapng simple packet blocks)`)
  if (r.durationNs !== null) {
    const secs = r.durationNs / 1e9
    row('Duration', `${secs.toFixed(9)} s`)
    if (secs > 0) {
      row('Average rate', `${fmtRate(r.frames / secs, 'frames/s')}, ${fmtRate((r.capturedBytes * 8) / secs, 'bit/s')}`)
    }
  }
  if (r.frames > 0) row('Average frame size', `${(r.capturedBytes / r.frames).toFixed(2)} bytes`)
  if (r.ethernetFrames > 0 || r.linktype === LINKTYPE_ETHERNET) {
    row('Ethernet frames', `${fmtInt(r.ethernetFrames)}${r.shortFrames ? ` (+${fmtInt(r.shortFrames)} shorter than 14 bytes)` : ''}`)
    row('VLAN-tagged frames', `${fmtInt(r.vlanTaggedFrames)}${r.qinqFrames ? ` (${fmtInt(r.qinqFrames)} QinQ)` : ''}`)
    row('Broadcast frames', fmtInt(r.broadcastFrames))
    row('Multicast frames', fmtInt(r.multicastFrames))
    row('Unicast frames', fmtInt(r.unicastFrames))
    row('Source MACs', fmtInt(r.distinctSources))
    const top = Object.entries(r.sources).slice(0, topSources)
    for (const [mac, n] of top) lines.push(`  ${mac}  ${fmtInt(n)}`)
    if (r.distinctSources > top.length) lines.push(`  ... ${fmtInt(r.distinctSources - top.length)} more (--json lists all)`)
  }
  if (r.warningCount > 0) {
    row('Warnings', String(r.warningCount))
    for (const w of r.warnings) lines.push(`  ${w}`)
    if (r.warningCount > r.warnings.length) lines.push(`  ... ${r.warningCount - r.warnings.length} more`)
  }
  return lines.join('\n')
}
