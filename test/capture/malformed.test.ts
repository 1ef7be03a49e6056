/**
 * Acceptance: every file in ../shared/captures/malformed/ that libpcap rejects gives one clear
 * CaptureFormatError (file, place, byte offset, problem) quickly; the frames read before the error
 * match what tshark read before its own error (oracle.json). The tcpdump__ files carry odd but
 * readable records: they are read as libpcap reads them, with a warning naming the oddity.
 * A few go through `npa-trace inspect` in-process: exit code 1, one stderr line, no stack.
 */
import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {inspectCapture} from '../../src/capture/inspect.js'
import {openCapture} from '../../src/capture/reader.js'
import {CaptureFormatError} from '../../src/errors.js'
import {diffWithOracle, libpcapSnaplenCut, loadOracle, readToEnd, sharedCaptures} from '../helpers/capture-bytes.js'

process.env.NODE_ENV ??= 'test' // otherwise oclif runs in prod mode and loads dist/ instead of the TS sources
const t = suite('capture/malformed')
const dir = sharedCaptures()

/** Expected error (after "<path>: ") and frames read before it, for every file libpcap rejects. */
const REJECTED: Record<string, [RegExp, number]> = {
  'derived__absurd-caplen__vrrp.pcap': [/^record 6 at byte 408: caplen 2147483632 exceeds snaplen 65535$/, 5],
  'derived__bad-magic__vrrp.pcap': [/^at byte 0: unknown magic de ad be ef: not a pcap/, 0],
  // incl_len 70000 > snaplen but <= 262144: libpcap reads on (to cut it to the snaplen) and runs out of file.
  'derived__caplen-gt-snaplen-desync__vrrp.pcap': [/^record 6 at byte 408: truncated record: caplen 70000 but only 15920 bytes of data before the end of the file$/, 5],
  'derived__linktype-garbage__vrrp.pcap': [/^file header at byte 20: link-type field 0x7fffffff has reserved bits set \(0x03ff0000\)/, 0],
  'derived__pcapng-bad-bom__OSPFv2.pcapng': [/^block 1 \(SHB\) at byte 8: byte-order magic 0x44332211 is neither 1a2b3c4d nor 4d3c2b1a$/, 0],
  'derived__pcapng-epb-bad-ifid__OSPFv2.pcapng': [/^block 8 \(EPB\) at byte 1240: interface id 7 but this section has 1 interface \(ids 0\.\.0\)$/, 5],
  'derived__pcapng-epb-caplen-overflow__OSPFv2.pcapng': [/^block 8 \(EPB\) at byte 1240: captured length 356 does not fit in the block \(room for 324 bytes of packet data\)$/, 5],
  'derived__pcapng-epb-huge-len__OSPFv2.pcapng': [/^block 8 \(EPB\) at byte 1240: block length 2147483632 exceeds the maximum of 16777216 bytes$/, 5],
  'derived__pcapng-epb-len-mismatch__OSPFv2.pcapng': [/^block 8 \(EPB\) at byte 1240: block length 360 in the header but \d+ in the trailer$/, 5],
  'derived__pcapng-truncated-epb__OSPFv2.pcapng': [/^block 8 \(EPB\) at byte 1240: truncated block: length 356 but only 178 bytes before the end of the file$/, 5],
  'derived__truncated-global-header-12__vrrp.pcap': [/^at byte 12: truncated pcap file header: 12 of 24 bytes$/, 0],
  'derived__truncated-record-data__vrrp.pcap': [/^record 11 at byte 906: truncated record: caplen 142 but only 20 bytes of data before the end of the file$/, 10],
  'derived__truncated-record-header__vrrp.pcap': [/^record 11 at byte 906: truncated record header: 9 of 16 bytes before the end of the file$/, 10],
  'libpcap-pr1704__pcap-empty-file.pcap': [/^at byte 0: empty file \(0 bytes\): not a pcap or pcapng capture$/, 0],
  'libpcap-pr1704__pcap-truncated-hdr-23.pcap': [/^at byte 23: truncated pcap file header: 23 of 24 bytes$/, 0],
  'libpcap-pr1704__pcapng-block-len-not-mult4.pcapng': [/^block 2 \(IDB\) at byte 28: block length 21 is not a multiple of 4$/, 0],
  'libpcap-pr1704__pcapng-block-len-too-small.pcapng': [/^block 2 \(IDB\) at byte 28: block length 4 is below the minimum of 12$/, 0],
  'libpcap-pr1704__pcapng-idb-endofopt-badlen.pcapng': [/^block 2 \(IDB\) at byte 44: opt_endofopt has length 1, must be 0$/, 0],
  'libpcap-pr1704__pcapng-idb-tsoffset-badlen.pcapng': [/^block 2 \(IDB\) at byte 44: if_tsoffset option has length 3, must be 8$/, 0],
  'libpcap-pr1704__pcapng-idb-tsoffset-dup.pcapng': [/^block 2 \(IDB\) at byte 56: more than one if_tsoffset option$/, 0],
  'libpcap-pr1704__pcapng-idb-tsresol-badlen.pcapng': [/^block 2 \(IDB\) at byte 44: if_tsresol option has length 2, must be 1$/, 0],
  'libpcap-pr1704__pcapng-idb-tsresol-bin-high.pcapng': [/^block 2 \(IDB\) at byte 44: if_tsresol 2\^-72 is too fine \(libpcap's limit is 2\^-63\)$/, 0],
  'libpcap-pr1704__pcapng-idb-tsresol-dec-high.pcapng': [/^block 2 \(IDB\) at byte 44: if_tsresol 10\^-100 is too fine \(libpcap's limit is 10\^-19\)$/, 0],
  'libpcap-pr1704__pcapng-idb-tsresol-dup.pcapng': [/^block 2 \(IDB\) at byte 52: more than one if_tsresol option$/, 0],
  'libpcap-pr1704__pcapng-no-idb.pcapng': [/^at byte 28: the file has no Interface Description Block \(IDB\), so no packets$/, 0],
  'libpcap-pr1704__pcapng-packet-before-idb.pcapng': [/^block 2 \(EPB\) at byte 28: packet block before any Interface Description Block in this section$/, 0],
  'libpcap-pr1704__pcapng-shb-len-insane.pcapng': [/^block 1 \(SHB\) at byte 0: Section Header Block length 2097152 exceeds libpcap's sanity limit of 1048576 bytes$/, 0],
  'libpcap-pr1704__pcapng-shb-len-too-small.pcapng': [/^block 1 \(SHB\) at byte 0: Section Header Block length 20 is below the minimum of 28$/, 0],
  'libpcap-pr1704__pcapng-truncated-shb.pcapng': [/^block 1 \(SHB\) at byte 0: truncated Section Header Block: length 28 but only 16 bytes before the end of the file$/, 0],
  'libpcap__linktype-reserved-field-not-zero.pcap': [/^file header at byte 20: link-type field 0x00300000 has reserved bits set \(0x00300000\); libpcap rejects it$/, 0],
  'libpcap__pcap-invalid-version-1.pcap': [/^file header at byte 4: unsupported pcap version 1\.4 \(libpcap reads 2\.0 to 2\.4\)$/, 0],
  'libpcap__pcap-invalid-version-2.pcap': [/^file header at byte 4: unsupported pcap version 2\.5 \(libpcap reads 2\.0 to 2\.4\)$/, 0],
  'libpcap__pcapng-invalid-vers-1.pcapng': [/^block 1 \(SHB\) at byte 12: unsupported pcapng version 0\.1 \(libpcap reads 1\.0 and 1\.2\)$/, 0],
  'libpcap__pcapng-invalid-vers-2.pcapng': [/^block 1 \(SHB\) at byte 12: unsupported pcapng version 1\.1 \(libpcap reads 1\.0 and 1\.2\)$/, 0],
  // The SHB option claims 12336 bytes; libpcap fails on the block's header/trailer lengths first.
  'libpcap__shb-option-too-long.pcapng': [/^block 1 \(SHB\) at byte 0: block length 52 in the header but 808464432 in the trailer$/, 0],
}

/** tcpdump__ files: readable; the warnings that must name each oddity. */
const ODD: Record<string, RegExp[]> = {
  'tcpdump__aoe-oobr-1.pcap': [/record 1: caplen 34 exceeds snaplen 31: keeping the first 31 bytes/, /record 1: caplen 34 exceeds the original length 32/],
  'tcpdump__bgp_vpn_rt-oobr.pcap': [/record 2: zero-length record \(caplen 0, original length 0\)/],
  'tcpdump__nfs-attr-oobr.pcap': [/file header: link-type field 0x30000001 carries FCS information .*read as link type 1/],
  'tcpdump__pim_header_asan-2.pcap': [/record 2: zero-length record \(caplen 0, original length 262144\)/, /record 3: caplen 4 exceeds the original length 0/],
  'tcpdump__timestamp_invalid_micro.pcap': [/record 2: timestamp fraction 1000000 µs is out of range/, /record 3: timestamp fraction 2147483648 µs is out of range/],
  'tcpdump__timestamp_invalid_nano.pcap': [/record 2: timestamp fraction 1000000000 ns is out of range/, /record 3: timestamp fraction 2147483648 ns is out of range/],
}

/**
 * Where tshark reads frames libpcap does not (libpcap's rule wins), or computes another value:
 * - pcap-invalid-version-2 (version 2.5), pcapng-shb-len-insane and pcapng-truncated-shb: tshark
 *   reads 1 "frame" (wiretap falls back to its MIME reader for the two pcapng files); libpcap rejects.
 * - timestamp_invalid_micro, record 3 has tv_usec 0x80000000: libpcap keeps the raw fraction
 *   (tcpdump's own test output prints "17:16:10.2147483648 (invalid ms)"), i.e. 1418145370 s +
 *   2147483648 µs; tshark multiplies usec*1000 in 32 bits, which wraps to 0 (its 1418145370.000000000).
 */
const EXPECT: Record<string, Record<string, unknown>> = {
  'libpcap__pcap-invalid-version-2.pcap': {format: 'pcap', frames: 0, capturedBytes: 0, originalBytes: 0, firstTimestampNs: null, lastTimestampNs: null, multicastFrames: 0, ethernetFrames: 0, distinctSources: 0, 'sources (top entries)': []},
  'libpcap-pr1704__pcapng-shb-len-insane.pcapng': {format: 'pcapng', frames: 0, capturedBytes: 0, originalBytes: 0, framesWithoutTimestamp: 0},
  'libpcap-pr1704__pcapng-truncated-shb.pcapng': {format: 'pcapng', frames: 0, capturedBytes: 0, originalBytes: 0, framesWithoutTimestamp: 0},
  'tcpdump__timestamp_invalid_micro.pcap': {lastTimestampNs: '1418147517483648000'},
  // capinfos types a 0-byte file as "erf"; sniffing finds no format
  'libpcap-pr1704__pcap-empty-file.pcap': {format: null},
}

if (dir === null) {
  t('malformed (skipped)', () => {
    console.log('  skipped: ../shared/captures (oracle.json) not found beside the repository')
  })
} else {
  const oracle = loadOracle(dir)
  const names = readdirSync(join(dir, 'malformed')).sort()

  t('every malformed file is classified here', () => {
    assert.equal(names.filter((n) => !(n in REJECTED) && !(n in ODD)), [])
    assert.equal(names.filter((n) => n.startsWith('tcpdump__')), Object.keys(ODD).sort())
  })

  for (const name of names) {
    const path = join(dir, 'malformed', name)
    if (name in REJECTED) {
      t(`${name}: rejected with one clear line`, () => {
        const [re, framesBefore] = REJECTED[name]
        const t0 = performance.now()
        const {frames, error: caught} = readToEnd(path)
        const ms = performance.now() - t0
        assert.instance(caught, CaptureFormatError)
        const msg = (caught as Error).message
        assert.ok(msg.startsWith(`${path}: `), msg)
        assert.ok(re.test(msg.slice(path.length + 2)), `got: ${msg}`)
        assert.not.match(msg, /\n/)
        assert.is(frames, framesBefore)
        assert.ok(ms < 1000, `${ms} ms`)
      })
    } else {
      t(`${name}: read as libpcap reads it, with warnings naming the oddity`, () => {
        const r = openCapture(path)
        let frames = 0
        while (r.next() !== null) frames++
        r.close()
        assert.is(frames, oracle[`malformed/${name}`].frames)
        const messages = r.warnings.map((w) => w.message)
        for (const re of ODD[name]) assert.ok(messages.some((m) => re.test(m)), `no warning ${re} in ${JSON.stringify(messages)}`)
      })
    }
    t(`${name}: inspect agrees with the oracle on what was read`, () => {
      const key = `malformed/${name}`
      const o = oracle[key]
      const r = inspectCapture(path)
      assert.is(r.error !== undefined, name in REJECTED)
      const expect: Record<string, unknown> = {...EXPECT[name]}
      if (r.format === 'pcap' && !('capturedBytes' in expect)) {
        const cut = libpcapSnaplenCut(path) // libpcap cuts caplen > snaplen records (aoe-oobr-1: 34 -> 31)
        if (cut) expect.capturedBytes = o.total_captured_bytes - cut
      }
      // Files rejected before any interface is known have no link type; the oracle reads it from the header.
      if (r.linktype === null && r.frames === 0) expect.linktype = null
      if (r.linktype === null && Array.isArray(o.linktype)) expect.linktypes = []
      const diffs = diffWithOracle(r, o, expect)
      assert.equal(diffs, [], `${key}:\n  ${diffs.join('\n  ')}`)
    })
  }

  const root = fileURLToPath(new URL('../..', import.meta.url))
  const config = await Config.load({root})
  const viaCommand = [
    'derived__absurd-caplen__vrrp.pcap', 'libpcap-pr1704__pcap-empty-file.pcap', 'derived__pcapng-epb-bad-ifid__OSPFv2.pcapng',
    'libpcap-pr1704__pcapng-idb-tsresol-dup.pcapng', 'libpcap__pcap-invalid-version-1.pcap', 'derived__truncated-record-header__vrrp.pcap',
  ]
  for (const name of viaCommand) {
    for (const json of [false, true]) {
      t(`npa-trace inspect ${name}${json ? ' --json' : ''}: exit 1, one stderr line, no stack`, async () => {
        const path = join(dir, 'malformed', name)
        const t0 = performance.now()
        const {error, stdout, stderr} = await runCommand(['inspect', path, ...(json ? ['--json'] : [])], config)
        assert.ok(performance.now() - t0 < 1000)
        assert.is(error?.oclif?.exit, 1)
        const lines = stderr.trimEnd().split('\n')
        assert.is(lines.length, 1, stderr)
        assert.ok(lines[0].startsWith(`npa-trace: ${path}: `), lines[0])
        // the message, then the hint in parentheses
        const unanchored = new RegExp(REJECTED[name][0].source.replace(/\$$/, '(?: \\(.+\\))?$'))
        assert.ok(unanchored.test(lines[0].slice(`npa-trace: ${path}: `.length)), lines[0])
        assert.not.match(stderr + stdout, /\n\s+at /)
        if (json) {
          const obj = JSON.parse(stdout)
          assert.is(obj.frames, REJECTED[name][1])
          assert.type(obj.error, 'string')
          assert.ok(obj.error.startsWith(`${path}: `))
        } else if (REJECTED[name][1] > 0) {
          assert.match(stdout, new RegExp(`Frames:\\s+${REJECTED[name][1]}\\n`))
        }
      })
    }
  }

  t('npa-trace inspect on a tcpdump__ oddity: exit 0, warnings listed', async () => {
    const {error, stdout} = await runCommand(['inspect', join(dir, 'malformed', 'tcpdump__aoe-oobr-1.pcap')], config)
    assert.is(error, undefined)
    assert.match(stdout, /Warnings:\s+2/)
    assert.match(stdout, /caplen 34 exceeds snaplen 31/)
  })
}

t.run()
