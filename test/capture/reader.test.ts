import {closeSync, openSync, writeSync, mkdirSync} from 'node:fs'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {openCapture, type ReaderFrame} from '../../src/capture/reader.js'
import {CaptureFormatError, UserError} from '../../src/errors.js'
import {ethFrame, pcapBytes, PcapngBuilder, readToEnd, writeTmp} from '../helpers/capture-bytes.js'

/** Every frame of a file as plain objects (copies), plus the reader for its other facts. */
function readAll(path: string, opts = {}): {frames: Array<Omit<ReaderFrame, 'bytes'> & {hex: string}>; reader: ReturnType<typeof openCapture>} {
  const reader = openCapture(path, opts)
  const frames = []
  for (let f = reader.next(); f !== null; f = reader.next()) {
    frames.push({
      index: f.index, tsSec: f.tsSec, tsNsec: f.tsNsec, hasTimestamp: f.hasTimestamp, caplen: f.caplen,
      origlen: f.origlen, iface: f.iface, linktype: f.linktype, offset: f.offset, dataOffset: f.dataOffset,
      data: f.data, hex: Buffer.from(f.data).toString('hex'),
    })
  }
  return {frames, reader}
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

// ------------------------------------------------------------------ classic pcap

const pcap = suite('reader/pcap')

const A = ethFrame({length: 60})
const B = ethFrame({length: 98, src: '02:00:00:00:00:07'})
const C = ethFrame({length: 1514, dst: 'ff:ff:ff:ff:ff:ff'})

for (const le of [true, false]) {
  for (const nano of [false, true]) {
    pcap(`${le ? 'little' : 'big'}-endian, ${nano ? 'ns' : 'µs'} magic: every field`, () => {
      const bytes = pcapBytes({littleEndian: le, nano, records: [
        {sec: 1_700_000_000, frac: nano ? 123_456_789 : 123_456, data: A},
        {sec: 1_700_000_001, frac: 0, data: B},
        {sec: 4_000_000_000, frac: nano ? 999_999_999 : 999_999, data: C}, // > 2^31 s: seconds are unsigned
      ]})
      const path = writeTmp(`basic-${le}-${nano}.pcap`, bytes)
      const {frames, reader} = readAll(path)
      assert.is(reader.format, 'pcap')
      assert.is(reader.littleEndian, le)
      assert.is(reader.nanosecond, nano)
      assert.is(reader.fileSize, bytes.length)
      assert.equal(reader.interfaces, [{linktype: 1, snaplen: 65535, tsUnitsPerSec: nano ? 1e9 : 1e6, tsOffsetSec: 0}])
      assert.is(frames.length, 3)
      assert.equal(frames.map((f) => [f.index, f.tsSec, f.tsNsec, f.caplen, f.origlen, f.iface, f.linktype, f.hasTimestamp]), [
        [0, 1_700_000_000, nano ? 123_456_789 : 123_456_000, 60, 60, 0, 1, true],
        [1, 1_700_000_001, 0, 98, 98, 0, 1, true],
        [2, 4_000_000_000, nano ? 999_999_999 : 999_999_000, 1514, 1514, 0, 1, true],
      ])
      assert.equal(frames.map((f) => f.offset), [24, 24 + 16 + 60, 24 + 16 + 60 + 16 + 98])
      assert.equal(frames.map((f) => f.hex), [hex(A), hex(B), hex(C)])
      assert.is(reader.next(), null)
      assert.is(reader.next(), null, 'stays at EOF')
      assert.is(reader.bytesRead, bytes.length)
      assert.is(reader.warningCount, 0)
      reader.close()
    })
  }
}

pcap('snaplen, caplen < len (truncated frames) and a non-Ethernet link type are recorded', () => {
  const full = ethFrame({length: 300})
  const path = writeTmp('snap96.pcap', pcapBytes({snaplen: 96, linktype: 101, records: [
    {sec: 1, frac: 0, data: full.subarray(0, 96), len: 300},
    {sec: 2, frac: 0, data: full.subarray(0, 40)},
  ]}))
  const {frames, reader} = readAll(path)
  assert.equal(reader.interfaces[0], {linktype: 101, snaplen: 96, tsUnitsPerSec: 1e6, tsOffsetSec: 0})
  assert.equal(frames.map((f) => [f.caplen, f.origlen, f.linktype]), [[96, 300, 101], [40, 40, 101]])
  assert.is(frames[0].hex, hex(full.subarray(0, 96)))
  assert.is(reader.warningCount, 0)
})

pcap('caplen > snaplen (but <= 262144) keeps snaplen bytes with a warning, as libpcap does; the next record is intact', () => {
  const big = ethFrame({length: 120})
  const path = writeTmp('cap-gt-snap.pcap', pcapBytes({snaplen: 100, records: [
    {sec: 1, frac: 0, data: big},
    {sec: 2, frac: 0, data: A},
  ]}))
  const {frames, reader} = readAll(path)
  assert.equal(frames.map((f) => [f.caplen, f.origlen]), [[100, 120], [60, 60]])
  assert.is(frames[0].hex, hex(big.subarray(0, 100)))
  assert.is(frames[1].hex, hex(A))
  assert.is(reader.warningCount, 1)
  assert.match(reader.warnings[0].message, /record 1: caplen 120 exceeds snaplen 100: keeping the first 100 bytes, as libpcap does/)
  assert.is(reader.warnings[0].offset, 24)
})

pcap('caplen > len and zero-length records are read as is, with warnings naming the oddity', () => {
  const path = writeTmp('odd.pcap', pcapBytes({records: [
    {sec: 1, frac: 0, data: A, len: 50},
    {sec: 2, frac: 0, data: new Uint8Array(0), len: 0},
    {sec: 3, frac: 0, data: A},
  ]}))
  const {frames, reader} = readAll(path)
  assert.equal(frames.map((f) => [f.caplen, f.origlen]), [[60, 50], [0, 0], [60, 60]])
  assert.is(frames[1].data.length, 0)
  assert.equal(reader.warnings.map((w) => w.message), [
    'record 1: caplen 60 exceeds the original length 50 (read as is, as libpcap does)',
    'record 2: zero-length record (caplen 0, original length 0)',
  ])
})

pcap('out-of-range timestamp fractions keep libpcap\'s raw arithmetic sec*1e9 + frac*unit, normalised, with a warning', () => {
  const us = readAll(writeTmp('badus.pcap', pcapBytes({records: [
    {sec: 1418145370, frac: 1_000_000, data: A},
    {sec: 1418145370, frac: 0x80000000, data: A},
  ]})))
  // 1418145370 s + 1e6 µs = 1418145371 s; + 2147483648 µs = +2147 s 483648 µs
  assert.equal(us.frames.map((f) => [f.tsSec, f.tsNsec]), [[1418145371, 0], [1418145370 + 2147, 483_648_000]])
  assert.is(us.reader.warningCount, 2)
  assert.match(us.reader.warnings[0].message, /timestamp fraction 1000000 µs is out of range \(>= 1000000\)/)
  const ns = readAll(writeTmp('badns.pcap', pcapBytes({nano: true, records: [{sec: 1418145370, frac: 0x80000000, data: A}]})))
  assert.equal(ns.frames.map((f) => [f.tsSec, f.tsNsec]), [[1418145372, 147_483_648]])
  assert.match(ns.reader.warnings[0].message, /timestamp fraction 2147483648 ns is out of range/)
})

pcap('FCS bits in the link-type field: link type from the low 16 bits, with a warning', () => {
  const {frames, reader} = readAll(writeTmp('fcs.pcap', pcapBytes({linktype: 0x30000001, records: [{sec: 1, frac: 0, data: A}]})))
  assert.is(frames[0].linktype, 1)
  assert.is(reader.interfaces[0].linktype, 1)
  assert.is(reader.linktypeField, 0x30000001)
  assert.match(reader.warnings[0].message, /link-type field 0x30000001 carries FCS information .*read as link type 1/)
})

pcap('versions 2.2 (caplen/len swapped) and 2.3 (swapped only when caplen > len) as libpcap reads them', () => {
  // Before 2.3 the record header held len before caplen: bytes 8..11 = len, 12..15 = caplen.
  const v22 = readAll(writeTmp('v22.pcap', pcapBytes({version: [2, 2], records: [{sec: 1, frac: 0, data: A, caplen: 100, len: 60}]})))
  assert.equal(v22.frames.map((f) => [f.caplen, f.origlen]), [[60, 100]])
  const v23 = readAll(writeTmp('v23.pcap', pcapBytes({version: [2, 3], records: [
    {sec: 1, frac: 0, data: A, caplen: 100, len: 60}, // caplen > len: swapped
    {sec: 1, frac: 0, data: A, caplen: 60, len: 100}, // plausible: kept
  ]})))
  assert.equal(v23.frames.map((f) => [f.caplen, f.origlen]), [[60, 100], [60, 100]])
})

pcap('snaplen 0 means the link type\'s maximum; D-Bus (231) records may exceed 262144 bytes, as in libpcap', () => {
  const big = new Uint8Array(300_000).fill(7)
  const z = readAll(writeTmp('snap0.pcap', pcapBytes({snaplen: 0, records: [{sec: 1, frac: 0, data: C}]})))
  assert.equal([z.frames[0].caplen, z.reader.warningCount], [1514, 0])
  const dbus = readAll(writeTmp('dbus.pcap', pcapBytes({snaplen: 0, linktype: 231, records: [{sec: 1, frac: 0, data: big}]})))
  assert.equal([dbus.frames[0].caplen, dbus.frames[0].linktype, dbus.reader.warningCount], [300_000, 231, 0])
  assert.throws(() => readAll(writeTmp('eth-big.pcap', pcapBytes({snaplen: 0, records: [{sec: 1, frac: 0, data: big}]}))),
    /record 1 at byte 24: caplen 300000 exceeds snaplen 262144/) // snaplen 0 -> 262144
})

pcap('Kuznetzov (patched libpcap) magic: 24-byte record headers', () => {
  const bytes = new Uint8Array(24 + 24 + 60)
  const dv = new DataView(bytes.buffer)
  dv.setUint32(0, 0xa1b2cd34, true)
  dv.setUint16(4, 2, true)
  dv.setUint16(6, 4, true)
  dv.setUint32(16, 65535, true)
  dv.setUint32(20, 1, true)
  dv.setUint32(24, 7, true)
  dv.setUint32(28, 5, true)
  dv.setUint32(32, 60, true)
  dv.setUint32(36, 60, true)
  bytes.set(A, 48)
  const {frames} = readAll(writeTmp('kuz.pcap', bytes))
  assert.equal(frames.map((f) => [f.tsSec, f.tsNsec, f.caplen, f.dataOffset]), [[7, 5000, 60, 48]])
  assert.is(frames[0].hex, hex(A))
})

pcap('records larger than the read buffer grow it; records straddling refills are intact', () => {
  const records = []
  let x = 7
  for (let i = 0; i < 3000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    const len = i === 1500 ? 200_000 : 60 + (x % 1455)
    const data = ethFrame({length: len, src: `02:00:00:00:${((i >> 8) & 0xff).toString(16)}:${(i & 0xff).toString(16)}`})
    records.push({sec: 1000 + i, frac: i, data})
  }
  const path = writeTmp('many.pcap', pcapBytes({snaplen: 262144, records}))
  const {frames, reader} = readAll(path, {bufferSize: 1}) // clamps to the 64 KiB minimum
  assert.is(frames.length, 3000)
  for (let i = 0; i < 3000; i++) {
    if (frames[i].hex !== hex(records[i].data) || frames[i].tsSec !== 1000 + i || frames[i].tsNsec !== i * 1000) {
      assert.unreachable(`record ${i} differs`)
    }
  }
  assert.is(frames[1500].caplen, 200_000)
  assert.is(reader.bytesRead, reader.fileSize)
})

pcap('frame.data is a caplen-long view of frame.bytes at dataOffset; the frame object is reused', () => {
  const reader = openCapture(writeTmp('view.pcap', pcapBytes({records: [{sec: 1, frac: 0, data: A}, {sec: 2, frac: 0, data: B}]})))
  const f1 = reader.next()!
  assert.is(f1.data.length, 60)
  assert.is(f1.data.buffer, f1.bytes.buffer)
  assert.is(f1.data.byteOffset, f1.bytes.byteOffset + f1.dataOffset)
  assert.is(f1.data, f1.data, 'the view is made once per frame')
  const f2 = reader.next()!
  assert.is(f2, f1)
  assert.is(f2.data.length, 98)
  assert.is(hex(f2.data), hex(B))
  reader.close()
})

pcap('reading a big file keeps memory flat', () => {
  // 32 MiB file through a 1 MiB buffer: 32 refills. RSS and heap must not grow with the file.
  const dir = writeTmp('flat-dir-marker', new Uint8Array(0)).replace(/flat-dir-marker$/, '')
  mkdirSync(dir, {recursive: true})
  const path = `${dir}flat.pcap`
  const fd = openSync(path, 'w')
  writeSync(fd, pcapBytes({snaplen: 65535}))
  const chunk = pcapBytes({records: Array.from({length: 1024}, (_, i) => ({sec: i, frac: 0, data: ethFrame({length: 1008})}))}).subarray(24)
  for (let i = 0; i < 32; i++) writeSync(fd, chunk)
  closeSync(fd)
  const reader = openCapture(path, {bufferSize: 1 << 20})
  let n = 0
  let rss0 = 0
  let heap0 = 0
  let rssMax = 0
  let heapMax = 0
  for (let f = reader.next(); f !== null; f = reader.next()) {
    n++
    if (n === 2048) {
      rss0 = process.memoryUsage.rss()
      heap0 = process.memoryUsage().heapUsed
    } else if (n % 2048 === 0) {
      rssMax = Math.max(rssMax, process.memoryUsage.rss())
      heapMax = Math.max(heapMax, process.memoryUsage().heapUsed)
    }
  }
  reader.close()
  assert.is(n, 32 * 1024)
  const grew = (rssMax - rss0) / 2 ** 20
  const heapGrew = (heapMax - heap0) / 2 ** 20
  assert.ok(grew < 4, `RSS grew by ${grew.toFixed(1)} MiB reading 32 MiB`)
  assert.ok(heapGrew < 4, `heap grew by ${heapGrew.toFixed(1)} MiB reading 32 MiB`)
})

pcap.run()

// ------------------------------------------------------------------ pcapng

const ng = suite('reader/pcapng')

ng('one section, one interface (default µs resolution): EPB fields', () => {
  const b = new PcapngBuilder().shb().idb({snaplen: 65535})
    .epb({ticks: 1_700_000_000_123_456n, data: A})
    .epb({ticks: 1_700_000_001_000_000n, data: B.subarray(0, 50), len: 98})
  const bytes = b.bytes()
  const {frames, reader} = readAll(writeTmp('ng1.pcapng', bytes))
  assert.is(reader.format, 'pcapng')
  assert.is(reader.sections, 1)
  assert.equal(reader.interfaces, [{linktype: 1, snaplen: 65535, tsUnitsPerSec: 1e6, tsOffsetSec: 0}])
  assert.equal(frames.map((f) => [f.index, f.tsSec, f.tsNsec, f.caplen, f.origlen, f.iface, f.linktype, f.hasTimestamp]), [
    [0, 1_700_000_000, 123_456_000, 60, 60, 0, 1, true],
    [1, 1_700_000_001, 0, 50, 98, 0, 1, true],
  ])
  assert.equal(frames.map((f) => f.offset), [28 + 20, 28 + 20 + 32 + 60])
  assert.equal(frames.map((f) => f.hex), [hex(A), hex(B.subarray(0, 50))])
  assert.is(reader.bytesRead, bytes.length)
})

ng('two sections of different byte order; interfaces numbered across sections', () => {
  const b = new PcapngBuilder()
    .shb({littleEndian: false}).idb({linktype: 1, snaplen: 128, tsresol: 9}).idb({linktype: 101, snaplen: 0})
    .epb({ifid: 1, ticks: 5_000_001n, data: A}).epb({ifid: 0, ticks: 7_000_000_123n, data: B})
    .shb({littleEndian: true}).idb({linktype: 1, snaplen: 64, tsresol: 3})
    .epb({ifid: 0, ticks: 1_234_567n, data: A.subarray(0, 40), len: 60})
  const {frames, reader} = readAll(writeTmp('ng2sec.pcapng', b.bytes()))
  assert.is(reader.sections, 2)
  assert.is(reader.littleEndian, false, 'byte order of the first section')
  assert.equal(reader.interfaces.map((i) => [i.linktype, i.snaplen, i.tsUnitsPerSec]), [[1, 128, 1e9], [101, 0, 1e6], [1, 64, 1e3]])
  assert.equal(frames.map((f) => [f.iface, f.linktype, f.tsSec, f.tsNsec, f.caplen, f.origlen]), [
    [1, 101, 5, 1000, 60, 60],
    [0, 1, 7, 123, 98, 98],
    [2, 1, 1234, 567_000_000, 40, 60],
  ])
})

ng('several interfaces: link types, decimal and binary if_tsresol, if_tsoffset, if_name', () => {
  const b = new PcapngBuilder().shb()
    .idb({linktype: 1, tsresol: 9, name: 'eth0'})
    .idb({linktype: 113, tsresol: 0x94}) // 2^-20 s
    .idb({linktype: 1, tsresol: 3, tsoffset: 1_000_000_000n}) // ms, +1e9 s
    .idb({linktype: 1, tsresol: 0, tsoffset: -5n}) // seconds, -5 s
    .epb({ifid: 0, ticks: 1_394_056_506_745_865_123n, data: A})
    .epb({ifid: 1, ticks: (1_394_056_506n << 20n) + 782_096n, data: A})
    .epb({ifid: 2, ticks: 394_056_506_745n, data: A})
    .epb({ifid: 3, ticks: 3n, data: A})
  const {frames, reader} = readAll(writeTmp('ngifs.pcapng', b.bytes()))
  assert.is(reader.interfaces[0].name, 'eth0')
  assert.equal(reader.interfaces.map((i) => [i.linktype, i.tsUnitsPerSec, i.tsOffsetSec]), [[1, 1e9, 0], [113, 2 ** 20, 0], [1, 1e3, 1e9], [1, 1, -5]])
  assert.equal(frames.map((f) => [f.iface, f.linktype, f.tsSec, f.tsNsec]), [
    [0, 1, 1_394_056_506, 745_865_123],
    [1, 113, 1_394_056_506, 745_864_868], // floor(782096 * 1e9 / 2^20) = 745864868.16 -> truncated, as libpcap
    [2, 1, 1_394_056_506, 745_000_000],
    [3, 1, -2, 0],
  ])
})

ng('Simple Packet Blocks: caplen = min(len, snaplen), no timestamp; obsolete Packet Blocks read like EPBs', () => {
  const b = new PcapngBuilder().shb().idb({snaplen: 70})
    .spb({data: B.subarray(0, 72), len: 98}) // data padded in the block; caplen is min(98, 70)
    .spb({data: A})
    .pb({ifid: 0, ticks: 2_000_000n, data: A})
  const {frames} = readAll(writeTmp('ngspb.pcapng', b.bytes()))
  assert.equal(frames.map((f) => [f.caplen, f.origlen, f.hasTimestamp, f.tsSec, f.tsNsec]), [
    [70, 98, false, 0, 0],
    [60, 60, false, 0, 0],
    [60, 60, true, 2, 0],
  ])
  assert.is(frames[0].hex, hex(B.subarray(0, 70)))
  // snaplen 0 means "no limit" (libpcap: the link type's maximum, 262144)
  const z = readAll(writeTmp('ngspb0.pcapng', new PcapngBuilder().shb().idb({snaplen: 0}).spb({data: C}).bytes()))
  assert.is(z.frames[0].caplen, 1514)
})

ng('unknown, custom, name-resolution and statistics blocks are skipped; only packets are counted', () => {
  const b = new PcapngBuilder().shb().cb().nrb().idb()
    .block(0x12345678, new Uint8Array(12)).isb(0)
    .epb({ticks: 1n, data: A}).cb(false).nrb().isb(0).block(0x0a, new Uint8Array(8))
    .epb({ticks: 2n, data: B}).block(0x80000001, new Uint8Array(4))
  const {frames, reader} = readAll(writeTmp('ngskip.pcapng', b.bytes()))
  assert.equal(frames.map((f) => [f.index, f.tsNsec, f.caplen]), [[0, 1000, 60], [1, 2000, 98]])
  assert.is(reader.warningCount, 0)
})

ng('EPB with caplen > len or caplen 0: read with a warning', () => {
  const b = new PcapngBuilder().shb().idb().epb({ticks: 1n, data: A, len: 10}).epb({ticks: 2n, data: new Uint8Array(0), len: 64})
  const {frames, reader} = readAll(writeTmp('ngodd.pcapng', b.bytes()))
  assert.equal(frames.map((f) => [f.caplen, f.origlen]), [[60, 10], [0, 64]])
  assert.match(reader.warnings[0].message, /block 3 \(EPB\): captured length 60 exceeds the original length 10/)
  assert.match(reader.warnings[1].message, /zero-length packet/)
})

ng('timestamps past 2^53 ns stay exact (ns, µs and 2^-32 units, tick values > 2^53)', () => {
  const b = new PcapngBuilder().shb()
    .idb({tsresol: 9}).idb({tsresol: 6}).idb({tsresol: 0xa0})
    .epb({ifid: 0, ticks: 4_323_283_200_123_456_789n, data: A}) // 2107-01-01 + 123456789 ns
    .epb({ifid: 0, ticks: 18_446_744_073_709_551_615n, data: A}) // 2^64 - 1 ns
    .epb({ifid: 1, ticks: 9_007_199_254_740_993n, data: A}) // 2^53 + 1 µs
    .epb({ifid: 2, ticks: (4_294_967_296n << 32n) - 1n, data: A}) // 2^32 - 2^-32 s... max seconds
  const {frames} = readAll(writeTmp('ngbig.pcapng', b.bytes()))
  assert.equal(frames.map((f) => [f.tsSec, f.tsNsec]), [
    [4_323_283_200, 123_456_789],
    [18_446_744_073, 709_551_615],
    [9_007_199_254, 740_993_000],
    [4_294_967_295, 999_999_999], // floor((2^32 - 1) * 1e9 / 2^32)
  ])
})

ng('random ticks at every fast-path resolution agree with BigInt arithmetic (and the slow path)', () => {
  let s = 0x9e3779b9
  const rnd = (): number => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return s >>> 0
  }
  const resols = [...Array.from({length: 10}, (_, k) => k), ...Array.from({length: 33}, (_, n) => 0x80 | n), 12, 19, 0x80 | 40, 0x80 | 63]
  for (const r of resols) {
    const b = new PcapngBuilder().shb().idb({tsresol: r})
    const ticks: bigint[] = []
    for (let i = 0; i < 40; i++) {
      const hi = i < 10 ? rnd() >>> 12 : rnd() // both the < 2^53 path and the long division
      ticks.push((BigInt(hi) << 32n) | BigInt(rnd()))
    }
    ticks.push(0n, (1n << 64n) - 1n)
    const unit = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r)
    // Seconds are exact up to 2^53 (year 285 million): with coarse units keep the ticks below that.
    const limit = (1n << 53n) * unit
    for (let i = 0; i < ticks.length; i++) if (ticks[i] >= limit) ticks[i] %= limit
    for (const t of ticks) b.epb({ticks: t, data: A})
    const {frames} = readAll(writeTmp(`ngres-${r}.pcapng`, b.bytes()))
    for (let i = 0; i < ticks.length; i++) {
      const sec = ticks[i] / unit
      const nsec = ((ticks[i] % unit) * 1_000_000_000n) / unit
      const f = frames[i]
      if (BigInt(f.tsSec) !== sec || BigInt(f.tsNsec) !== nsec) {
        assert.unreachable(`tsresol 0x${r.toString(16)} ticks ${ticks[i]}: got ${f.tsSec}.${f.tsNsec}, want ${sec}.${nsec}`)
      }
    }
  }
})

ng.run()

// ------------------------------------------------------------------ errors

const errs = suite('reader/errors')

interface ErrCase {
  name: string
  bytes: Uint8Array
  /** Expected message after "<path>: ". */
  message: RegExp
  /** Byte offset the error names. */
  offset: number
  /** Frames read before the error. */
  frames?: number
  hint?: RegExp
}

function pcapWith(records: Array<{sec: number; frac: number; data: Uint8Array; caplen?: number; len?: number}>, extra: Partial<Parameters<typeof pcapBytes>[0]> = {}): Uint8Array {
  return pcapBytes({records, ...extra})
}

const rec = (data: Uint8Array, caplen?: number): {sec: number; frac: number; data: Uint8Array; caplen?: number} => ({sec: 1, frac: 0, data, caplen})
const good = pcapWith([rec(A), rec(B)])
const ngGood = (): PcapngBuilder => new PcapngBuilder().shb().idb({snaplen: 65535}).epb({ticks: 1n, data: A})

const cases: ErrCase[] = [
  {name: 'empty file', bytes: new Uint8Array(0), message: /^at byte 0: empty file \(0 bytes\): not a pcap or pcapng capture/, offset: 0},
  {name: '3-byte file', bytes: Uint8Array.of(0xd4, 0xc3, 0xb2), message: /^at byte 0: file of 3 bytes is too short for a capture header/, offset: 0},
  {name: 'unknown magic', bytes: Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0), message: /^at byte 0: unknown magic de ad be ef: not a pcap .* or pcapng .* file/, offset: 0},
  {name: 'gzip-compressed file', bytes: Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0), message: /unknown magic 1f 8b 08 00/, hint: /^it is gzip-compressed: gunzip it first$/, offset: 0},
  {name: 'truncated pcap header', bytes: good.subarray(0, 23), message: /^at byte 23: truncated pcap file header: 23 of 24 bytes/, offset: 23},
  {name: 'pcap version 1.4', bytes: pcapWith([], {version: [1, 4]}), message: /^file header at byte 4: unsupported pcap version 1\.4 \(libpcap reads 2\.0 to 2\.4\)/, offset: 4},
  {name: 'pcap version 2.5', bytes: pcapWith([rec(A)], {version: [2, 5]}), message: /unsupported pcap version 2\.5/, offset: 4},
  {name: 'reserved link-type bits', bytes: pcapWith([], {linktype: 0x00300001}), message: /^file header at byte 20: link-type field 0x00300001 has reserved bits set \(0x00300000\); libpcap rejects it/, offset: 20},
  {name: 'absurd caplen (> snaplen and > 262144)', bytes: pcapWith([rec(A), rec(B, 0x7ffffff0)]), message: /^record 2 at byte 100: caplen 2147483632 exceeds snaplen 65535$/, hint: /libpcap accepts at most 262144 bytes per record for link type 1/, offset: 100, frames: 1},
  {name: 'caplen above 262144 within a huge snaplen', bytes: pcapWith([rec(A, 300000)], {snaplen: 1_000_000}), message: /^record 1 at byte 24: caplen 300000 exceeds the maximum of 262144/, offset: 24},
  {name: 'truncated record header', bytes: good.subarray(0, 24 + 76 + 9), message: /^record 2 at byte 100: truncated record header: 9 of 16 bytes before the end of the file/, offset: 100, frames: 1},
  {name: 'truncated record data', bytes: good.subarray(0, 24 + 76 + 16 + 20), message: /^record 2 at byte 100: truncated record: caplen 98 but only 20 bytes of data before the end of the file/, offset: 100, frames: 1},
  {name: 'pcapng: bad byte-order magic', bytes: (() => { const b = ngGood().bytes(); b.set([0x11, 0x22, 0x33, 0x44], 8); return b })(), message: /^block 1 \(SHB\) at byte 8: byte-order magic 0x44332211 is neither 1a2b3c4d nor 4d3c2b1a/, offset: 8},
  {name: 'pcapng: truncated SHB', bytes: ngGood().bytes().subarray(0, 16), message: /^block 1 \(SHB\) at byte 0: truncated Section Header Block: length 28 but only 16 bytes before the end of the file/, offset: 0},
  {name: 'pcapng: SHB shorter than 28', bytes: (() => { const b = ngGood().bytes(); new DataView(b.buffer).setUint32(4, 20, true); return b })(), message: /Section Header Block length 20 is below the minimum of 28/, offset: 0},
  {name: 'pcapng: SHB over the 1 MiB sanity cap', bytes: (() => { const b = ngGood().bytes(); new DataView(b.buffer).setUint32(4, 2 << 20, true); return b })(), message: /Section Header Block length 2097152 exceeds libpcap's sanity limit of 1048576 bytes/, offset: 0},
  {name: 'pcapng: SHB length not a multiple of 4', bytes: (() => { const b = ngGood().bytes(); new DataView(b.buffer).setUint32(4, 30, true); return b })(), message: /Section Header Block length 30 is not a multiple of 4/, offset: 0},
  {name: 'pcapng: version 0.1', bytes: new PcapngBuilder().shb({major: 0, minor: 1}).idb().bytes(), message: /^block 1 \(SHB\) at byte 12: unsupported pcapng version 0\.1 \(libpcap reads 1\.0 and 1\.2\)/, offset: 12},
  {name: 'pcapng: version 1.1', bytes: new PcapngBuilder().shb({minor: 1}).idb().bytes(), message: /unsupported pcapng version 1\.1/, offset: 12},
  {name: 'pcapng: SHB trailer disagrees', bytes: (() => { const b = ngGood().bytes(); new DataView(b.buffer).setUint32(24, 99, true); return b })(), message: /^block 1 \(SHB\) at byte 0: block length 28 in the header but 99 in the trailer/, offset: 0},
  {name: 'pcapng: block length < 12', bytes: new PcapngBuilder().shb().block(1, new Uint8Array(8), {length: 4}).bytes(), message: /^block 2 \(IDB\) at byte 28: block length 4 is below the minimum of 12/, offset: 28},
  {name: 'pcapng: block length not a multiple of 4', bytes: new PcapngBuilder().shb().block(1, new Uint8Array(8), {length: 21}).bytes(), message: /^block 2 \(IDB\) at byte 28: block length 21 is not a multiple of 4/, offset: 28},
  {name: 'pcapng: huge block length', bytes: ngGood().block(6, new Uint8Array(20), {length: 0x7ffffff0}).bytes(), message: /^block 4 \(EPB\) at byte 140: block length 2147483632 exceeds the maximum of 16777216 bytes/, offset: 140, frames: 1},
  {name: 'pcapng: truncated block', bytes: ngGood().epb({ticks: 2n, data: B}).bytes().subarray(0, 140 + 50), message: /^block 4 \(EPB\) at byte 140: truncated block: length 132 but only 50 bytes before the end of the file/, offset: 140, frames: 1},
  {name: 'pcapng: truncated block header', bytes: ngGood().raw(Uint8Array.of(6, 0, 0, 0, 32)).bytes(), message: /^block 4 at byte 140: truncated block header: 5 bytes before the end of the file, a block has at least 12/, offset: 140, frames: 1},
  {name: 'pcapng: header and trailer lengths disagree', bytes: ngGood().block(6, new Uint8Array(40), {trailer: 8}).bytes(), message: /^block 4 \(EPB\) at byte 140: block length 52 in the header but 8 in the trailer/, offset: 140, frames: 1},
  {name: 'pcapng: EPB shorter than 32', bytes: ngGood().block(6, new Uint8Array(12)).bytes(), message: /block 4 \(EPB\) at byte 140: EPB length 24 is below the minimum of 32/, offset: 140, frames: 1},
  {name: 'pcapng: SPB shorter than 16', bytes: ngGood().block(3, new Uint8Array(0)).bytes(), message: /block 4 \(SPB\) at byte 140: SPB length 12 is below the minimum of 16/, offset: 140, frames: 1},
  {name: 'pcapng: PB shorter than 32', bytes: ngGood().block(2, new Uint8Array(4)).bytes(), message: /block 4 \(PB\) at byte 140: PB length 16 is below the minimum of 32/, offset: 140, frames: 1},
  {name: 'pcapng: IDB shorter than 20', bytes: new PcapngBuilder().shb().block(1, new Uint8Array(4)).bytes(), message: /^block 2 \(IDB\) at byte 28: IDB length 16 is below the minimum of 20/, offset: 28},
  {name: 'pcapng: bad interface id', bytes: ngGood().epb({ifid: 7, ticks: 2n, data: B}).bytes(), message: /^block 4 \(EPB\) at byte 140: interface id 7 but this section has 1 interface \(ids 0\.\.0\)/, offset: 140, frames: 1},
  {name: 'pcapng: interface of an earlier section', bytes: ngGood().shb().idb().epb({ifid: 1, ticks: 2n, data: B}).bytes(), message: /^block 6 \(EPB\) at byte 188: interface id 1 but this section has 1 interface/, offset: 188, frames: 1},
  {name: 'pcapng: EPB before any IDB', bytes: new PcapngBuilder().shb().epb({ticks: 1n, data: A}).idb().bytes(), message: /^block 2 \(EPB\) at byte 28: packet block before any Interface Description Block in this section/, offset: 28},
  {name: 'pcapng: SPB in a section without IDB', bytes: ngGood().shb().spb({data: A}).bytes(), message: /^block 5 \(SPB\) at byte 168: packet block before any Interface Description Block in this section/, offset: 168, frames: 1},
  {name: 'pcapng: no IDB at all', bytes: new PcapngBuilder().shb().nrb().cb().bytes(), message: /^at byte 84: the file has no Interface Description Block \(IDB\), so no packets/, offset: 84},
  {name: 'pcapng: captured length beyond the block', bytes: ngGood().epb({ticks: 2n, data: A, caplen: 64}).bytes(), message: /^block 4 \(EPB\) at byte 140: captured length 64 does not fit in the block \(room for 60 bytes of packet data\)/, offset: 140, frames: 1},
  {name: 'pcapng: captured length beyond the snaplen', bytes: new PcapngBuilder().shb().idb({snaplen: 50}).epb({ticks: 1n, data: A}).bytes(), message: /^block 3 \(EPB\) at byte 48: captured length 60 exceeds the interface's snaplen 50/, offset: 48},
  {name: 'pcapng: SPB block too short for min(len, snaplen)', bytes: new PcapngBuilder().shb().idb().spb({data: A.subarray(0, 20), len: 60}).bytes(), message: /^block 3 \(SPB\) at byte 48: captured length 60 does not fit in the block \(room for 20 bytes/, offset: 48},
  {name: 'IDB opt_endofopt with length 1', bytes: new PcapngBuilder().shb().idb({options: [{code: 0, value: Uint8Array.of(1)}]}).bytes(), message: /^block 2 \(IDB\) at byte 44: opt_endofopt has length 1, must be 0/, offset: 44},
  {name: 'IDB if_tsresol of length 2', bytes: new PcapngBuilder().shb().idb({options: [{code: 9, value: Uint8Array.of(6, 0)}]}).bytes(), message: /if_tsresol option has length 2, must be 1/, offset: 44},
  {name: 'IDB two if_tsresol', bytes: new PcapngBuilder().shb().idb({tsresol: 6, options: [{code: 9, value: Uint8Array.of(9)}]}).bytes(), message: /^block 2 \(IDB\) at byte 52: more than one if_tsresol option/, offset: 52},
  {name: 'IDB if_tsresol 2^-64', bytes: new PcapngBuilder().shb().idb({tsresol: 0x80 | 64}).bytes(), message: /if_tsresol 2\^-64 is too fine \(libpcap's limit is 2\^-63\)/, offset: 44},
  {name: 'IDB if_tsresol 10^-20', bytes: new PcapngBuilder().shb().idb({tsresol: 20}).bytes(), message: /if_tsresol 10\^-20 is too fine \(libpcap's limit is 10\^-19\)/, offset: 44},
  {name: 'IDB if_tsoffset of length 3', bytes: new PcapngBuilder().shb().idb({options: [{code: 14, value: Uint8Array.of(1, 2, 3)}]}).bytes(), message: /if_tsoffset option has length 3, must be 8/, offset: 44},
  {name: 'IDB two if_tsoffset', bytes: new PcapngBuilder().shb().idb({tsoffset: 1n, options: [{code: 14, value: new Uint8Array(8)}]}).bytes(), message: /^block 2 \(IDB\) at byte 56: more than one if_tsoffset option/, offset: 56},
  {name: 'IDB if_tsoffset beyond 2^53 s', bytes: new PcapngBuilder().shb().idb({tsoffset: 1n << 62n}).bytes(), message: /^block 2 \(IDB\) at byte 44: if_tsoffset 4611686018427388000 s is out of range$/, offset: 44},
  {name: 'IDB option running past the block', bytes: new PcapngBuilder().shb().idb({options: [{code: 2, value: Uint8Array.of(65, 66, 67, 68), length: 200}]}, ).bytes(), message: /^block 2 \(IDB\) at byte 44: option 2 of length 200 runs past the end of the block/, offset: 44},
]

for (const c of cases) {
  errs(`${c.name}: one-line CaptureFormatError naming file, place and offset`, () => {
    const path = writeTmp(`err-${c.name.replace(/[^a-z0-9]+/gi, '-')}.cap`, c.bytes)
    const {frames, error: caught} = readToEnd(path)
    assert.instance(caught, CaptureFormatError, `no error for ${c.name}`)
    const e = caught as CaptureFormatError
    assert.ok(e.message.startsWith(`${path}: `), e.message)
    const msg = e.message.slice(path.length + 2)
    assert.ok(c.message.test(msg), `got: ${msg}`)
    assert.is(e.offset, c.offset)
    assert.not.match(e.message, /\n/)
    assert.is(e.exitCode, 1)
    assert.is(frames, c.frames ?? 0)
    if (c.hint) assert.ok(c.hint.test(e.hint ?? ''), `hint: ${e.hint}`)
  })
}

errs('missing file, directory: UserError (not a format error) with a clear message', () => {
  const missing = writeTmp('x', new Uint8Array(0)).replace(/x$/, 'does-not-exist.pcap')
  assert.throws(() => openCapture(missing), (e: Error) => e instanceof UserError && !(e instanceof CaptureFormatError) && e.message === `${missing}: no such file`)
  const dir = missing.replace(/does-not-exist\.pcap$/, '')
  assert.throws(() => openCapture(dir), (e: Error) => e instanceof UserError && /is a directory, not a capture file/.test(e.message))
})

errs('after an error next() rethrows it; after close() it throws a UserError', () => {
  const r = openCapture(writeTmp('rethrow.pcap', good.subarray(0, 24 + 76 + 20)))
  assert.ok(r.next())
  let first: unknown
  try {
    r.next()
  } catch (error) {
    first = error
  }
  assert.instance(first, CaptureFormatError)
  assert.throws(() => r.next(), (e: unknown) => e === first)
  r.close()
  const r2 = openCapture(writeTmp('closed.pcap', good))
  r2.close()
  r2.close() // idempotent
  assert.throws(() => r2.next(), /reader used after close\(\)/)
})

errs('warnings are capped at maxWarnings; warningCount counts them all', () => {
  const records = Array.from({length: 50}, () => ({sec: 1, frac: 0, data: new Uint8Array(0)}))
  const r = openCapture(writeTmp('manywarn.pcap', pcapBytes({records})), {maxWarnings: 5})
  let n = 0
  while (r.next()) n++
  assert.is(n, 50)
  assert.is(r.warnings.length, 5)
  assert.is(r.warningCount, 50)
  r.close()
})

errs.run()
