/**
 * Streaming capture writer: classic pcap (little-endian, µs or ns magic) or pcapng (one Section Header
 * Block, one Interface Description Block, Enhanced Packet Blocks). Records are assembled in one reused
 * buffer and written with synchronous fd writes when it fills (~4 MiB), so writing allocates nothing
 * per frame and memory stays flat whatever the capture size.
 *
 * Fast path for generators: `beginRecord()` reserves room for one record and returns where its bytes go
 * in `bytes`; the caller fills them in place and calls `endRecord()`. `write()` is the copying variant.
 */
import {closeSync, openSync, writeSync} from 'node:fs'
import {UserError} from '../errors.js'
import type {CaptureFormat} from './types.js'

export interface CaptureWriterOptions {
  format: CaptureFormat
  /** LINKTYPE_* of the single interface; 1 = Ethernet. */
  linktype?: number
  /** Longest record kept; longer frames are cut to it (caplen) as a capture with this snaplen would. Default 262144 (libpcap's maximum). */
  snaplen?: number
  /** Nanosecond timestamps: pcap magic a1b23c4d, pcapng if_tsresol = 9. Default: microseconds. */
  nanosecond?: boolean
  /** pcapng only: shb_userappl (the application that wrote the file). */
  userAppl?: string
  /** pcapng only: opt_comment on the section header. */
  comment?: string
  /** Size of the reused output buffer (default 4 MiB; raised to fit the largest record). */
  bufferSize?: number
}

const DEFAULT_SNAPLEN = 262_144
const DEFAULT_BUFFER = 4 * 1024 * 1024
const TWO32 = 4_294_967_296
const PCAP_RECORD_HEADER = 16
/** EPB: type, length, interface id, ts high, ts low, caplen, origlen = 28 B before the data; trailing length 4 B. */
const EPB_HEADER = 28

export class CaptureWriter {
  readonly path: string
  readonly format: CaptureFormat
  readonly linktype: number
  readonly snaplen: number
  readonly nanosecond: boolean
  /** The reused output buffer; `beginRecord()` returns an offset into it. */
  readonly bytes: Uint8Array
  private readonly view: DataView
  private pos = 0
  private fd: number
  private readonly chunks: Buffer[] | null
  private closed = false
  /** Set by beginRecord, used by endRecord. */
  private recStart = 0
  private recCaplen = -1
  /** Timestamp units per second (1e6 or 1e9) and units per timestamp fraction unit. */
  private readonly units: number
  /** format === 'pcapng', read on every record. */
  private readonly ng: boolean
  /** Records written. */
  frames = 0
  /** Captured bytes written (sum of caplen). */
  capturedBytes = 0
  /** Bytes of the file so far (headers included). */
  fileBytes = 0

  /** Opens (creates or truncates) `path`. Pass `null` for an in-memory capture read back with `toBuffer()`. */
  constructor(path: string | null, options: CaptureWriterOptions) {
    const {format} = options
    if (format !== 'pcap' && format !== 'pcapng') throw new UserError(`unknown capture format "${String(format)}"`, {hint: 'use pcap or pcapng'})
    this.path = path ?? '<memory>'
    this.format = format
    this.linktype = options.linktype ?? 1
    this.snaplen = options.snaplen ?? DEFAULT_SNAPLEN
    this.nanosecond = options.nanosecond ?? false
    if (!Number.isInteger(this.linktype) || this.linktype < 0 || this.linktype > 0xffff) throw new RangeError(`linktype ${this.linktype} out of range`)
    if (!Number.isInteger(this.snaplen) || this.snaplen < 1 || this.snaplen > 0x7fffffff) throw new RangeError(`snaplen ${this.snaplen} out of range`)
    this.units = this.nanosecond ? 1e9 : 1e6
    this.ng = format === 'pcapng'
    const size = Math.max(options.bufferSize ?? DEFAULT_BUFFER, this.snaplen + 64, 4096)
    const buf = Buffer.allocUnsafe(size)
    this.bytes = buf
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    if (path === null) {
      this.fd = -1
      this.chunks = []
    } else {
      this.chunks = null
      try {
        this.fd = openSync(path, 'w')
      } catch (error) {
        const e = error as NodeJS.ErrnoException
        throw new UserError(`${path}: cannot create the capture file: ${e.code ?? e.message}`, {
          hint: e.code === 'ENOENT' ? 'does its directory exist?' : 'choose a writable path',
          cause: error,
        })
      }
    }
    if (format === 'pcap') this.writePcapHeader()
    else this.writePcapngHeader(options.userAppl, options.comment)
  }

  /** An in-memory writer; call `close()` then `toBuffer()`. */
  static inMemory(options: CaptureWriterOptions): CaptureWriter {
    return new CaptureWriter(null, options)
  }

  /**
   * Reserves one record of `caplen` captured bytes (cut to snaplen) and writes its header. Returns the
   * offset in `bytes` where the caller puts the frame's first `min(caplen, snaplen)` bytes; then call `endRecord()`.
   * `tsSec` is whole seconds since the epoch, `tsNsec` 0..999999999 (µs files keep floor(tsNsec / 1000)).
   */
  beginRecord(tsSec: number, tsNsec: number, caplen: number, origlen: number): number {
    if (this.closed) throw new Error(`${this.path}: capture writer is closed`)
    if (caplen > this.snaplen) caplen = this.snaplen
    if (!(caplen >= 0) || !(origlen >= caplen) || origlen > 0xffffffff) throw new RangeError(`bad record lengths caplen ${caplen} origlen ${origlen}`)
    if (!(tsNsec >= 0 && tsNsec < 1e9) || !(tsSec >= 0)) throw new RangeError(`bad timestamp ${tsSec}.${tsNsec}`)
    const need = (this.ng ? EPB_HEADER + 4 + 3 : PCAP_RECORD_HEADER) + caplen
    if (this.pos + need > this.bytes.length) this.flush()
    const v = this.view
    const p = this.pos
    const frac = this.nanosecond ? tsNsec : Math.floor(tsNsec / 1000)
    if (!this.ng) {
      if (tsSec > 0xffffffff) throw new RangeError(`timestamp ${tsSec} s does not fit classic pcap`)
      v.setUint32(p, tsSec, true)
      v.setUint32(p + 4, frac, true)
      v.setUint32(p + 8, caplen, true)
      v.setUint32(p + 12, origlen, true)
      this.recStart = p + PCAP_RECORD_HEADER
    } else {
      // 64-bit timestamp = tsSec * units + frac, split into 32-bit halves without BigInt: tsSec = a * 2^16 + b,
      // so value = (a * units) * 2^16 + (b * units + frac); every product stays below 2^53 for tsSec < 2^37.
      if (tsSec >= 137_438_953_472) throw new RangeError(`timestamp ${tsSec} s too large`)
      const a = Math.floor(tsSec / 65536) * this.units
      const low16 = (tsSec % 65536) * this.units + frac
      const aLo = (a % 65536) * 65536 // low 32 bits contributed by a * 2^16 (before carry)
      let lo = aLo + (low16 % TWO32)
      const carry = lo >= TWO32 ? 1 : 0
      lo -= carry * TWO32
      const hi = Math.floor(a / 65536) + Math.floor(low16 / TWO32) + carry
      v.setUint32(p, 6, true) // Enhanced Packet Block
      // total length set in endRecord (needs padding)
      v.setUint32(p + 8, 0, true) // interface 0
      v.setUint32(p + 12, hi, true)
      v.setUint32(p + 16, lo, true)
      v.setUint32(p + 20, caplen, true)
      v.setUint32(p + 24, origlen, true)
      this.recStart = p + EPB_HEADER
    }
    this.recCaplen = caplen
    return this.recStart
  }

  /** Completes the record begun by `beginRecord()` (pcapng: zero padding to 4 bytes and the trailing length). */
  endRecord(): void {
    const caplen = this.recCaplen
    if (caplen < 0) throw new Error('endRecord() without beginRecord()')
    let end = this.recStart + caplen
    if (this.ng) {
      const b = this.bytes
      while ((end & 3) !== 0) b[end++] = 0
      end += 4
      const total = end - this.pos
      this.view.setUint32(this.pos + 4, total, true)
      this.view.setUint32(end - 4, total, true)
    }
    this.fileBytes += end - this.pos
    this.pos = end
    this.frames++
    this.capturedBytes += caplen
    this.recCaplen = -1
  }

  /** Writes one record, copying `data[dataOffset .. dataOffset + caplen)` (cut to snaplen). */
  write(tsSec: number, tsNsec: number, data: Uint8Array, dataOffset: number, caplen: number, origlen: number): void {
    if (dataOffset < 0 || dataOffset + caplen > data.length) throw new RangeError(`record data ${dataOffset}+${caplen} outside a ${data.length}-byte array`)
    const at = this.beginRecord(tsSec, tsNsec, caplen, origlen)
    const n = this.recCaplen
    const out = this.bytes
    if (n <= 64) {
      for (let i = 0; i < n; i++) out[at + i] = data[dataOffset + i]
    } else {
      out.set(dataOffset === 0 && n === data.length ? data : data.subarray(dataOffset, dataOffset + n), at)
    }
    this.endRecord()
  }

  /** Flushes and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return
    if (this.recCaplen >= 0) throw new Error('close() inside a record: call endRecord() first')
    try {
      this.flush()
    } finally {
      this.closed = true
      if (this.fd >= 0) {
        closeSync(this.fd)
        this.fd = -1
      }
    }
  }

  /** Closes without a final flush (after an error); the caller deletes the partial file. */
  abort(): void {
    if (this.closed) return
    this.closed = true
    if (this.fd >= 0) {
      try {
        closeSync(this.fd)
      } catch {
        // already failing; keep the first error
      }
      this.fd = -1
    }
  }

  /** The whole capture of an in-memory writer (after `close()`). */
  toBuffer(): Buffer {
    if (this.chunks === null) throw new Error('toBuffer() is only for in-memory writers')
    if (!this.closed) this.close()
    return Buffer.concat(this.chunks)
  }

  private flush(): void {
    if (this.pos === 0) return
    if (this.chunks !== null) {
      this.chunks.push(Buffer.from(this.bytes.subarray(0, this.pos)))
    } else {
      let off = 0
      try {
        while (off < this.pos) off += writeSync(this.fd, this.bytes, off, this.pos - off)
      } catch (error) {
        const e = error as NodeJS.ErrnoException
        throw new UserError(`${this.path}: write failed after ${this.fileBytes - this.pos + off} bytes: ${e.code ?? e.message}`, {
          hint: e.code === 'ENOSPC' ? 'the disk is full' : undefined,
          cause: error,
        })
      }
    }
    this.pos = 0
  }

  private writePcapHeader(): void {
    const v = this.view
    v.setUint32(0, this.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, true)
    v.setUint16(4, 2, true) // version 2.4
    v.setUint16(6, 4, true)
    v.setInt32(8, 0, true) // thiszone
    v.setUint32(12, 0, true) // sigfigs
    v.setUint32(16, this.snaplen, true)
    v.setUint32(20, this.linktype, true)
    this.pos = 24
    this.fileBytes = 24
  }

  private writePcapngHeader(userAppl: string | undefined, comment: string | undefined): void {
    const v = this.view
    // Section Header Block: type, length, byte-order magic, version 1.0, section length -1 (unknown), options.
    let p = 0
    v.setUint32(p, 0x0a0d0d0a, true)
    v.setUint32(p + 8, 0x1a2b3c4d, true)
    v.setUint16(p + 12, 1, true)
    v.setUint16(p + 14, 0, true)
    v.setUint32(p + 16, 0xffffffff, true)
    v.setUint32(p + 20, 0xffffffff, true)
    let q = p + 24
    if (comment) q = this.stringOption(q, 1, comment) // opt_comment
    if (userAppl) q = this.stringOption(q, 4, userAppl) // shb_userappl
    q = this.endOfOptions(q, q !== p + 24)
    q = this.closeBlock(p, q)
    // Interface Description Block: linktype, reserved, snaplen, options (if_tsresol only when not the µs default).
    p = q
    v.setUint32(p, 1, true)
    v.setUint16(p + 8, this.linktype, true)
    v.setUint16(p + 10, 0, true)
    v.setUint32(p + 12, this.snaplen, true)
    q = p + 16
    if (this.nanosecond) {
      v.setUint16(q, 9, true) // if_tsresol
      v.setUint16(q + 2, 1, true)
      v.setUint32(q + 4, 0, true)
      this.bytes[q + 4] = 9 // 10^-9
      q += 8
    }
    q = this.endOfOptions(q, this.nanosecond)
    this.pos = this.closeBlock(p, q)
    this.fileBytes = this.pos
  }

  private stringOption(q: number, code: number, text: string): number {
    const b = Buffer.from(text, 'utf8')
    if (b.length > 0xffff || q + 4 + b.length + 64 > this.bytes.length) throw new RangeError('pcapng option too long')
    this.view.setUint16(q, code, true)
    this.view.setUint16(q + 2, b.length, true)
    this.bytes.set(b, q + 4)
    q += 4 + b.length
    while ((q & 3) !== 0) this.bytes[q++] = 0
    return q
  }

  private endOfOptions(q: number, any: boolean): number {
    if (!any) return q
    this.view.setUint32(q, 0, true) // opt_endofopt
    return q + 4
  }

  /** Writes the block's leading and trailing total length; `q` is where the trailing length goes. */
  private closeBlock(start: number, q: number): number {
    const total = q + 4 - start
    this.view.setUint32(start + 4, total, true)
    this.view.setUint32(q, total, true)
    return q + 4
  }
}

/** One frame for `buildCapture`. */
export interface CaptureRecord {
  tsSec: number
  tsNsec: number
  data: Uint8Array
  /** Original length; default `data.length`. */
  origlen?: number
}

/** A whole capture in memory (tests, small tools). */
export function buildCapture(options: CaptureWriterOptions, records: Iterable<CaptureRecord>): Buffer {
  const w = CaptureWriter.inMemory(options)
  for (const r of records) w.write(r.tsSec, r.tsNsec, r.data, 0, r.data.length, r.origlen ?? r.data.length)
  return w.toBuffer()
}

/** Capture format implied by a file name, or null: .pcap/.cap/.dmp → pcap, .pcapng/.ntar → pcapng. */
export function formatFromPath(path: string): CaptureFormat | null {
  const m = /\.([a-z]+)$/i.exec(path)
  const ext = m ? m[1].toLowerCase() : ''
  if (ext === 'pcap' || ext === 'cap' || ext === 'dmp') return 'pcap'
  if (ext === 'pcapng' || ext === 'ntar') return 'pcapng'
  return null
}
