/**
 * Build pcap / pcapng bytes in memory for reader tests: every field settable, including wrong
 * ones, so each error path can be reached on purpose.
 */
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {openCapture} from '../../src/capture/reader.js'

let dir: string | undefined

/** Write bytes to a fresh file in a per-process temp dir; returns its path. */
/** Read a capture to its end with the library's reader: frames read, and the error that stopped it (if any). */
export function readToEnd(path: string): {frames: number; error: unknown} {
  let frames = 0
  try {
    const r = openCapture(path)
    try {
      while (r.next() !== null) frames++
    } finally {
      r.close()
    }
  } catch (error) {
    return {frames, error}
  }
  return {frames, error: undefined}
}

export function writeTmp(name: string, bytes: Uint8Array): string {
  dir ??= mkdtempSync(join(tmpdir(), 'npa-capture-test-'))
  const p = join(dir, name)
  writeFileSync(p, bytes)
  return p
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0)
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export interface EthSpec {
  dst?: string
  src?: string
  /** Stacked tags, outermost first. */
  tags?: Array<{tpid?: number; vid: number; pcp?: number}>
  ethertype?: number
  /** Total frame length (padded with a byte pattern); at least the header. */
  length?: number
}

function macBytes(s: string): number[] {
  return s.split(':').map((h) => Number.parseInt(h, 16))
}

/** An Ethernet II frame with optional 802.1Q / 802.1ad tags. */
export function ethFrame(spec: EthSpec = {}): Uint8Array {
  const hdr: number[] = [...macBytes(spec.dst ?? '02:00:00:00:00:02'), ...macBytes(spec.src ?? '02:00:00:00:00:01')]
  for (const t of spec.tags ?? []) {
    const tpid = t.tpid ?? 0x8100
    const tci = ((t.pcp ?? 0) << 13) | (t.vid & 0xfff)
    hdr.push(tpid >> 8, tpid & 0xff, tci >> 8, tci & 0xff)
  }
  const et = spec.ethertype ?? 0x0800
  hdr.push(et >> 8, et & 0xff)
  const len = Math.max(spec.length ?? 60, hdr.length)
  const out = new Uint8Array(len)
  out.set(hdr)
  for (let i = hdr.length; i < len; i++) out[i] = i & 0xff
  return out
}

export interface PcapRecord {
  sec: number
  /** µs or ns (per the file's magic), raw: may be out of range on purpose. */
  frac: number
  data: Uint8Array
  /** Written caplen (default data.length). */
  caplen?: number
  /** Original length (default data.length). */
  len?: number
}

export interface PcapSpec {
  littleEndian?: boolean
  nano?: boolean
  /** Raw magic override (written in the file's byte order). */
  magic?: number
  version?: [number, number]
  snaplen?: number
  /** Raw 32-bit link-type field (default 1). */
  linktype?: number
  records?: PcapRecord[]
}

/** A classic pcap file. */
export function pcapBytes(spec: PcapSpec = {}): Uint8Array {
  const le = spec.littleEndian ?? true
  const records = spec.records ?? []
  const size = 24 + records.reduce((s, r) => s + 16 + r.data.length, 0)
  const out = new Uint8Array(size)
  const dv = new DataView(out.buffer)
  dv.setUint32(0, spec.magic ?? (spec.nano ? 0xa1b23c4d : 0xa1b2c3d4), le)
  dv.setUint16(4, spec.version?.[0] ?? 2, le)
  dv.setUint16(6, spec.version?.[1] ?? 4, le)
  dv.setUint32(16, spec.snaplen ?? 65535, le)
  dv.setUint32(20, spec.linktype ?? 1, le)
  let p = 24
  for (const r of records) {
    dv.setUint32(p, r.sec, le)
    dv.setUint32(p + 4, r.frac, le)
    dv.setUint32(p + 8, r.caplen ?? r.data.length, le)
    dv.setUint32(p + 12, r.len ?? r.data.length, le)
    out.set(r.data, p + 16)
    p += 16 + r.data.length
  }
  return out
}

export interface NgOption {
  code: number
  value: Uint8Array
  /** Written length (default value.length): lie on purpose to test errors. */
  length?: number
}

/**
 * pcapng builder: blocks are written in the byte order of the current section (set by shb()).
 * Every method returns `this`; bytes() returns the file.
 */
export class PcapngBuilder {
  private parts: Uint8Array[] = []
  private le = true

  get littleEndian(): boolean {
    return this.le
  }

  /** Raw block: type, body (padded to 4), optional lengths that lie. */
  block(type: number, body: Uint8Array, opts: {length?: number; trailer?: number} = {}): this {
    const padded = (body.length + 3) & ~3
    const total = 12 + padded
    const b = new Uint8Array(total)
    const dv = new DataView(b.buffer)
    dv.setUint32(0, type, this.le)
    dv.setUint32(4, opts.length ?? total, this.le)
    b.set(body, 8)
    dv.setUint32(total - 4, opts.trailer ?? opts.length ?? total, this.le)
    this.parts.push(b)
    return this
  }

  /** Raw bytes appended as they are (for truncated or garbage tails). */
  raw(bytes: Uint8Array): this {
    this.parts.push(bytes)
    return this
  }

  options(opts: NgOption[], endOfOpt = true): Uint8Array {
    const chunks: number[] = []
    const dvb = (n: number, bytes: number): number[] => {
      const a = new Uint8Array(bytes)
      const dv = new DataView(a.buffer)
      if (bytes === 2) dv.setUint16(0, n, this.le)
      else dv.setUint32(0, n, this.le)
      return [...a]
    }
    for (const o of opts) {
      chunks.push(...dvb(o.code, 2), ...dvb(o.length ?? o.value.length, 2), ...o.value)
      while (chunks.length % 4) chunks.push(0)
    }
    if (endOfOpt && opts.length) chunks.push(0, 0, 0, 0)
    return Uint8Array.from(chunks)
  }

  shb(opts: {littleEndian?: boolean; major?: number; minor?: number; options?: NgOption[]} = {}): this {
    this.le = opts.littleEndian ?? true
    const o = this.options(opts.options ?? [])
    const body = new Uint8Array(16 + o.length)
    const dv = new DataView(body.buffer)
    dv.setUint32(0, 0x1a2b3c4d, this.le)
    dv.setUint16(4, opts.major ?? 1, this.le)
    dv.setUint16(6, opts.minor ?? 0, this.le)
    dv.setInt32(8, -1, this.le)
    dv.setInt32(12, -1, this.le)
    body.set(o, 16)
    return this.block(0x0a0d0d0a, body)
  }

  idb(opts: {linktype?: number; snaplen?: number; tsresol?: number; tsoffset?: bigint; name?: string; options?: NgOption[]} = {}): this {
    const list: NgOption[] = []
    if (opts.name !== undefined) list.push({code: 2, value: new TextEncoder().encode(opts.name)})
    if (opts.tsresol !== undefined) list.push({code: 9, value: Uint8Array.of(opts.tsresol)})
    if (opts.tsoffset !== undefined) {
      const v = new Uint8Array(8)
      new DataView(v.buffer).setBigInt64(0, opts.tsoffset, this.le)
      list.push({code: 14, value: v})
    }
    list.push(...(opts.options ?? []))
    const o = this.options(list)
    const body = new Uint8Array(8 + o.length)
    const dv = new DataView(body.buffer)
    dv.setUint16(0, opts.linktype ?? 1, this.le)
    dv.setUint32(4, opts.snaplen ?? 0, this.le)
    body.set(o, 8)
    return this.block(1, body)
  }

  /** Enhanced Packet Block; ticks is the 64-bit timestamp in the interface's units. */
  epb(opts: {ifid?: number; ticks: bigint; data: Uint8Array; caplen?: number; len?: number; options?: NgOption[]}): this {
    return this.packetBlock(6, opts)
  }

  /** Obsolete Packet Block (type 2): 16-bit interface id and drops count. */
  pb(opts: {ifid?: number; ticks: bigint; data: Uint8Array; caplen?: number; len?: number}): this {
    return this.packetBlock(2, opts)
  }

  private packetBlock(type: number, opts: {ifid?: number; ticks: bigint; data: Uint8Array; caplen?: number; len?: number; options?: NgOption[]}): this {
    const pad = (opts.data.length + 3) & ~3
    const o = this.options(opts.options ?? [])
    const body = new Uint8Array(20 + pad + o.length)
    const dv = new DataView(body.buffer)
    if (type === 2) dv.setUint16(0, opts.ifid ?? 0, this.le)
    else dv.setUint32(0, opts.ifid ?? 0, this.le)
    dv.setUint32(4, Number((opts.ticks >> 32n) & 0xffffffffn), this.le)
    dv.setUint32(8, Number(opts.ticks & 0xffffffffn), this.le)
    dv.setUint32(12, opts.caplen ?? opts.data.length, this.le)
    dv.setUint32(16, opts.len ?? opts.data.length, this.le)
    body.set(opts.data, 20)
    body.set(o, 20 + pad)
    return this.block(type, body)
  }

  /** Simple Packet Block: original length plus as much data as given. */
  spb(opts: {data: Uint8Array; len?: number}): this {
    const body = new Uint8Array(4 + ((opts.data.length + 3) & ~3))
    new DataView(body.buffer).setUint32(0, opts.len ?? opts.data.length, this.le)
    body.set(opts.data, 4)
    return this.block(3, body)
  }

  /** Name Resolution Block with one IPv4 record and end-of-records. */
  nrb(): this {
    const body = new Uint8Array(20)
    const dv = new DataView(body.buffer)
    dv.setUint16(0, 1, this.le)
    dv.setUint16(2, 10, this.le)
    body.set([10, 0, 0, 1, 0x68, 0x6f, 0x73, 0x74, 0x31, 0], 4) // 10.0.0.1 "host1"
    return this.block(4, body)
  }

  /** Interface Statistics Block. */
  isb(ifid = 0): this {
    const body = new Uint8Array(12)
    new DataView(body.buffer).setUint32(0, ifid, this.le)
    return this.block(5, body)
  }

  /** Custom Block (copyable 0xBAD or not 0x40000BAD) with a PEN and some bytes. */
  cb(copyable = true): this {
    const body = new Uint8Array(12)
    new DataView(body.buffer).setUint32(0, 32473, this.le)
    body.set([1, 2, 3, 4, 5, 6, 7, 8], 4)
    return this.block(copyable ? 0x0bad : 0x40000bad, body)
  }

  bytes(): Uint8Array {
    return concat(this.parts)
  }
}

// ------------------------------------------------------------------ shared corpus (../shared/captures)

/** ../shared/captures/ beside the repository, or null when it is absent (tests then skip with a message). */
export function sharedCaptures(): string | null {
  const repoRoot = new URL('../../', import.meta.url) // test/helpers/ -> repo root
  const dir = fileURLToPath(new URL('../shared/captures/', repoRoot))
  return existsSync(join(dir, 'oracle.json')) ? dir : null
}

/** One oracle.json entry (TShark/capinfos 4.0.17 facts; see its _meta.definitions). */
export interface OracleEntry {
  format: string | null
  linktype: number | number[] | null
  frames: number
  total_captured_bytes: number
  total_original_bytes: number
  first_ts_ns: string | null
  last_ts_ns: string | null
  vlan_tagged_frames: number
  qinq_frames: number
  broadcast_frames: number
  multicast_frames: number
  ethernet_frames: number
  per_src_mac_frame_counts: Record<string, number>
  distinct_src_macs: number
  packets_without_timestamp: number
  frames_per_interface_id: Record<string, number> | null
  error: string | null
  header: {snaplen?: number}
}

export function loadOracle(dir: string): Record<string, OracleEntry> {
  return JSON.parse(readFileSync(join(dir, 'oracle.json'), 'utf8')) as Record<string, OracleEntry>
}

/**
 * Bytes libpcap drops from a classic pcap where tshark does not: libpcap cuts a record whose
 * caplen exceeds the header snaplen (but not 262144) to snaplen. Walks the record headers
 * independently of the reader under test; stops at the first record it cannot walk.
 */
export function libpcapSnaplenCut(path: string): number {
  const b = readFileSync(path)
  if (b.length < 24) return 0
  const m = b.readUInt32LE(0)
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d
  if (!le && m !== 0xd4c3b2a1 && m !== 0x4d3cb2a1) return 0
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o))
  const snap = u32(16) || 262144
  let cut = 0
  for (let p = 24; p + 16 <= b.length;) {
    const caplen = u32(p + 8)
    if (caplen > 262144 || p + 16 + caplen > b.length) break // the reader stops there with an error
    if (caplen > snap) cut += caplen - snap
    p += 16 + caplen
  }
  return cut
}

/** Facts compared with the oracle; `expect` overrides oracle values where libpcap and tshark disagree. */
export function diffWithOracle(r: InspectLike, o: OracleEntry, expect: Partial<Record<string, unknown>> = {}): string[] {
  const out: string[] = []
  const check = (name: string, ours: unknown, theirs: unknown): void => {
    const want = name in expect ? expect[name] : theirs
    if (JSON.stringify(ours) !== JSON.stringify(want)) out.push(`${name}: ours ${JSON.stringify(ours)}, expected ${JSON.stringify(want)}`)
  }
  check('format', r.format, o.format === 'nsecpcap' ? 'pcap' : o.format)
  if (Array.isArray(o.linktype)) {
    check('linktypes', [...new Set(r.interfaces.map((i) => i.linktype))].sort((a, b) => a - b), o.linktype)
    if (!o.linktype.includes(r.linktype ?? -1)) out.push(`linktype ${r.linktype} not in ${JSON.stringify(o.linktype)}`)
  } else {
    check('linktype', r.linktype, o.linktype)
  }
  check('frames', r.frames, o.frames)
  check('capturedBytes', r.capturedBytes, o.total_captured_bytes)
  check('originalBytes', r.originalBytes, o.total_original_bytes)
  check('firstTimestampNs', r.firstTimestampNs, o.first_ts_ns)
  check('lastTimestampNs', r.lastTimestampNs, o.last_ts_ns)
  check('framesWithoutTimestamp', r.framesWithoutTimestamp, o.packets_without_timestamp)
  check('vlanTaggedFrames', r.vlanTaggedFrames, o.vlan_tagged_frames)
  check('qinqFrames', r.qinqFrames, o.qinq_frames)
  check('broadcastFrames', r.broadcastFrames, o.broadcast_frames)
  check('multicastFrames', r.multicastFrames, o.multicast_frames)
  check('ethernetFrames', r.ethernetFrames, o.ethernet_frames)
  check('distinctSources', r.distinctSources, o.distinct_src_macs)
  // The oracle lists the top 20 sources by count then address: ours, in the same order, must start with them.
  check('sources (top entries)', Object.entries(r.sources).slice(0, Object.keys(o.per_src_mac_frame_counts).length), Object.entries(o.per_src_mac_frame_counts))
  if (o.frames_per_interface_id) {
    // tshark 4.0 numbers interfaces within their section (SPBs count as interface 0).
    const perLocal: Record<string, number> = {}
    for (const i of r.interfaces) if (i.frames) perLocal[String(i.sectionId)] = (perLocal[String(i.sectionId)] ?? 0) + i.frames
    check('frames per interface id', perLocal, o.frames_per_interface_id)
  }
  return out
}

/** The part of InspectResult the oracle comparison needs (keeps this helper free of src imports). */
export interface InspectLike {
  format: string | null
  linktype: number | null
  interfaces: Array<{linktype: number; sectionId: number; frames: number}>
  frames: number
  capturedBytes: number
  originalBytes: number
  firstTimestampNs: string | null
  lastTimestampNs: string | null
  framesWithoutTimestamp: number
  vlanTaggedFrames: number
  qinqFrames: number
  broadcastFrames: number
  multicastFrames: number
  ethernetFrames: number
  distinctSources: number
  sources: Record<string, number>
}
