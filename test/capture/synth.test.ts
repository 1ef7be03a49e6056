import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {UserError} from '../../src/errors.js'
import {resolveSynthOptions, synthRng, synthesize, synthesizeToBuffer, type SynthOptions} from '../../src/capture/synth.js'

process.env.NODE_ENV ??= 'test' // otherwise oclif runs in prod mode and loads dist/ instead of the TS sources
const root = fileURLToPath(new URL('../..', import.meta.url))
const config = await Config.load({root})
const dir = mkdtempSync(join(tmpdir(), 'npa-synth-'))
const t = suite('capture/synth')
/** SHA-256 of synthesizeToBuffer({frames: 200}): all defaults, pcap µs. */
const GOLDEN_SHA256 = 'a159b626340ef717e25219b3fc2e176a063442f27f527a5c65f43f7ef9372b6d'

// ---- an independent little reader for what the writer produces (pcap LE µs/ns, pcapng SHB/IDB/EPB) ----

interface Rec {
  tsNs: bigint
  caplen: number
  origlen: number
  data: Buffer
}

function parseCapture(buf: Buffer): {format: string; linktype: number; recs: Rec[]} {
  const recs: Rec[] = []
  const magic = buf.readUInt32LE(0)
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    const unit = magic === 0xa1b23c4d ? 1n : 1000n
    let p = 24
    while (p < buf.length) {
      const caplen = buf.readUInt32LE(p + 8)
      const tsNs = BigInt(buf.readUInt32LE(p)) * 1_000_000_000n + BigInt(buf.readUInt32LE(p + 4)) * unit
      recs.push({tsNs, caplen, origlen: buf.readUInt32LE(p + 12), data: buf.subarray(p + 16, p + 16 + caplen)})
      p += 16 + caplen
    }
    assert.is(p, buf.length, 'pcap ends on a record boundary')
    return {format: 'pcap', linktype: buf.readUInt32LE(20), recs}
  }
  assert.is(magic, 0x0a0d0d0a, 'pcapng SHB')
  let p = 0
  let linktype = -1
  let unitNs = 1000n
  while (p < buf.length) {
    const type = buf.readUInt32LE(p)
    const len = buf.readUInt32LE(p + 4)
    assert.is(len % 4, 0)
    assert.is(buf.readUInt32LE(p + len - 4), len)
    if (type === 1) {
      linktype = buf.readUInt16LE(p + 8)
      for (let q = p + 16; q < p + len - 4; ) {
        const code = buf.readUInt16LE(q)
        const olen = buf.readUInt16LE(q + 2)
        if (code === 0) break
        if (code === 9) unitNs = 10n ** (9n - BigInt(buf[q + 4]))
        q += 4 + Math.ceil(olen / 4) * 4
      }
    } else if (type === 6) {
      const caplen = buf.readUInt32LE(p + 20)
      const ts = (BigInt(buf.readUInt32LE(p + 12)) << 32n) | BigInt(buf.readUInt32LE(p + 16))
      recs.push({tsNs: ts * unitNs, caplen, origlen: buf.readUInt32LE(p + 24), data: buf.subarray(p + 28, p + 28 + caplen)})
    }
    p += len
  }
  return {format: 'pcapng', linktype, recs}
}

interface Frame {
  dst: number
  src: number
  vid: number
  l2: number
  ipLen: number
  ipOk: boolean
  srcIp: number
  dstIp: number
  udpLen: number
  index: number
}

const mac = (b: Buffer, p: number) => b.readUIntBE(p, 6)
function decode(d: Buffer): Frame {
  const tagged = d.readUInt16BE(12) === 0x8100
  const l2 = tagged ? 18 : 14
  assert.is(d.readUInt16BE(l2 - 2), 0x0800, 'IPv4 ethertype')
  let sum = 0
  for (let i = 0; i < 20; i += 2) sum += d.readUInt16BE(l2 + i)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  assert.is(d[l2], 0x45)
  assert.is(d[l2 + 9], 17, 'UDP')
  return {
    dst: mac(d, 0), src: mac(d, 6), vid: tagged ? d.readUInt16BE(14) & 0xfff : -1, l2,
    ipLen: d.readUInt16BE(l2 + 2), ipOk: sum === 0xffff, srcIp: d.readUInt32BE(l2 + 12), dstIp: d.readUInt32BE(l2 + 16),
    udpLen: d.readUInt16BE(l2 + 24), index: d.readUInt32BE(l2 + 28),
  }
}

const isVm = (m: number) => Math.floor(m / 2 ** 24) === 0x020000
const isExt = (m: number) => Math.floor(m / 2 ** 24) === 0x02ee00
const BCAST = 0xffffffffffff
const isGroup = (m: number) => Math.floor(m / 2 ** 40) % 2 === 1

function synthFrames(opts: SynthOptions) {
  const {buffer, summary} = synthesizeToBuffer(opts)
  const cap = parseCapture(buffer)
  return {buffer, summary, recs: cap.recs, frames: cap.recs.map((r) => decode(r.data)), cap}
}

// ---- tests ----

t('synth stream is deterministic and seed-sensitive', () => {
  const a = synthRng(1)
  const b = synthRng(1)
  const c = synthRng(2)
  const xs = Array.from({length: 5}, () => a.nextU32())
  assert.equal(Array.from({length: 5}, () => b.nextU32()), xs)
  assert.not.equal(Array.from({length: 5}, () => c.nextU32()), xs)
  for (const x of xs) assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32)
  let s = 0
  const r = synthRng(99)
  for (let i = 0; i < 100_000; i++) s += r.next()
  assert.ok(Math.abs(s / 100_000 - 0.5) < 0.005, `mean ${s / 100_000}`)
})

t('determinism: same options -> identical bytes; another seed -> different bytes; file == buffer', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    const a = synthesizeToBuffer({seed: 7, frames: 3000, format}).buffer
    const b = synthesizeToBuffer({seed: 7, frames: 3000, format}).buffer
    const c = synthesizeToBuffer({seed: 8, frames: 3000, format}).buffer
    assert.ok(a.equals(b), `${format}: same seed, same bytes`)
    assert.not.ok(a.equals(c), `${format}: other seed, other bytes`)
    const path = join(dir, `det.${format}`)
    const s = synthesize({seed: 7, frames: 3000}, path) // format from the extension
    assert.is(s.format, format)
    assert.ok(readFileSync(path).equals(a), `${format}: file equals buffer`)
    assert.is(s.fileBytes, a.length)
  }
})

t('golden: the default 200-frame pcap has a fixed SHA-256 (output must not change silently)', () => {
  const {buffer} = synthesizeToBuffer({frames: 200})
  // If you change the generator on purpose, update this hash and say so in the change note.
  assert.is(createHash('sha256').update(buffer).digest('hex'), GOLDEN_SHA256)
})

t('shares come out as asked (counted by parsing), and match the summary counts', () => {
  const {summary, frames} = synthFrames({seed: 3, frames: 20_000, broadcastShare: 0.1, multicastShare: 0.1, vmToVmShare: 0.4})
  const n = frames.length
  let bc = 0
  let mc = 0
  let vv = 0
  let ve = 0
  let ev = 0
  for (const f of frames) {
    if (f.dst === BCAST) bc++
    else if (isGroup(f.dst)) mc++
    else if (isVm(f.src) && isVm(f.dst)) vv++
    else if (isVm(f.src) && isExt(f.dst)) ve++
    else if (isExt(f.src) && isVm(f.dst)) ev++
    else assert.unreachable(`unexpected frame ${f.src.toString(16)} -> ${f.dst.toString(16)}`)
  }
  assert.equal(summary.counts, {vmToVm: vv, vmToExternal: ve, externalToVm: ev, broadcast: bc, multicast: mc, tagged: frames.filter((f) => f.vid >= 0).length})
  const near = (x: number, want: number, what: string) => assert.ok(Math.abs(x / n - want) < 0.015, `${what}: ${x / n} vs ${want}`)
  near(bc, 0.1, 'broadcast')
  near(mc, 0.1, 'multicast')
  near(vv, 0.4, 'VM->VM')
  near(ve, 0.2, 'VM->external')
  near(ev, 0.2, 'external->VM')
})

t('defaults: 8 VMs, 4 externals, half the frames VM-to-VM, 1% broadcast, 2% multicast', () => {
  const {summary, frames} = synthFrames({frames: 20_000})
  assert.is(summary.vms.length, 8)
  assert.equal(summary.externals, ['02:ee:00:00:00:01', '02:ee:00:00:00:02', '02:ee:00:00:00:03', '02:ee:00:00:00:04'])
  assert.equal(summary.vms.map((v) => [v.name, v.mac, v.vlan]), [
    ['vm1', '02:00:00:00:00:01', null], ['vm2', '02:00:00:00:00:02', null], ['vm3', '02:00:00:00:00:03', null],
    ['vm4', '02:00:00:00:00:04', null], ['vm5', '02:00:00:00:00:05', 10], ['vm6', '02:00:00:00:00:06', 20],
    ['vm7', '02:00:00:00:00:07', 10], ['vm8', '02:00:00:00:00:08', 20],
  ])
  assert.equal(summary.vlans, [10, 20])
  const vv = frames.filter((f) => isVm(f.src) && isVm(f.dst)).length / frames.length
  assert.ok(Math.abs(vv - 0.5) < 0.015, `VM->VM ${vv}`)
  assert.ok(Math.abs(summary.counts.broadcast / 20_000 - 0.01) < 0.003)
  assert.ok(Math.abs(summary.counts.multicast / 20_000 - 0.02) < 0.004)
  const srcs = new Set(frames.map((f) => f.src))
  assert.is(srcs.size, 12, 'every VM and external sends')
})

t('VLAN consistency: every frame to/from a VM carries its VLAN; VM<->VM stays in one VLAN', () => {
  for (const [vms, vlanShare] of [[8, 0.5], [10, 0.6], [8, 1], [5, 0]] as const) {
    const {summary, frames} = synthFrames({seed: 11, frames: 10_000, vms, vlanShare, broadcastShare: 0.05, multicastShare: 0.05})
    const vlanOf = new Map(summary.vms.map((v) => [parseInt(v.mac.replaceAll(':', ''), 16), v.vlan ?? -1]))
    const tagged = summary.vms.filter((v) => v.vlan !== null)
    assert.is(tagged.length, Math.round(vms * vlanShare), `${vms} VMs x ${vlanShare}`)
    const members = new Map<number, number>()
    for (const v of summary.vms) members.set(v.vlan ?? -1, (members.get(v.vlan ?? -1) ?? 0) + 1)
    for (const [vid, k] of members) if (vid >= 0) assert.ok(k >= 2, `VLAN ${vid} has ${k} member(s)`)
    const domains = new Set(vlanOf.values())
    for (const f of frames) {
      if (isVm(f.src)) assert.is(f.vid, vlanOf.get(f.src), 'frame from a VM carries its VLAN')
      if (isVm(f.dst)) assert.is(f.vid, vlanOf.get(f.dst), 'frame to a VM carries its VLAN')
      if (isVm(f.src) && isVm(f.dst)) assert.is(vlanOf.get(f.src), vlanOf.get(f.dst))
      if (isExt(f.src) && isGroup(f.dst)) assert.ok(domains.has(f.vid), 'external broadcast lands in a VM VLAN')
      assert.is.not(f.src, f.dst)
    }
    if (vlanShare === 0) assert.ok(frames.every((f) => f.vid === -1))
  }
  // 8 VMs all tagged: three VLANs 10, 20, 30 round-robin (3, 3, 2 members).
  const {summary} = synthesizeToBuffer({frames: 0, vlanShare: 1})
  assert.equal(summary.vms.map((v) => v.vlan), [10, 20, 30, 10, 20, 30, 10, 20])
})

t('multicast goes to the IPv4 groups, with matching group IPs; broadcast to 255.255.255.255', () => {
  const {frames} = synthFrames({seed: 5, frames: 5000, multicastShare: 0.3, broadcastShare: 0.1})
  const groups = new Map([[0x01005e000001, 0xe0000001], [0x01005e0000fb, 0xe00000fb], [0x01005e7ffffa, 0xeffffffa]])
  const seen = new Set<number>()
  for (const f of frames) {
    if (f.dst === BCAST) assert.is(f.dstIp, 0xffffffff)
    else if (isGroup(f.dst)) {
      assert.is(f.dstIp, groups.get(f.dst))
      seen.add(f.dst)
    }
  }
  assert.is(seen.size, 3)
})

t('frames are valid Ethernet/IPv4/UDP: lengths, header checksum, frame index in the payload', () => {
  const {recs, frames} = synthFrames({seed: 9, frames: 3000, sizes: 'uniform:64-1518'})
  frames.forEach((f, i) => {
    const r = recs[i]
    assert.is(r.caplen, r.origlen)
    assert.ok(r.caplen >= 60, 'padded to the 60-byte minimum')
    assert.is(f.ipLen, r.caplen - f.l2)
    assert.is(f.udpLen, f.ipLen - 20)
    assert.ok(f.ipOk, `IPv4 header checksum of frame ${i}`)
    assert.is(f.index, i)
    const ip = f.srcIp
    if (isVm(f.src)) assert.is(ip, 0x0a000000 + (f.src % 2 ** 24))
    else assert.is(ip, 0xac100000 + (f.src % 2 ** 24))
  })
})

t('sizes: imix 7:4:1; fixed:N; uniform:A-B; a VLAN tag adds 4 bytes', () => {
  const size = (r: Rec, f: Frame) => r.caplen + 4 - (f.vid >= 0 ? 4 : 0)
  {
    const {recs, frames} = synthFrames({seed: 2, frames: 24_000})
    const c = new Map<number, number>()
    recs.forEach((r, i) => c.set(size(r, frames[i]), (c.get(size(r, frames[i])) ?? 0) + 1))
    assert.equal([...c.keys()].sort((a, b) => a - b), [64, 594, 1518])
    const share = (s: number) => (c.get(s) ?? 0) / recs.length
    assert.ok(Math.abs(share(64) - 7 / 12) < 0.015, `64: ${share(64)}`)
    assert.ok(Math.abs(share(594) - 4 / 12) < 0.015, `594: ${share(594)}`)
    assert.ok(Math.abs(share(1518) - 1 / 12) < 0.01, `1518: ${share(1518)}`)
    const untagged1518 = recs.find((r, i) => frames[i].vid < 0 && size(r, frames[i]) === 1518)
    const tagged1518 = recs.find((r, i) => frames[i].vid >= 0 && size(r, frames[i]) === 1518)
    assert.is(untagged1518?.caplen, 1514)
    assert.is(tagged1518?.caplen, 1518)
  }
  {
    const {recs, frames} = synthFrames({frames: 2000, sizes: 'fixed:128'})
    recs.forEach((r, i) => assert.is(size(r, frames[i]), 128))
  }
  {
    const {recs, frames} = synthFrames({frames: 20_000, sizes: 'uniform:100-200'})
    const s = recs.map((r, i) => size(r, frames[i]))
    assert.is(Math.min(...s), 100)
    assert.is(Math.max(...s), 200)
    const mean = s.reduce((a, b) => a + b, 0) / s.length
    assert.ok(Math.abs(mean - 150) < 1.5, `mean ${mean}`)
  }
  {
    const {recs} = synthFrames({frames: 50, sizes: 'fixed:9018', vlanShare: 0})
    assert.ok(recs.every((r) => r.caplen === 9014))
  }
})

t('timestamps: fixed start, const arrival exact, exp arrival with the asked mean, ns and µs', () => {
  {
    const {recs, summary} = synthFrames({frames: 7, pps: 3, arrival: 'const', nanosecond: true, format: 'pcapng'})
    const start = 1_704_067_200n * 1_000_000_000n
    assert.equal(recs.map((r) => r.tsNs - start), [0n, 333_333_333n, 666_666_666n, 1_000_000_000n, 1_333_333_333n, 1_666_666_666n, 2_000_000_000n])
    assert.is(summary.firstTimestampNs, start.toString())
    assert.is(summary.durationNs, 2_000_000_000)
  }
  {
    const {recs} = synthFrames({frames: 1000, pps: 1000, arrival: 'const', start: '2030-06-01T12:00:00.250Z'})
    const start = BigInt(Date.parse('2030-06-01T12:00:00.250Z')) * 1_000_000n
    recs.forEach((r, i) => assert.is(r.tsNs, start + BigInt(i) * 1_000_000n))
  }
  {
    const n = 20_000
    const {recs, summary} = synthFrames({seed: 4, frames: n, pps: 50_000, nanosecond: true})
    const gaps = recs.slice(1).map((r, i) => Number(r.tsNs - recs[i].tsNs))
    assert.ok(gaps.every((g) => g >= 0), 'non-decreasing')
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length)
    assert.ok(Math.abs(mean / 20_000 - 1) < 0.03, `mean gap ${mean}`)
    assert.ok(Math.abs(sd / mean - 1) < 0.05, `exponential: sd/mean ${sd / mean}`)
    assert.is(summary.durationNs, Number(recs.at(-1)!.tsNs - recs[0].tsNs))
  }
  {
    // µs files keep the same instants, floored to the microsecond.
    const ns = synthFrames({seed: 6, frames: 500, nanosecond: true}).recs
    const us = synthFrames({seed: 6, frames: 500}).recs
    us.forEach((r, i) => {
      assert.is(r.tsNs, (ns[i].tsNs / 1000n) * 1000n)
      assert.ok(r.data.equals(ns[i].data))
    })
  }
})

t('pcap and pcapng carry the same frames', () => {
  const a = synthFrames({seed: 12, frames: 2000, nanosecond: true, format: 'pcap'})
  const b = synthFrames({seed: 12, frames: 2000, nanosecond: true, format: 'pcapng'})
  assert.is(a.cap.format, 'pcap')
  assert.is(b.cap.format, 'pcapng')
  assert.is(b.cap.linktype, 1)
  assert.is(a.recs.length, 2000)
  assert.equal(a.recs.map((r) => [r.tsNs, r.caplen, r.origlen]), b.recs.map((r) => [r.tsNs, r.caplen, r.origlen]))
  assert.ok(a.recs.every((r, i) => r.data.equals(b.recs[i].data)))
  assert.is(a.summary.bytes, a.recs.reduce((s, r) => s + r.caplen, 0))
})

t('bad options: one-line UserErrors naming the flag', () => {
  const bad = (o: SynthOptions, re: RegExp, path?: string) => {
    try {
      resolveSynthOptions(o, path)
      assert.unreachable(`accepted ${JSON.stringify(o)}`)
    } catch (error) {
      assert.instance(error, UserError)
      assert.match((error as Error).message, re)
      assert.not.match((error as Error).message, /\n/)
    }
  }
  bad({vmToVmShare: 0.9, broadcastShare: 0.1, multicastShare: 0.1}, /add up to 1\.1000, more than 1/)
  bad({externals: 0}, /VM<->external but --externals is 0/)
  bad({vlanShare: 1.5}, /--vlan-share/)
  bad({vms: 0}, /--vms/)
  bad({frames: 1.5}, /--frames/)
  bad({pps: 0}, /--pps/)
  bad({sizes: 'fixed:10'}, /--sizes.*10 is outside 64\.\.9018/)
  bad({sizes: 'uniform:200-100'}, /200 > 100/)
  bad({sizes: 'big'}, /unknown form/)
  bad({start: 'yesterday'}, /--start/)
  bad({arrival: 'burst' as 'exp'}, /--arrival/)
  bad({}, /cannot tell the capture format/, 'out.txt')
  assert.throws(() => synthesizeToBuffer({vms: 1, frames: 10}), /needs two VMs on the same VLAN/)
  // No externals is fine when the shares leave nothing for them.
  const {summary} = synthesizeToBuffer({externals: 0, vmToVmShare: 0.9, broadcastShare: 0.05, multicastShare: 0.05, frames: 500})
  assert.is(summary.counts.vmToExternal + summary.counts.externalToVm, 0)
})

t('synthesize removes the partial file when it fails', () => {
  const path = join(dir, 'fail.pcap')
  assert.throws(() => synthesize({vms: 1, frames: 10}, path), /two VMs/)
  assert.not.ok(existsSync(path))
})

const readerUrl = new URL('../../src/capture/reader.ts', import.meta.url)
t('the project reader reads the synthetic captures (when src/capture/reader.ts exists)', async () => {
  if (!existsSync(readerUrl)) {
    console.log('  (skipped: src/capture/reader.ts not present yet)')
    return
  }
  const {openCapture} = (await import(readerUrl.href)) as {openCapture(p: string): {next(): null | {tsSec: number; tsNsec: number; caplen: number; origlen: number}; close(): void}}
  for (const name of ['r.pcap', 'r.pcapng']) {
    const path = join(dir, name)
    synthesize({seed: 21, frames: 5000, nanosecond: name.endsWith('ng')}, path)
    const mine = parseCapture(readFileSync(path)).recs
    const r = openCapture(path)
    let i = 0
    for (let f = r.next(); f !== null; f = r.next(), i++) {
      assert.is(BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNsec), mine[i].tsNs)
      assert.is(f.caplen, mine[i].caplen)
      assert.is(f.origlen, mine[i].origlen)
    }
    r.close()
    assert.is(i, 5000)
  }
})

// ---- the command, in process ----

t('command: --json prints the summary; the format follows the extension', async () => {
  const path = join(dir, 'cmd.pcapng')
  const {error, stdout, result} = await runCommand<{frames: number; format: string; counts: {vmToVm: number}}>(
    ['capture:synth', path, '--frames', '1000', '--seed', '5', '--json'],
    config,
  )
  assert.is(error, undefined)
  assert.is(result?.frames, 1000)
  assert.is(result?.format, 'pcapng')
  assert.is(JSON.parse(stdout).frames, 1000)
  const buf = readFileSync(path)
  assert.is(buf.readUInt32LE(0), 0x0a0d0d0a)
  assert.ok(buf.equals(synthesizeToBuffer({frames: 1000, seed: 5, format: 'pcapng'}).buffer), 'command output = API output')
})

t('command: text summary; --format overrides the extension; flags reach the generator', async () => {
  const path = join(dir, 'cmd.bin')
  const {error, stdout} = await runCommand(
    ['capture:synth', path, '--frames', '400', '--format', 'pcap', '--nanosecond', '--vms', '4', '--externals', '2', '--vlan-share', '0', '--vm-to-vm', '0.25', '--broadcast', '0', '--multicast', '0', '--sizes', 'fixed:100', '--pps', '1000', '--arrival', 'const'],
    config,
  )
  assert.is(error, undefined)
  assert.match(stdout, /wrote .*cmd\.bin: pcap \(ns\), 400 frames/)
  assert.match(stdout, /VMs: 4 \(02:00:00:00:00:01 \.\. 02:00:00:00:00:04\); VLANs: none/)
  assert.match(stdout, /0\.399000 s at 1000 pps \(const\)/)
  const {recs} = parseCapture(readFileSync(path))
  assert.is(recs.length, 400)
  assert.ok(recs.every((r) => r.caplen === 96))
  const vv = recs.map((r) => decode(r.data)).filter((f) => isVm(f.src) && isVm(f.dst)).length
  assert.ok(Math.abs(vv / 400 - 0.25) < 0.07, `VM->VM ${vv}`)
})

t('command: errors are one line with exit codes (1 for bad values, 2 for unparsable flags)', async () => {
  {
    const {error, stderr} = await runCommand(['capture:synth', join(dir, 'x.pcap'), '--vm-to-vm', '2'], config)
    assert.is(error?.oclif?.exit, 1)
    assert.match(stderr, /^npa-trace: vmToVmShare \(--vm-to-vm\) must be a share from 0 to 1, got 2\n$/)
  }
  {
    const {error, stderr} = await runCommand(['capture:synth', join(dir, 'x.dat')], config)
    assert.is(error?.oclif?.exit, 1)
    assert.match(stderr, /cannot tell the capture format from the file name \(use a \.pcap or \.pcapng extension, or --format\)/)
  }
  {
    const {error} = await runCommand(['capture:synth', join(dir, 'x.pcap'), '--broadcast', 'lots'], config)
    assert.is(error?.oclif?.exit, 2)
  }
})

t('bundled samples are reproduced byte for byte by the commands in traces/samples/README.md', async () => {
  const samples = join(root, 'traces/samples')
  const readme = readFileSync(join(samples, 'README.md'), 'utf8')
  const cmds = [...readme.matchAll(/`\.\/bin\/dev\.js capture synth (traces\/samples\/\S+)((?: [^`]+)?)`/g)]
  assert.is(cmds.length, 2, 'one command per sample')
  for (const [, file, rest] of cmds) {
    const out = join(dir, file.split('/').pop()!)
    const {error} = await runCommand(['capture:synth', out, ...rest.trim().split(/\s+/)], config)
    assert.is(error, undefined)
    assert.ok(readFileSync(out).equals(readFileSync(join(root, file))), `${file} matches its README command`)
  }
})

t.after(() => rmSync(dir, {recursive: true, force: true}))
t.run()

