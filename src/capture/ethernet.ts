/**
 * Layer-2 facts of an Ethernet II frame: MACs, 802.1Q / 802.1ad (QinQ) tags, ethertype after the
 * tags, broadcast / multicast. Enough for L2 switching; nothing above L2 is dissected.
 *
 * MACs are 48-bit integers held in a JS number (exact: 2^48 < 2^53), so they compare with ===,
 * key typed-array hash tables and cost no allocation. `decodeL2` writes into a caller-owned
 * object and allocates nothing.
 */
import {UserError} from '../errors.js'

/** LINKTYPE_ETHERNET (DLT_EN10MB): the only link type whose frames carry an Ethernet header. */
export const LINKTYPE_ETHERNET = 1

/** Tag protocol identifiers: 802.1Q C-tag, 802.1ad S-tag, and the pre-standard QinQ 0x9100 / 0x9200. */
export const TPID_8021Q = 0x8100
export const TPID_8021AD = 0x88a8
export const TPID_QINQ_9100 = 0x9100
export const TPID_QINQ_9200 = 0x9200

export const BROADCAST_MAC = 0xffffffffffff

export interface L2Info {
  /** Destination and source MAC as 48-bit integers. */
  dst: number
  src: number
  /** Number of stacked VLAN tags read (0, 1, 2, or more for deeper stacks). */
  tags: number
  /** Outermost tag: VID (-1 when untagged), PCP, TPID (0 when untagged). */
  outerVid: number
  outerPcp: number
  outerTpid: number
  /** Second tag (QinQ C-tag): VID (-1 when fewer than two tags), PCP. */
  innerVid: number
  innerPcp: number
  /** Ethertype (or 802.3 length, < 0x600) after all tags. */
  ethertype: number
  isBroadcast: boolean
  /** Group bit of the destination set, broadcast excluded. */
  isMulticast: boolean
  /** Bytes of Ethernet header including tags: where L3 starts. */
  headerLen: number
  /** False when the frame is shorter than an Ethernet header (14 bytes); other fields are then reset. */
  ok: boolean
}

export function newL2Info(): L2Info {
  return {
    dst: 0, src: 0, tags: 0, outerVid: -1, outerPcp: 0, outerTpid: 0, innerVid: -1, innerPcp: 0,
    ethertype: 0, isBroadcast: false, isMulticast: false, headerLen: 0, ok: false,
  }
}

function isTagTpid(t: number): boolean {
  return t === TPID_8021Q || t === TPID_8021AD || t === TPID_QINQ_9100 || t === TPID_QINQ_9200
}

/**
 * Decode the Ethernet header of `data` into `out`. Returns `out.ok`: false when `data` has fewer
 * than 14 bytes. A tag whose 4 bytes are cut off by the capture length ends the walk: the TPID is
 * then reported as the ethertype and the tag is not counted.
 */
export function decodeL2(data: Uint8Array, out: L2Info): boolean {
  return decodeL2At(data, 0, data.length, out)
}

/** `decodeL2` on `len` bytes of `buf` starting at `off` (no view needed: zero allocation). */
export function decodeL2At(buf: Uint8Array, off: number, len: number, out: L2Info): boolean {
  out.tags = 0
  out.outerVid = -1
  out.outerPcp = 0
  out.outerTpid = 0
  out.innerVid = -1
  out.innerPcp = 0
  if (len < 14) {
    out.ok = false
    out.dst = 0
    out.src = 0
    out.ethertype = 0
    out.isBroadcast = false
    out.isMulticast = false
    out.headerLen = 0
    return false
  }
  const b0 = buf[off]
  const dstHi = (b0 << 8) | buf[off + 1]
  const dstLo = ((buf[off + 2] << 24) | (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5]) >>> 0
  const srcHi = (buf[off + 6] << 8) | buf[off + 7]
  const srcLo = ((buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11]) >>> 0
  out.dst = dstHi * 4294967296 + dstLo
  out.src = srcHi * 4294967296 + srcLo
  const bcast = dstHi === 0xffff && dstLo === 0xffffffff
  out.isBroadcast = bcast
  out.isMulticast = !bcast && (b0 & 1) === 1
  let p = 12
  let et = (buf[off + 12] << 8) | buf[off + 13]
  let tags = 0
  while (isTagTpid(et) && p + 6 <= len) {
    const tci = (buf[off + p + 2] << 8) | buf[off + p + 3]
    if (tags === 0) {
      out.outerTpid = et
      out.outerVid = tci & 0xfff
      out.outerPcp = tci >>> 13
    } else if (tags === 1) {
      out.innerVid = tci & 0xfff
      out.innerPcp = tci >>> 13
    }
    tags++
    p += 4
    et = (buf[off + p] << 8) | buf[off + p + 1]
  }
  out.tags = tags
  out.ethertype = et
  out.headerLen = p + 2
  out.ok = true
  return true
}

const HEX = '0123456789abcdef'

/** "aa:bb:cc:dd:ee:ff" for a 48-bit MAC. */
export function macToString(mac: number): string {
  let s = ''
  for (let i = 5; i >= 0; i--) {
    const byte = Math.floor(mac / 2 ** (8 * i)) & 0xff
    s += HEX[byte >> 4] + HEX[byte & 15]
    if (i) s += ':'
  }
  return s
}

const MAC_RE = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i
const MAC_PLAIN_RE = /^(?:[0-9a-f]{12}|(?:[0-9a-f]{4}\.){2}[0-9a-f]{4})$/i

/**
 * Parse "aa:bb:cc:dd:ee:ff" (also with '-', single-digit octets, Cisco "aabb.ccdd.eeff" or 12 hex
 * digits) into a 48-bit integer. Throws UserError on anything else.
 */
export function parseMac(s: string): number {
  const t = String(s).trim()
  const m = MAC_RE.exec(t)
  if (m) {
    let v = 0
    for (let i = 1; i <= 6; i++) v = v * 256 + Number.parseInt(m[i], 16)
    return v
  }
  if (MAC_PLAIN_RE.test(t)) return Number.parseInt(t.replaceAll('.', ''), 16)
  throw new UserError(`invalid MAC address "${s}"`, {hint: 'write it as six hex octets, e.g. 02:00:00:00:00:01'})
}
