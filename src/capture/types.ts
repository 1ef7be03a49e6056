/**
 * Shared shapes of the capture layer. A reader reuses one CaptureFrame object and one buffer:
 * the fields and `data` are valid only until the next call to `next()`.
 */

export type CaptureFormat = 'pcap' | 'pcapng'

/** One packet record as the reader yields it (reused between calls; copy what you keep). */
export interface CaptureFrame {
  /** 0-based index of the packet record in the file (packet records only). */
  index: number
  /**
   * Timestamp, split so it stays exact past 2^53 ns: whole seconds since the epoch (an integer
   * double, exact) and nanoseconds within that second (0..999_999_999). For records without a
   * timestamp (pcapng Simple Packet Block) `hasTimestamp` is false and both are 0.
   */
  tsSec: number
  tsNsec: number
  hasTimestamp: boolean
  /** Bytes captured (the length of `data`). */
  caplen: number
  /** Length of the packet on the wire. */
  origlen: number
  /** Interface id: pcapng interface index within its section, numbered across sections in file order; 0 for pcap. */
  iface: number
  /** LINKTYPE_* of the interface (1 = Ethernet). */
  linktype: number
  /** Byte offset of the record in the file (for messages). */
  offset: number
  /** The captured bytes: a view into the reader's buffer, valid until the next `next()`. */
  data: Uint8Array
}

/** Facts about one interface (pcap has exactly one). */
export interface CaptureInterface {
  linktype: number
  snaplen: number
  /** Timestamp units per second (1e6 for µs pcap, 1e9 for ns pcap, from if_tsresol in pcapng). */
  tsUnitsPerSec: number
  /** if_tsoffset in seconds (pcapng), 0 otherwise. */
  tsOffsetSec: number
  name?: string
}

/** A non-fatal oddity a reader met and read past the way libpcap does (caplen > len, bad fraction, ...). */
export interface CaptureWarning {
  offset: number
  message: string
}
