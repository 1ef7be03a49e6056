/**
 * Capture frames → rows of the frames table: read, decode the L2 header, pace. One home for what a
 * frames row holds, used by the frame worker and, while that thread boots, by the replay thread itself
 * (see frame-source.ts). Both read the same file with the same code, so a row is the same whoever fills it.
 */
import {decodeL2At, LINKTYPE_ETHERNET, newL2Info, type L2Info} from '../capture/ethernet.js'
import type {CaptureReader} from '../capture/reader.js'
import {MacTable} from '../model/mac-table.js'
import {DST_BROADCAST, DST_MULTICAST, DST_UNICAST} from '../model/frames.js'
import type {Pacing} from '../scenario/types.js'
import {NS_ZERO} from '../sim/time.js'
import type {ColumnArray} from '../trace/writer.js'

export interface FillConfig {
  pacing: Pacing
  /** topspeed pacing: serialization of the previous frame on this link (same formula as World.serNs). */
  topGbps: number
  fcsBytes: number
  ethOverheadBytes: number
  /** Source MACs that identify a VM, and that VM's index (frames.src_vm). */
  vmMacs: number[]
  vmIndex: number[]
}

export class FrameFiller {
  /** Frames read so far. */
  count = 0
  /** The capture has no more frames. */
  eof = false
  outOfOrder = 0
  noTimestamp = 0
  notEthernet = 0
  /** Rows the last fill() completed (also when it threw). */
  filled = 0
  private readonly reader: CaptureReader
  private readonly pacing: Pacing
  private readonly topGbps: number
  private readonly serExtra: number
  private readonly macs = new MacTable()
  private readonly l2: L2Info = newL2Info()
  // Doubles from the start (see src/sim/time.ts): seconds × 1e9 overflows int32 three seconds into a
  // capture, which deoptimised fill() (and every recompile of it) once per thread.
  private sec0 = NS_ZERO
  private nsec0 = 0
  private lastT = NS_ZERO
  private prevLen = 0

  constructor(reader: CaptureReader, cfg: FillConfig) {
    this.reader = reader
    this.pacing = cfg.pacing
    this.topGbps = cfg.topGbps
    this.serExtra = cfg.fcsBytes + cfg.ethOverheadBytes
    cfg.vmMacs.forEach((m, i) => this.macs.set(m, cfg.vmIndex[i]))
  }

  /**
   * Fill rows 0.. of `c` (frames columns) and `ok` with up to `max` frames; returns how many. `host` is
   * left -1 (the replay thread sets it at injection). Throws the reader's error on a damaged capture,
   * after the rows before it are filled: `filled` then says how many.
   */
  fill(c: Record<string, ColumnArray>, ok: Uint8Array, max: number): number {
    const reader = this.reader
    const l2 = this.l2
    const pacing = this.pacing
    const fPacket = c.packet_id
    const fT = c.t_ns
    const fSec = c.ts_sec
    const fNsec = c.ts_nsec
    const fCaplen = c.caplen
    const fLen = c.len
    const fSrc = c.src_mac
    const fDst = c.dst_mac
    const fKind = c.dst_kind
    const fVlan = c.vlan
    const fInner = c.inner_vlan
    const fPcp = c.pcp
    const fEthertype = c.ethertype
    const fSrcVm = c.src_vm
    const fHost = c.host
    let r = 0
    this.filled = 0
    while (r < max) {
      const frame = reader.next()
      if (frame === null) {
        this.eof = true
        break
      }
      const count = this.count
      if (count === 0) {
        this.sec0 = frame.tsSec
        this.nsec0 = frame.tsNsec
      }
      if (!frame.hasTimestamp) this.noTimestamp++
      let t: number
      switch (pacing.kind) {
        case 'original':
          t = (frame.tsSec - this.sec0) * 1e9 + (frame.tsNsec - this.nsec0)
          break
        case 'speed':
          t = Math.round(((frame.tsSec - this.sec0) * 1e9 + (frame.tsNsec - this.nsec0)) / pacing.factor)
          break
        case 'pps':
          t = Math.round((count * 1e9) / pacing.pps)
          break
        case 'topspeed':
          t = count === 0 ? 0 : this.lastT + Math.round(((this.prevLen + this.serExtra) * 8) / this.topGbps)
          break
      }
      if (t < this.lastT) {
        this.outOfOrder++
        t = this.lastT
      }
      fPacket[r] = frame.index
      fT[r] = t
      fSec[r] = frame.tsSec
      fNsec[r] = frame.tsNsec
      fCaplen[r] = frame.caplen
      fLen[r] = frame.origlen
      fHost[r] = -1
      if (frame.linktype === LINKTYPE_ETHERNET && decodeL2At(frame.bytes, frame.dataOffset, frame.caplen, l2)) {
        ok[r] = 1
        fSrc[r] = l2.src
        fDst[r] = l2.dst
        fKind[r] = l2.isBroadcast ? DST_BROADCAST : l2.isMulticast ? DST_MULTICAST : DST_UNICAST
        fVlan[r] = l2.tags > 0 ? l2.outerVid : -1
        fInner[r] = l2.tags > 1 ? l2.innerVid : -1
        fPcp[r] = l2.tags > 0 ? l2.outerPcp : -1
        fEthertype[r] = l2.ethertype
        fSrcVm[r] = this.macs.get(l2.src)
      } else {
        this.notEthernet++
        ok[r] = 0
        fSrc[r] = 0
        fDst[r] = 0
        fKind[r] = 0
        fVlan[r] = -1
        fInner[r] = -1
        fPcp[r] = -1
        fEthertype[r] = 0
        fSrcVm[r] = -1
      }
      this.prevLen = frame.origlen
      this.lastT = t
      this.count = count + 1
      r++
      this.filled = r
    }
    return r
  }
}
