import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {formatInspectText, inspectCapture, MacCounter} from '../../src/capture/inspect.js'
import {UserError} from '../../src/errors.js'
import {ethFrame, pcapBytes, PcapngBuilder, writeTmp} from '../helpers/capture-bytes.js'

process.env.NODE_ENV ??= 'test' // otherwise oclif runs in prod mode and loads dist/ instead of the TS sources
const config = await Config.load({root: fileURLToPath(new URL('../..', import.meta.url))})
const t = suite('capture/inspect')

const VM1 = '02:00:00:00:00:01'
const VM2 = '02:00:00:00:00:02'
const EXT = '02:ee:00:00:00:01'

/** 10 frames with known L2 facts: 3 tagged (1 QinQ), 2 broadcast, 3 multicast, one 10-byte runt. */
function sampleRecords(): Array<{sec: number; frac: number; data: Uint8Array; len?: number}> {
  const r = (i: number, data: Uint8Array, len?: number): {sec: number; frac: number; data: Uint8Array; len?: number} => ({sec: 1_700_000_000 + i, frac: i * 1000, data, len})
  return [
    r(0, ethFrame({src: VM1, dst: VM2})),
    r(1, ethFrame({src: VM1, dst: VM2, tags: [{vid: 10}]})),
    r(2, ethFrame({src: VM2, dst: 'ff:ff:ff:ff:ff:ff'})),
    r(3, ethFrame({src: VM2, dst: '01:00:5e:00:00:fb', tags: [{vid: 20}]})),
    r(4, ethFrame({src: EXT, dst: '33:33:00:00:00:01'})),
    r(5, ethFrame({src: VM1, dst: '01:80:c2:00:00:0e', tags: [{tpid: 0x88a8, vid: 100}, {vid: 10}]})),
    r(6, ethFrame({src: VM1, dst: 'ff:ff:ff:ff:ff:ff'})),
    r(7, ethFrame({src: EXT, dst: VM1, length: 1514}).subarray(0, 96), 1514),
    r(8, ethFrame({src: VM1, dst: EXT})),
    r(9, new Uint8Array(10)),
  ]
}

t('counts and L2 facts of a known pcap', () => {
  const path = writeTmp('inspect.pcap', pcapBytes({snaplen: 96, records: sampleRecords()}))
  const r = inspectCapture(path)
  assert.equal(
    {format: r.format, linktype: r.linktype, frames: r.frames, capturedBytes: r.capturedBytes, originalBytes: r.originalBytes,
      firstTimestampNs: r.firstTimestampNs, lastTimestampNs: r.lastTimestampNs, vlanTaggedFrames: r.vlanTaggedFrames,
      broadcastFrames: r.broadcastFrames, multicastFrames: r.multicastFrames, sources: r.sources},
    {format: 'pcap', linktype: 1, frames: 10, capturedBytes: 8 * 60 + 96 + 10, originalBytes: 8 * 60 + 1514 + 10,
      firstTimestampNs: '1700000000000000000', lastTimestampNs: '1700000009009000000', vlanTaggedFrames: 3,
      broadcastFrames: 2, multicastFrames: 3, sources: {[VM1]: 5, [VM2]: 2, [EXT]: 2}},
  )
  assert.equal(Object.keys(r.sources), [VM1, VM2, EXT], 'by count, then address')
  assert.equal([r.ethernetFrames, r.qinqFrames, r.unicastFrames, r.shortFrames, r.truncatedFrames, r.distinctSources, r.durationNs],
    [9, 1, 4, 1, 1, 3, 9_009_000_000])
  assert.equal(r.interfaces, [{id: 0, section: 0, sectionId: 0, linktype: 1, linktypeName: 'EN10MB (Ethernet)', snaplen: 96, timestampResolution: 'µs', tsOffsetSec: 0, frames: 10}])
  assert.equal([r.byteOrder, r.version, r.fileSize, r.warningCount, r.error], ['little-endian', '2.4', 24 + 10 * 16 + 8 * 60 + 96 + 10, 0, undefined])
})

t('L2 facts only for Ethernet interfaces; every link type is counted; SPBs have no timestamp', () => {
  const b = new PcapngBuilder().shb().idb({linktype: 1, tsresol: 9}).idb({linktype: 101})
    .spb({data: ethFrame({src: VM2})})
    .epb({ifid: 0, ticks: 5n, data: ethFrame({src: VM1, dst: 'ff:ff:ff:ff:ff:ff'})})
    .epb({ifid: 1, ticks: 7n, data: new Uint8Array(40)})
    .spb({data: ethFrame({src: VM2})})
  const r = inspectCapture(writeTmp('inspect.pcapng', b.bytes()))
  assert.equal([r.frames, r.ethernetFrames, r.broadcastFrames, r.framesWithoutTimestamp, r.firstTimestampNs, r.lastTimestampNs],
    [4, 3, 1, 2, '5', '7000'])
  assert.equal(r.sources, {[VM2]: 2, [VM1]: 1})
  assert.equal(r.interfaces.map((i) => [i.linktype, i.frames, i.timestampResolution]), [[1, 3, 'ns'], [101, 1, 'µs']])
})

t('a damaged file: what was read plus `error` (the last key)', () => {
  const bytes = pcapBytes({records: sampleRecords().slice(0, 3)})
  const r = inspectCapture(writeTmp('damaged.pcap', bytes.subarray(0, bytes.length - 5)))
  assert.is(r.frames, 2)
  assert.is(r.sources[VM1], 2)
  assert.match(r.error!, /damaged\.pcap: record 3 at byte \d+: truncated record: caplen 60 but only 55 bytes/)
  assert.is(Object.keys(r).at(-1), 'error')
  const empty = inspectCapture(writeTmp('empty.pcap', new Uint8Array(0)))
  assert.equal([empty.format, empty.frames, empty.firstTimestampNs], [null, 0, null])
  assert.match(empty.error!, /empty file/)
})

t('a file that cannot be opened throws UserError', () => {
  assert.throws(() => inspectCapture('/nonexistent/x.pcap'), (e: unknown) => e instanceof UserError && /no such file/.test((e as Error).message))
})

t('text report reads like capinfos', () => {
  const r = inspectCapture(writeTmp('inspect2.pcap', pcapBytes({snaplen: 96, records: sampleRecords()})))
  const text = formatInspectText(r)
  for (const re of [
    /^File type:\s+pcap 2\.4 \(little-endian, µs timestamps\)$/m,
    /^Link type:\s+1 EN10MB \(Ethernet\)$/m,
    /^Frames:\s+10$/m,
    /^Captured bytes:\s+586 \(1 frames cut by the snaplen\)$/m,
    /^First frame time:\s+2023-11-14T22:13:20\.000000000Z \(1700000000000000000 ns\)$/m,
    /^Last frame time:\s+2023-11-14T22:13:29\.009000000Z \(1700000009009000000 ns\)$/m,
    /^Duration:\s+9\.009000000 s$/m,
    /^Average rate:\s+1\.11 frames\/s, 520\.37 bit\/s$/m,
    /^VLAN-tagged frames:\s+3 \(1 QinQ\)$/m,
    /^Broadcast frames:\s+2$/m,
    /^Multicast frames:\s+3$/m,
    /^ {2}02:00:00:00:00:01 {2}5$/m,
  ]) assert.match(text, re)
})

t('MacCounter: counts, growth, order', () => {
  const c = new MacCounter(2)
  for (let i = 0; i < 5000; i++) c.add(0x020000000000 + (i % 1000))
  c.add(0xffffffffffff, 7)
  assert.is(c.size, 1001)
  assert.is(c.get(0x020000000000 + 999), 5)
  assert.is(c.get(0x123), 0)
  const e = c.entries()
  assert.equal(e[0], [0xffffffffffff, 7])
  assert.equal(e[1], [0x020000000000, 5])
  assert.is(e.length, 1001)
})

t('command: --json prints exactly the inspectCapture object', async () => {
  const path = writeTmp('cmd.pcap', pcapBytes({snaplen: 96, records: sampleRecords()}))
  const {error, stdout} = await runCommand(['inspect', path, '--json'], config)
  assert.is(error, undefined)
  assert.equal(JSON.parse(stdout), JSON.parse(JSON.stringify(inspectCapture(path))))
})

t('command: text mode', async () => {
  const path = writeTmp('cmd2.pcap', pcapBytes({records: sampleRecords()}))
  const {error, stdout} = await runCommand(['inspect', path], config)
  assert.is(error, undefined)
  assert.match(stdout, /^Frames:\s+10$/m)
  assert.match(stdout, /^Source MACs:\s+3$/m)
})

t('command: damaged file prints what was read and exits 1 with one stderr line', async () => {
  const bytes = pcapBytes({records: sampleRecords().slice(0, 3)})
  const path = writeTmp('cmd-damaged.pcap', bytes.subarray(0, bytes.length - 5))
  const {error, stdout, stderr} = await runCommand(['inspect', path], config)
  assert.is(error?.oclif?.exit, 1)
  assert.match(stdout, /^Frames:\s+2$/m)
  assert.equal(stderr.trimEnd().split('\n').length, 1)
  assert.match(stderr, /^npa-trace: .*cmd-damaged\.pcap: record 3 at byte 176: truncated record/)
})

t('command: missing file and directory exit 1 with one line', async () => {
  for (const p of ['/nonexistent/x.pcap', '/tmp']) {
    const {error, stdout, stderr} = await runCommand(['inspect', p], config)
    assert.is(error?.oclif?.exit, 1, p)
    assert.is(stdout, '')
    assert.is(stderr.trimEnd().split('\n').length, 1)
    assert.match(stderr, p === '/tmp' ? /is a directory/ : /no such file/)
  }
})

t('command: --help has a one-line description', async () => {
  const {stdout} = await runCommand(['inspect', '--help'], config)
  assert.match(stdout, /Summarise a pcap\/pcapng capture like capinfos/)
  assert.match(stdout, /--json/)
})

t.run()
