/**
 * Differential test: on every classic pcap of ../shared/captures that pcap-parser (an independent
 * event-based reader, devDependency) accepts, frame count, lengths and timestamps equal ours.
 *
 * pcap-parser reads only µs pcap (no ns magic, no pcapng), emits 'error' for an unknown magic, never
 * ends on ENOENT (so only existing files are passed, with a timeout), and silently drops a partial
 * last record. Known, deliberate differences (we follow libpcap):
 * - a header libpcap rejects (version 1.4 / 2.5, reserved link-type bits) is accepted by
 *   pcap-parser (its version check is `major != 2 && minor != 4`); we reject it;
 * - where a file ends inside a record, pcap-parser stops silently, we stop with an error: the
 *   records before it must agree;
 * - a record with caplen > snaplen (<= 262144) is cut to snaplen by libpcap (and us), not by pcap-parser.
 */
import {createRequire} from 'node:module'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {openCapture} from '../../src/capture/reader.js'
import {tsToString} from '../../src/capture/timestamp.js'
import {sharedCaptures} from '../helpers/capture-bytes.js'

interface PpHeader {timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number}
interface PpResult {header?: {snapshotLength: number}; packets: PpHeader[]; error?: string}
interface PpParser {on(ev: string, fn: (x: never) => void): void}
const pcapParser = createRequire(import.meta.url)('pcap-parser') as {parse(path: string): PpParser}

function parseWithPcapParser(path: string): Promise<PpResult> {
  return new Promise((resolve, reject) => {
    const out: PpResult = {packets: []}
    const timer = setTimeout(() => reject(new Error(`pcap-parser did not finish ${path}`)), 10_000)
    const p = pcapParser.parse(path)
    p.on('globalHeader', (h: {snapshotLength: number}) => {
      out.header = h
    })
    p.on('packet', (pkt: {header: PpHeader}) => {
      out.packets.push({...pkt.header})
    })
    p.on('error', (e: Error) => {
      out.error = e.message
    })
    p.on('end', () => {
      clearTimeout(timer)
      resolve(out)
    })
  })
}

/** Our frames (lengths, timestamp string), and the error if the file is rejected part-way. */
function readOurs(path: string): {frames: Array<{caplen: number; origlen: number; ts: string}>; error?: string} {
  const frames = []
  try {
    const r = openCapture(path)
    try {
      for (let f = r.next(); f !== null; f = r.next()) frames.push({caplen: f.caplen, origlen: f.origlen, ts: tsToString(f.tsSec, f.tsNsec)})
    } finally {
      r.close()
    }
  } catch (error) {
    return {frames, error: (error as Error).message}
  }
  return {frames}
}

/** Files pcap-parser reads although libpcap rejects their header: [file, our error]. */
const HEADER_REJECTED: Record<string, RegExp> = {
  'malformed/libpcap__pcap-invalid-version-1.pcap': /unsupported pcap version 1\.4/,
  'malformed/libpcap__pcap-invalid-version-2.pcap': /unsupported pcap version 2\.5/,
  'malformed/libpcap__linktype-reserved-field-not-zero.pcap': /reserved bits set/,
  'malformed/derived__linktype-garbage__vrrp.pcap': /reserved bits set/,
}

const t = suite('capture/differential')
const dir = sharedCaptures()

if (dir === null) {
  t('differential (skipped)', () => {
    console.log('  skipped: ../shared/captures not found beside the repository')
  })
} else {
  const files = ['pcap', 'nonether', 'malformed'].flatMap((f) => readdirSync(join(dir, f)).filter((n) => n.endsWith('.pcap')).map((n) => `${f}/${n}`)).sort()
  let accepted = 0

  for (const key of files) {
    t(key, async () => {
      const path = join(dir, key)
      const pp = await parseWithPcapParser(path)
      if (pp.header === undefined) return // pcap-parser does not accept it (ns magic, bad magic, short header)
      accepted++
      const ours = readOurs(path)
      if (key in HEADER_REJECTED) {
        assert.ok(ours.error && HEADER_REJECTED[key].test(ours.error), `expected libpcap's header rejection, got ${ours.error}`)
        assert.is(ours.frames.length, 0)
        return
      }
      assert.is(ours.frames.length, pp.packets.length, `frame count (our error: ${ours.error})`)
      const snap = pp.header.snapshotLength || 262144
      for (let i = 0; i < pp.packets.length; i++) {
        const p = pp.packets[i]
        const want = {
          caplen: Math.min(p.capturedLength, snap), // libpcap cuts caplen > snaplen to snaplen
          origlen: p.originalLength,
          ts: (BigInt(p.timestampSeconds) * 1_000_000_000n + BigInt(p.timestampMicroseconds) * 1000n).toString(),
        }
        assert.equal(ours.frames[i], want, `${key} record ${i + 1}`)
      }
      if (ours.error) {
        // we stopped with an error where pcap-parser stopped silently: the file must end inside a record
        assert.match(ours.error, /truncated record|exceeds snaplen|exceeds the maximum/)
      }
    })
  }

  t('pcap-parser accepted most of the classic pcaps (the comparison is not vacuous)', () => {
    assert.ok(accepted >= 35, `only ${accepted} accepted`) // 37 of 46 at the time of writing
  })
}

t.run()
