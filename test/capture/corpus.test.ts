/**
 * Acceptance: every capture in ../shared/captures/{pcap,pcapng,nonether} that tshark reads gives,
 * through inspectCapture (the object `inspect --json` prints), the oracle's frames, captured and
 * original bytes, first/last timestamps, VLAN-tagged / broadcast / multicast counts and source-MAC
 * counts (oracle.json: TShark 4.0.17). Where libpcap and tshark disagree we follow libpcap; each such
 * case is listed below with the reason.
 */
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {inspectCapture} from '../../src/capture/inspect.js'
import {diffWithOracle, libpcapSnaplenCut, loadOracle, sharedCaptures} from '../helpers/capture-bytes.js'

const t = suite('capture/corpus')
const dir = sharedCaptures()

/**
 * Files libpcap rejects although tshark reads them: we reject them too (libpcap's rule).
 * Both are pcapng sections with no Interface Description Block at all; libpcap's
 * pcap_ng_check_header() fails with "the capture file has no Interface Description Blocks",
 * tshark reports 0 packets. (malformed/libpcap-pr1704__pcapng-no-idb.pcapng is the same case.)
 */
const LIBPCAP_REJECTS: Record<string, RegExp> = {
  'pcapng/pcapng-test-generator__le__test002.pcapng': /the file has no Interface Description Block \(IDB\)/, // SHB only
  'pcapng/pcapng-test-generator__le__test017.pcapng': /the file has no Interface Description Block \(IDB\)/, // SHB + custom blocks
}

if (dir === null) {
  t('corpus (skipped)', () => {
    console.log('  skipped: ../shared/captures (oracle.json) not found beside the repository')
  })
} else {
  const oracle = loadOracle(dir)
  const folders = ['pcap', 'pcapng', 'nonether']
  let compared = 0

  for (const folder of folders) {
    for (const name of readdirSync(join(dir, folder)).sort()) {
      const key = `${folder}/${name}`
      t(key, () => {
        const o = oracle[key]
        assert.ok(o, `${key} has no oracle entry`)
        assert.is(o.error, null, 'every file in these folders is one tshark reads')
        const r = inspectCapture(join(dir, key))
        if (key in LIBPCAP_REJECTS) {
          assert.ok(r.error && LIBPCAP_REJECTS[key].test(r.error), `expected libpcap's rejection, got ${r.error}`)
          assert.is(r.frames, 0)
          assert.is(o.frames, 0, 'tshark reads no packet from it either')
          return
        }
        assert.is(r.error, undefined, r.error)
        const expect: Record<string, unknown> = {}
        // libpcap cuts records whose caplen exceeds the header snaplen (up to 262144) to snaplen;
        // tshark keeps them whole. Affects tcpdump__pim-packet-assortment.pcap (records of 65549 and
        // 65589 bytes with snaplen 65535: 68 bytes fewer), and nothing else in these folders.
        if (r.format === 'pcap') {
          const cut = libpcapSnaplenCut(join(dir, key))
          if (cut) expect.capturedBytes = o.total_captured_bytes - cut
        }
        const diffs = diffWithOracle(r, o, expect)
        assert.equal(diffs, [], `${key}:\n  ${diffs.join('\n  ')}`)
        compared++
      })
    }
  }

  t('the snaplen cut applies where expected (pim-packet-assortment: 68 bytes)', () => {
    assert.is(libpcapSnaplenCut(join(dir, 'pcap/tcpdump__pim-packet-assortment.pcap')), 68)
    const r = inspectCapture(join(dir, 'pcap/tcpdump__pim-packet-assortment.pcap'))
    assert.is(r.capturedBytes, 271876 - 68)
    assert.is(r.warningCount, 2)
    assert.match(r.warnings[0], /caplen 65549 exceeds snaplen 65535: keeping the first 65535 bytes, as libpcap does/)
  })

  t('timestamps past 2^53 ns and 2^32 s are exact (2106 overflow, 2107)', () => {
    assert.is(inspectCapture(join(dir, 'pcapng/tcpdump__time_2106_overflow.pcapng')).firstTimestampNs, '4294967296000000000')
    assert.is(inspectCapture(join(dir, 'pcapng/tcpdump__time_2107.pcapng')).lastTimestampNs, '4323283200000000000')
  })

  t('every file of the three folders was compared', () => {
    const total = folders.reduce((n, f) => n + readdirSync(join(dir, f)).length, 0)
    assert.is(compared + Object.keys(LIBPCAP_REJECTS).length, total)
    assert.ok(total >= 75, `only ${total} files`)
  })
}

t.run()
