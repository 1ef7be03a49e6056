/**
 * Streaming pull reader for classic pcap and pcapng, as strict and as lenient as libpcap.
 *
 * One reused buffer (8 MiB by default) is filled with readSync; records are decoded in place with
 * a DataView and handed out through one reused frame object whose `data` is a view into that
 * buffer, valid until the next `next()`. Memory stays flat whatever the file size: the buffer grows
 * only for a record bigger than itself, up to a bounded maximum (libpcap's own per-record limits
 * come first: 262144 bytes for most link types, 16 MiB per pcapng block).
 *
 * What libpcap rejects is rejected here with a CaptureFormatError naming the file, the record or
 * block, its byte offset and the problem. What libpcap reads despite oddities (caplen > len,
 * zero-length records, out-of-range timestamp fractions, FCS bits in the link-type field, caplen >
 * snaplen in classic pcap) is read the same way, with a warning in `warnings`.
 *
 * One deliberate difference: libpcap's pcap_next_ex API carries one link type per handle, so it
 * refuses pcapng files whose interfaces differ in link type or snaplen, or whose sections differ in
 * byte order. Those files are valid pcapng and are read here (as Wireshark does): every frame
 * carries its own interface and link type.
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {CaptureFormatError, UserError} from '../errors.js'
import type {CaptureFormat, CaptureFrame, CaptureInterface, CaptureWarning} from './types.js'
import {newTsScale, setResolution, ticksToTs, type TsScale} from './timestamp.js'

export interface OpenCaptureOptions {
  /** Initial read buffer in bytes (default 8 MiB; small files get a buffer of their size). */
  bufferSize?: number
  /** Warnings kept in `warnings` (default 100); `warningCount` counts them all. */
  maxWarnings?: number
  /**
   * Called with every run of bytes read from the file, in file order, exactly once each (e.g. to hash
   * the capture in the same pass). The view is valid only during the call.
   */
  onRead?: (bytes: Uint8Array) => void
}

/** A frame as this reader yields it: CaptureFrame plus zero-allocation access to the bytes. */
export interface ReaderFrame extends CaptureFrame {
  /** The reader's whole buffer; the frame is `bytes[dataOffset .. dataOffset + caplen)`. */
  readonly bytes: Uint8Array
  readonly dataOffset: number
}

const DEFAULT_BUFFER = 8 * 1024 * 1024
const MIN_BUFFER = 64 * 1024
/** Hard cap on the read buffer: a record or block needing more is an error, never an allocation. */
const MAX_BUFFER = 256 * 1024 * 1024

// libpcap pcap-common.c: MAXIMUM_SNAPLEN and max_snaplen_for_dlt()
const MAXIMUM_SNAPLEN = 262144
const LINKTYPE_DBUS = 231
const LINKTYPE_USBPCAP = 249
const LINKTYPE_EBHSCR = 279

export function maxSnaplenForLinktype(linktype: number): number {
  switch (linktype) {
    case LINKTYPE_DBUS: return 128 * 1024 * 1024
    case LINKTYPE_EBHSCR: return 8 * 1024 * 1024
    case LINKTYPE_USBPCAP: return 1024 * 1024
    default: return MAXIMUM_SNAPLEN
  }
}

/** libpcap pcapint_adjust_snapshot(): a snaplen of 0 or above INT_MAX means "the maximum for the link type". */
export function adjustSnaplen(linktype: number, snaplen: number): number {
  return snaplen === 0 || snaplen > 0x7fffffff ? maxSnaplenForLinktype(linktype) : snaplen
}

// Classic pcap magics (as read little-endian from the first 4 bytes)
const MAGIC_USEC = 0xa1b2c3d4
const MAGIC_NSEC = 0xa1b23c4d
const MAGIC_KUZNETZOV = 0xa1b2cd34 // patched libpcap: 24-byte record headers, µs
const SWAP_USEC = 0xd4c3b2a1
const SWAP_NSEC = 0x4d3cb2a1
const SWAP_KUZNETZOV = 0x34cdb2a1

// pcapng block types
const BT_SHB = 0x0a0d0d0a
const BT_IDB = 0x00000001
const BT_PB = 0x00000002
const BT_SPB = 0x00000003
const BT_EPB = 0x00000006
const BYTE_ORDER_MAGIC = 0x1a2b3c4d
const SHB_INSANE_MAX = 1024 * 1024 // libpcap BT_SHB_INSANE_MAX
const INITIAL_MAX_BLOCKSIZE = 16 * 1024 * 1024 // libpcap INITIAL_MAX_BLOCKSIZE
// libpcap MAX_BLOCKSIZE_FOR_SNAPLEN: an EPB with a max-size packet and 128 KiB of options
const maxBlockForSnaplen = (snap: number): number => 8 + 20 + snap + 131072 + 4

// pcap link-type field (libpcap pcap-common.h): low 16 bits link type, 0x03ff0000 reserved (must be 0),
// upper bits FCS information.
const LT_RESERVED1 = 0x03ff0000
const LT_EXT = 0xfc000000

const BLOCK_OTHER = 0
const BLOCK_PACKET = 1
const BLOCK_EOF = 2

export function blockTypeName(type: number): string {
  switch (type) {
    case BT_SHB: return 'SHB'
    case BT_IDB: return 'IDB'
    case BT_PB: return 'PB'
    case BT_SPB: return 'SPB'
    case 4: return 'NRB'
    case 5: return 'ISB'
    case BT_EPB: return 'EPB'
    case 0x0a: return 'DSB'
    case 0x0bad: case 0x40000bad: return 'CB'
    default: return `block type 0x${type.toString(16).padStart(8, '0')}`
  }
}

class Frame implements ReaderFrame {
  index = 0
  tsSec = 0
  tsNsec = 0
  hasTimestamp = true
  caplen = 0
  origlen = 0
  iface = 0
  linktype = 0
  offset = 0
  bytes: Uint8Array
  dataOffset = 0
  /** Lazily made view (one allocation only when `data` is read). */
  view: Uint8Array | null = null

  constructor(bytes: Uint8Array) {
    this.bytes = bytes
  }

  get data(): Uint8Array {
    let v = this.view
    if (v === null) {
      v = this.bytes.subarray(this.dataOffset, this.dataOffset + this.caplen)
      this.view = v
    }
    return v
  }
}

/** Look at the first bytes of a file: 'pcap', 'pcapng' or null (unknown, empty or unreadable). */
export function sniffFormat(path: string): CaptureFormat | null {
  let fd = -1
  try {
    fd = openSync(path, 'r')
    const b = new Uint8Array(4)
    if (readSync(fd, b, 0, 4, 0) < 4) return null
    const m = new DataView(b.buffer).getUint32(0, true)
    if (m === BT_SHB) return 'pcapng'
    if ([MAGIC_USEC, MAGIC_NSEC, MAGIC_KUZNETZOV, SWAP_USEC, SWAP_NSEC, SWAP_KUZNETZOV].includes(m)) return 'pcap'
    return null
  } catch {
    return null
  } finally {
    if (fd >= 0) closeSync(fd)
  }
}

/** Open a capture file (pcap or pcapng, detected from its magic) and read its header. */
export function openCapture(path: string, opts: OpenCaptureOptions = {}): CaptureReader {
  return new CaptureReader(path, opts)
}

export class CaptureReader {
  readonly path: string
  readonly format: CaptureFormat
  readonly fileSize: number
  /** Interfaces in file order, numbered across pcapng sections; grows as IDBs are met. */
  readonly interfaces: CaptureInterface[] = []
  /** For each interface: its pcapng section (0-based) and its id within that section (what EPBs carry). */
  readonly interfaceSection: number[] = []
  readonly interfaceLocalId: number[] = []
  /** The first `maxWarnings` warnings; `warningCount` counts all of them. */
  readonly warnings: CaptureWarning[] = []
  warningCount = 0
  /** Byte order of the pcap file or of the first pcapng section. */
  littleEndian = true
  /** pcap: file version; pcapng: version of the first section. */
  versionMajor = 0
  versionMinor = 0
  /** pcap: nanosecond magic. */
  nanosecond = false
  /** pcap: raw link-type field of the header (upper bits may carry FCS information). */
  linktypeField = 0
  /** pcapng: sections seen so far. */
  sections = 0

  private readonly maxWarnings: number
  private readonly onRead: ((bytes: Uint8Array) => void) | null
  private fd: number
  private buf: Uint8Array
  private dv: DataView
  /** File offset of buf[0]. */
  private bufFileOffset = 0
  private pos = 0
  private end = 0
  private eof = false
  private readonly frame: Frame
  /** 0 reading, 1 at EOF, 2 failed (the error is rethrown), 3 closed. */
  private state = 0
  private failure: unknown = null
  /** Packet records yielded so far. */
  private records = 0

  // classic pcap
  private le = true
  private hdrSize = 16
  private fracLimit = 1e6
  private fracNs = 1000
  private snap = MAXIMUM_SNAPLEN
  private maxCap = MAXIMUM_SNAPLEN
  /** 0 not swapped, 1 swapped (version < 2.3, DG/UX 543.0), 2 maybe (2.3: swap when caplen > len). */
  private lengthsSwapped = 0
  private linktype0 = 0

  // pcapng
  private blockNo = 0
  private secBase = 0
  private secCount = 0
  private maxBlock = INITIAL_MAX_BLOCKSIZE
  private readonly ifLink: number[] = []
  private readonly ifSnap: number[] = []
  private readonly ifOffset: number[] = []
  private readonly ifScale: TsScale[] = []

  constructor(path: string, opts: OpenCaptureOptions = {}) {
    this.path = path
    this.maxWarnings = opts.maxWarnings ?? 100
    this.onRead = opts.onRead ?? null
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch (error) {
      throw fileError(path, error)
    }
    this.fd = fd
    try {
      const st = fstatSync(fd)
      if (st.isDirectory()) {
        throw new UserError(`${path}: is a directory, not a capture file`, {hint: 'give the path of a .pcap or .pcapng file'})
      }
      this.fileSize = st.size
      const want = opts.bufferSize ?? DEFAULT_BUFFER
      const size = st.isFile() ? Math.max(MIN_BUFFER, Math.min(want, st.size + 16)) : want
      this.buf = new Uint8Array(Math.min(size, MAX_BUFFER))
      this.dv = new DataView(this.buf.buffer)
      this.frame = new Frame(this.buf)
      this.format = this.readMagic()
      if (this.format === 'pcap') this.readPcapHeader()
      else this.readPcapngStart()
    } catch (error) {
      this.closeFd()
      throw error
    }
  }

  /** Bytes of the file consumed so far (for progress bars). */
  get bytesRead(): number {
    return this.bufFileOffset + this.pos
  }

  /** Packet records read so far. */
  get frameCount(): number {
    return this.records
  }

  /**
   * The next packet record, or null at the end of the file. The returned object is reused: its
   * fields and `data` are valid until the next call. Throws CaptureFormatError on a damaged file
   * (and again on every later call).
   */
  next(): ReaderFrame | null {
    if (this.state !== 0) {
      if (this.state === 2) throw this.failure
      if (this.state === 3) throw new UserError(`${this.path}: reader used after close()`)
      return null
    }
    try {
      return this.format === 'pcap' ? this.nextPcap() : this.nextPcapng()
    } catch (error) {
      this.state = 2
      this.failure = error
      throw error
    }
  }

  close(): void {
    this.closeFd()
    this.state = 3
  }

  private closeFd(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd)
      } catch {
        // already closed: nothing to release
      }
      this.fd = -1
    }
  }

  // ---------------------------------------------------------------- buffer

  /**
   * Make at least `need` bytes available from `pos` (moving the tail to the front or growing the
   * buffer). Returns false when the file ends first. `pos` and `buf` may change: callers re-read them.
   */
  private fill(need: number): boolean {
    if (need > this.buf.length - this.pos) {
      const remain = this.end - this.pos
      if (need > this.buf.length) {
        if (need > MAX_BUFFER) {
          throw this.err(this.pos, '', `a record of ${need} bytes exceeds the reader's ${MAX_BUFFER}-byte limit`)
        }
        const nb = new Uint8Array(Math.min(Math.max(need, this.buf.length * 2), MAX_BUFFER))
        nb.set(this.buf.subarray(this.pos, this.end))
        this.buf = nb
        this.dv = new DataView(nb.buffer)
        this.frame.bytes = nb
      } else {
        this.buf.copyWithin(0, this.pos, this.end)
      }
      this.bufFileOffset += this.pos
      this.end = remain
      this.pos = 0
    }
    while (this.end - this.pos < need && !this.eof) {
      let n: number
      try {
        n = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null)
      } catch (error) {
        throw new UserError(`${this.path}: read error at byte ${this.bufFileOffset + this.end}: ${(error as Error).message}`)
      }
      if (n === 0) this.eof = true
      else {
        if (this.onRead !== null) this.onRead(this.buf.subarray(this.end, this.end + n))
        this.end += n
      }
    }
    return this.end - this.pos >= need
  }

  private err(pos: number, where: string, problem: string, hint?: string): CaptureFormatError {
    return new CaptureFormatError(this.path, this.bufFileOffset + pos, where, problem, hint)
  }

  private warn(pos: number, where: string, message: string): void {
    this.warningCount++
    if (this.warnings.length < this.maxWarnings) {
      this.warnings.push({offset: this.bufFileOffset + pos, message: where ? `${where}: ${message}` : message})
    }
  }

  private readMagic(): CaptureFormat {
    this.fill(4)
    const have = this.end
    if (have === 0) {
      throw this.err(0, '', 'empty file (0 bytes): not a pcap or pcapng capture', 'libpcap: "truncated dump file; tried to read 4 file header bytes, only got 0"')
    }
    if (have < 4) throw this.err(0, '', `file of ${have} bytes is too short for a capture header`)
    const m = this.dv.getUint32(0, true)
    if (m === BT_SHB) return 'pcapng'
    if (m === MAGIC_USEC || m === MAGIC_NSEC || m === MAGIC_KUZNETZOV || m === SWAP_USEC || m === SWAP_NSEC || m === SWAP_KUZNETZOV) return 'pcap'
    const hex = Array.from(this.buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')
    throw this.err(0, '', `unknown magic ${hex}: not a pcap (a1 b2 c3 d4 / a1 b2 3c 4d, either byte order) or pcapng (0a 0d 0d 0a) file`, magicHint(this.buf))
  }

  // ---------------------------------------------------------------- classic pcap

  private readPcapHeader(): void {
    if (!this.fill(24)) {
      throw this.err(this.end, '', `truncated pcap file header: ${this.end} of 24 bytes`, 'the file was cut short')
    }
    const dv = this.dv
    const m = dv.getUint32(0, true)
    const le = m === MAGIC_USEC || m === MAGIC_NSEC || m === MAGIC_KUZNETZOV
    this.le = le
    this.littleEndian = le
    const magic = dv.getUint32(0, le)
    this.nanosecond = magic === MAGIC_NSEC
    if (magic === MAGIC_KUZNETZOV) this.hdrSize = 24
    this.fracLimit = this.nanosecond ? 1e9 : 1e6
    this.fracNs = this.nanosecond ? 1 : 1000
    const vmaj = dv.getUint16(4, le)
    const vmin = dv.getUint16(6, le)
    this.versionMajor = vmaj
    this.versionMinor = vmin
    // libpcap reads versions 2.0 to 2.4 and DG/UX's 543.0 only.
    if (!((vmaj === 2 && vmin <= 4) || (vmaj === 543 && vmin === 0))) {
      throw this.err(4, 'file header', `unsupported pcap version ${vmaj}.${vmin} (libpcap reads 2.0 to 2.4)`)
    }
    this.lengthsSwapped = vmaj === 543 || vmin < 3 ? 1 : vmin === 3 ? 2 : 0
    const snaplen = dv.getUint32(16, le)
    const field = dv.getUint32(20, le)
    this.linktypeField = field
    if ((field & LT_RESERVED1) !== 0) {
      throw this.err(20, 'file header', `link-type field 0x${hex8(field)} has reserved bits set (0x${hex8(field & LT_RESERVED1)}); libpcap rejects it`)
    }
    const linktype = field & 0xffff
    this.linktype0 = linktype
    if ((field & LT_EXT) >>> 0 !== 0) {
      const fcs = field >>> 28
      this.warn(20, 'file header', `link-type field 0x${hex8(field)} carries FCS information in its upper bits (FCS length field ${fcs}${field & 0x04000000 ? '' : ', "present" flag clear'}); read as link type ${linktype}`)
    }
    this.snap = adjustSnaplen(linktype, snaplen)
    this.maxCap = maxSnaplenForLinktype(linktype)
    this.interfaces.push({linktype, snaplen, tsUnitsPerSec: this.nanosecond ? 1e9 : 1e6, tsOffsetSec: 0})
    this.interfaceSection.push(0)
    this.interfaceLocalId.push(0)
    this.frame.linktype = linktype
    this.frame.iface = 0
    this.frame.hasTimestamp = true
    this.pos = 24
  }

  private nextPcap(): ReaderFrame | null {
    const hs = this.hdrSize
    let pos = this.pos
    if (this.end - pos < hs) {
      if (!this.fill(hs)) {
        const left = this.end - this.pos
        if (left === 0) {
          this.state = 1
          return null
        }
        throw this.err(this.pos, `record ${this.records + 1}`, `truncated record header: ${left} of ${hs} bytes before the end of the file`, 'the capture was cut short; the records before it are intact')
      }
      pos = this.pos
    }
    let dv = this.dv
    const le = this.le
    const sec = dv.getUint32(pos, le)
    const frac = dv.getUint32(pos + 4, le)
    let caplen = dv.getUint32(pos + 8, le)
    let len = dv.getUint32(pos + 12, le)
    if (this.lengthsSwapped !== 0 && (this.lengthsSwapped === 1 || caplen > len)) {
      const t = caplen
      caplen = len
      len = t
    }
    let keep = caplen
    if (caplen > this.snap || caplen > len || caplen === 0 || frac >= this.fracLimit) {
      keep = this.oddPcapRecord(pos, frac, caplen, len)
    }
    const total = hs + caplen
    if (this.end - pos < total) {
      if (!this.fill(total)) {
        const left = this.end - this.pos - hs
        throw this.err(this.pos, `record ${this.records + 1}`, `truncated record: caplen ${caplen} but only ${left} bytes of data before the end of the file`, 'the capture was cut short; the records before it are intact')
      }
      pos = this.pos
      dv = this.dv
    }
    const f = this.frame
    f.index = this.records++
    f.offset = this.bufFileOffset + pos
    if (frac < this.fracLimit) {
      f.tsSec = sec
      f.tsNsec = frac * this.fracNs
    } else {
      // Out-of-range fraction: keep libpcap's raw arithmetic sec*1e9 + frac*unit, normalised.
      const extra = Math.floor(frac / this.fracLimit)
      f.tsSec = sec + extra
      f.tsNsec = (frac - extra * this.fracLimit) * this.fracNs
    }
    f.caplen = keep
    f.origlen = len
    f.dataOffset = pos + hs
    f.view = null
    this.pos = pos + total
    return f
  }

  /** Cold path for records libpcap rejects or reads with an oddity. Returns the bytes to expose. */
  private oddPcapRecord(pos: number, frac: number, caplen: number, len: number): number {
    const where = `record ${this.records + 1}`
    if (caplen > this.maxCap) {
      // libpcap: "invalid packet capture length %u, bigger than snaplen of %d" / "... maximum of %u"
      const problem = caplen > this.snap
        ? `caplen ${caplen} exceeds snaplen ${this.snap}`
        : `caplen ${caplen} exceeds the maximum of ${this.maxCap}`
      throw this.err(pos, where, problem, `libpcap accepts at most ${this.maxCap} bytes per record for link type ${this.linktype0}; the file is damaged`)
    }
    let keep = caplen
    if (caplen > this.snap) {
      keep = this.snap
      this.warn(pos, where, `caplen ${caplen} exceeds snaplen ${this.snap}: keeping the first ${this.snap} bytes, as libpcap does`)
    }
    if (caplen > len) this.warn(pos, where, `caplen ${caplen} exceeds the original length ${len} (read as is, as libpcap does)`)
    if (caplen === 0) this.warn(pos, where, `zero-length record (caplen 0, original length ${len})`)
    if (frac >= this.fracLimit) {
      const unit = this.nanosecond ? 'ns' : 'µs'
      this.warn(pos, where, `timestamp fraction ${frac} ${unit} is out of range (>= ${this.fracLimit}): read as seconds + ${frac} ${unit}, as libpcap does`)
    }
    return keep
  }

  // ---------------------------------------------------------------- pcapng

  /** Read the first SHB and go on to the first IDB, as libpcap does when it opens a file. */
  private readPcapngStart(): void {
    for (;;) {
      const r = this.pcapngBlock()
      if (r === BLOCK_EOF) {
        throw this.err(this.pos, '', 'the file has no Interface Description Block (IDB), so no packets', 'libpcap rejects a pcapng file without interfaces')
      }
      if (this.interfaces.length > 0) return
    }
  }

  private nextPcapng(): ReaderFrame | null {
    for (;;) {
      const r = this.pcapngBlock()
      if (r === BLOCK_PACKET) return this.frame
      if (r === BLOCK_EOF) {
        this.state = 1
        return null
      }
    }
  }

  /** Read one block. Returns BLOCK_PACKET with `frame` filled, BLOCK_OTHER, or BLOCK_EOF. */
  private pcapngBlock(): number {
    let pos = this.pos
    if (this.end - pos < 12) {
      if (!this.fill(12)) {
        const left = this.end - this.pos
        if (left === 0) return BLOCK_EOF
        throw this.err(this.pos, `block ${this.blockNo + 1}`, `truncated block header: ${left} bytes before the end of the file, a block has at least 12`, 'the capture was cut short; the blocks before it are intact')
      }
      pos = this.pos
    }
    let dv = this.dv
    const type = dv.getUint32(pos, this.le)
    if (type === BT_SHB) return this.pcapngShb()
    const le = this.le
    const blen = dv.getUint32(pos + 4, le)
    this.blockNo++
    if (blen < 12 || (blen & 3) !== 0 || blen > this.maxBlock) this.badBlockLength(pos, type, blen)
    if (this.end - pos < blen) {
      if (!this.fill(blen)) {
        throw this.err(this.pos, this.where(type), `truncated block: length ${blen} but only ${this.end - this.pos} bytes before the end of the file`, 'the capture was cut short; the blocks before it are intact')
      }
      pos = this.pos
      dv = this.dv
    }
    const trailer = dv.getUint32(pos + blen - 4, le)
    if (trailer !== blen) {
      throw this.err(pos, this.where(type), `block length ${blen} in the header but ${trailer} in the trailer`, 'the file is damaged')
    }
    switch (type) {
      case BT_EPB: {
        if (blen < 32) throw this.err(pos, this.where(type), `EPB length ${blen} is below the minimum of 32`)
        this.pcapngPacket(pos, type, dv.getUint32(pos + 8, le), dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le),
          dv.getUint32(pos + 20, le), dv.getUint32(pos + 24, le), pos + 28, blen - 32, true)
        this.pos = pos + blen
        return BLOCK_PACKET
      }
      case BT_SPB: {
        if (blen < 16) throw this.err(pos, this.where(type), `SPB length ${blen} is below the minimum of 16`)
        const len = dv.getUint32(pos + 8, le)
        if (this.secCount === 0) throw this.err(pos, this.where(type), 'packet block before any Interface Description Block in this section', 'libpcap rejects it: the link type is unknown')
        // An SPB has no captured length: it is min(length, snaplen of interface 0) (libpcap, pcapng spec).
        const snap = this.ifSnap[this.secBase]
        this.pcapngPacket(pos, type, 0, 0, 0, len < snap ? len : snap, len, pos + 12, blen - 16, false)
        this.pos = pos + blen
        return BLOCK_PACKET
      }
      case BT_PB: {
        if (blen < 32) throw this.err(pos, this.where(type), `PB length ${blen} is below the minimum of 32`)
        this.pcapngPacket(pos, type, dv.getUint16(pos + 8, le), dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le),
          dv.getUint32(pos + 20, le), dv.getUint32(pos + 24, le), pos + 28, blen - 32, true)
        this.pos = pos + blen
        return BLOCK_PACKET
      }
      case BT_IDB:
        this.pcapngIdb(pos, blen)
        this.pos = pos + blen
        return BLOCK_OTHER
      default:
        // NRB, ISB, DSB, custom and unknown blocks: skipped (nothing in them changes frames).
        this.pos = pos + blen
        return BLOCK_OTHER
    }
  }

  private where(type: number): string {
    return `block ${this.blockNo} (${blockTypeName(type)})`
  }

  private badBlockLength(pos: number, type: number, blen: number): never {
    const w = this.where(type)
    if (blen < 12) throw this.err(pos, w, `block length ${blen} is below the minimum of 12`, 'the file is damaged')
    if ((blen & 3) !== 0) throw this.err(pos, w, `block length ${blen} is not a multiple of 4`, 'the file is damaged')
    throw this.err(pos, w, `block length ${blen} exceeds the maximum of ${this.maxBlock} bytes`, 'libpcap refuses blocks this large; the file is damaged')
  }

  private pcapngPacket(pos: number, type: number, ifid: number, hi: number, lo: number, caplen: number, len: number,
    dataOffset: number, room: number, hasTs: boolean): void {
    if (ifid >= this.secCount) {
      if (this.secCount === 0) {
        throw this.err(pos, this.where(type), 'packet block before any Interface Description Block in this section', 'libpcap rejects it: the link type is unknown')
      }
      throw this.err(pos, this.where(type), `interface id ${ifid} but this section has ${this.secCount} interface${this.secCount === 1 ? '' : 's'} (ids 0..${this.secCount - 1})`, 'the file is damaged')
    }
    const gi = this.secBase + ifid
    if (caplen > room) {
      throw this.err(pos, this.where(type), `captured length ${caplen} does not fit in the block (room for ${room} bytes of packet data)`, 'the file is damaged')
    }
    if (caplen > this.ifSnap[gi]) {
      // libpcap: "invalid packet capture length %u, bigger than snaplen of %d"
      throw this.err(pos, this.where(type), `captured length ${caplen} exceeds the interface's snaplen ${this.ifSnap[gi]}`, 'libpcap rejects it; the file is damaged')
    }
    if (caplen > len || caplen === 0) {
      if (caplen > len) this.warn(pos, this.where(type), `captured length ${caplen} exceeds the original length ${len} (read as is, as libpcap does)`)
      else this.warn(pos, this.where(type), `zero-length packet (captured length 0, original length ${len})`)
    }
    const f = this.frame
    if (hasTs) {
      ticksToTs(hi, lo, this.ifScale[gi], f)
      f.tsSec += this.ifOffset[gi]
    } else {
      f.tsSec = 0
      f.tsNsec = 0
    }
    f.hasTimestamp = hasTs
    f.index = this.records++
    f.offset = this.bufFileOffset + pos
    f.caplen = caplen
    f.origlen = len
    f.iface = gi
    f.linktype = this.ifLink[gi]
    f.dataOffset = dataOffset
    f.view = null
  }

  /** Section Header Block: byte order, version, new interface numbering. */
  private pcapngShb(): number {
    let pos = this.pos
    this.blockNo++
    const where = `block ${this.blockNo} (SHB)`
    if (this.end - pos < 12 && !this.fill(12)) {
      throw this.err(this.pos, where, `truncated Section Header Block: ${this.end - this.pos} bytes before the end of the file`, 'the file was cut short')
    }
    pos = this.pos
    let dv = this.dv
    const bom = dv.getUint32(pos + 8, true)
    let le: boolean
    if (bom === BYTE_ORDER_MAGIC) le = true
    else if (bom === 0x4d3c2b1a) le = false
    else throw this.err(pos + 8, where, `byte-order magic 0x${hex8(bom)} is neither 1a2b3c4d nor 4d3c2b1a`, 'not a pcapng file, or a damaged one')
    const blen = dv.getUint32(pos + 4, le)
    if (blen < 28 || blen > SHB_INSANE_MAX || (blen & 3) !== 0) {
      const problem = blen < 28 ? `Section Header Block length ${blen} is below the minimum of 28`
        : blen > SHB_INSANE_MAX ? `Section Header Block length ${blen} exceeds libpcap's sanity limit of ${SHB_INSANE_MAX} bytes`
          : `Section Header Block length ${blen} is not a multiple of 4`
      throw this.err(pos, where, problem, 'the file is damaged')
    }
    if (this.end - pos < blen) {
      if (!this.fill(blen)) {
        throw this.err(this.pos, where, `truncated Section Header Block: length ${blen} but only ${this.end - this.pos} bytes before the end of the file`, 'the file was cut short')
      }
      pos = this.pos
      dv = this.dv
    }
    const trailer = dv.getUint32(pos + blen - 4, le)
    if (trailer !== blen) {
      throw this.err(pos, where, `block length ${blen} in the header but ${trailer} in the trailer`, 'the file is damaged')
    }
    const major = dv.getUint16(pos + 12, le)
    const minor = dv.getUint16(pos + 14, le)
    // libpcap reads 1.0 and 1.2 (1.2 is 1.0 with more block types).
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      throw this.err(pos + 12, where, `unsupported pcapng version ${major}.${minor} (libpcap reads 1.0 and 1.2)`)
    }
    if (this.sections === 0) {
      this.littleEndian = le
      this.versionMajor = major
      this.versionMinor = minor
    }
    this.sections++
    this.le = le
    this.secBase = this.interfaces.length
    this.secCount = 0
    this.pos = pos + blen
    return BLOCK_OTHER
  }

  /** Interface Description Block: link type, snaplen, and the options that change timestamps. */
  private pcapngIdb(pos: number, blen: number): void {
    const where = this.where(BT_IDB)
    if (blen < 20) throw this.err(pos, where, `IDB length ${blen} is below the minimum of 20`, 'the file is damaged')
    const dv = this.dv
    const le = this.le
    const linktype = dv.getUint16(pos + 8, le)
    const snaplen = dv.getUint32(pos + 12, le)
    let tsresol = 6 // default: microseconds
    let tsoffset = 0
    let name: string | undefined
    let sawResol = false
    let sawOffset = false
    const endOpts = pos + blen - 4
    let p = pos + 16
    // Option checks follow libpcap's process_idb_options().
    while (p < endOpts) {
      if (endOpts - p < 4) throw this.err(p, where, 'option header cut short by the end of the block')
      const code = dv.getUint16(p, le)
      const olen = dv.getUint16(p + 2, le)
      const padded = (olen + 3) & ~3
      if (padded > endOpts - p - 4) {
        throw this.err(p, where, `option ${code} of length ${olen} runs past the end of the block`, 'the file is damaged')
      }
      const v = p + 4
      if (code === 0) {
        if (olen !== 0) throw this.err(p, where, `opt_endofopt has length ${olen}, must be 0`, 'libpcap rejects it')
        break
      } else if (code === 9) {
        if (olen !== 1) throw this.err(p, where, `if_tsresol option has length ${olen}, must be 1`, 'libpcap rejects it')
        if (sawResol) throw this.err(p, where, 'more than one if_tsresol option', 'libpcap rejects it')
        sawResol = true
        tsresol = this.buf[v]
        if (tsresol & 0x80) {
          if ((tsresol & 0x7f) > 63) throw this.err(p, where, `if_tsresol 2^-${tsresol & 0x7f} is too fine (libpcap's limit is 2^-63)`, 'libpcap rejects it')
        } else if (tsresol > 19) {
          throw this.err(p, where, `if_tsresol 10^-${tsresol} is too fine (libpcap's limit is 10^-19)`, 'libpcap rejects it')
        }
      } else if (code === 14) {
        if (olen !== 8) throw this.err(p, where, `if_tsoffset option has length ${olen}, must be 8`, 'libpcap rejects it')
        if (sawOffset) throw this.err(p, where, 'more than one if_tsoffset option', 'libpcap rejects it')
        sawOffset = true
        const hi = dv.getInt32(le ? v + 4 : v, le)
        const lo = dv.getUint32(le ? v : v + 4, le)
        tsoffset = hi * 4294967296 + lo
        if (!Number.isSafeInteger(tsoffset)) throw this.err(p, where, `if_tsoffset ${tsoffset} s is out of range`)
      } else if (code === 2 && name === undefined) {
        name = new TextDecoder().decode(this.buf.subarray(v, v + olen)).replace(/\0+$/, '')
      }
      p = v + padded
    }
    const scale = newTsScale()
    setResolution(scale, tsresol)
    const adj = adjustSnaplen(linktype, snaplen)
    const mb = maxBlockForSnaplen(maxSnaplenForLinktype(linktype))
    if (mb > this.maxBlock) this.maxBlock = mb
    this.ifLink.push(linktype)
    this.ifSnap.push(adj)
    this.ifOffset.push(tsoffset)
    this.ifScale.push(scale)
    const iface: CaptureInterface = {
      linktype, snaplen,
      tsUnitsPerSec: tsresol & 0x80 ? 2 ** (tsresol & 0x7f) : 10 ** tsresol,
      tsOffsetSec: tsoffset,
    }
    if (name !== undefined) iface.name = name
    this.interfaces.push(iface)
    this.interfaceSection.push(this.sections - 1)
    this.interfaceLocalId.push(this.secCount)
    this.secCount++
  }
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0')
}

function fileError(path: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new UserError(`${path}: no such file`, {hint: 'check the path'})
  if (code === 'EISDIR') return new UserError(`${path}: is a directory, not a capture file`, {hint: 'give the path of a .pcap or .pcapng file'})
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${path}: permission denied`)
  return new UserError(`${path}: cannot open: ${(error as Error).message}`)
}

function magicHint(b: Uint8Array): string {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'it is gzip-compressed: gunzip it first'
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'it is zstd-compressed: unzstd it first'
  if (b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58) return 'it is xz-compressed: unxz it first'
  if (b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'it is bzip2-compressed: bunzip2 it first'
  if (b[0] === 0x04 && b[1] === 0x22 && b[2] === 0x4d && b[3] === 0x18) return 'it is lz4-compressed: unlz4 it first'
  return 'convert it with editcap -F pcapng, or check that it is a capture'
}
