import {createHash} from 'node:crypto'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {synthesize} from '../../src/capture/synth.js'
import {UserError} from '../../src/errors.js'
import {FrameSource} from '../../src/replay/frame-source.js'
import {replay} from '../../src/replay/replay.js'
import {readArrow, tmpDir} from '../helpers/run.js'

const fs = suite('frame source: the capture read, hashed and decoded on its own thread')

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
const vmMac = 0x020000000001

function open(capture: string, framesPath: string, batchRows = 64): FrameSource {
  return new FrameSource({
    capture, framesPath, dictionaries: {vm: ['vm1'], host: ['h0']}, metadata: {}, batchRows, stallTimeoutMs: 10_000,
    pacing: {kind: 'original'}, topGbps: 10, fcsBytes: 4, ethOverheadBytes: 20, vmMacs: [vmMac], vmIndex: [0],
  })
}

for (const format of ['pcap', 'pcapng'] as const) {
  fs(`${format}: every frame in order through both fillers (this thread while the worker boots, then the worker); SHA-256 of the file; frames.arrow`, async () => {
    const dir = tmpDir()
    const cap = join(dir, `c.${format}`)
    // 3000 frames in slots of 64: the replay thread fills the first slots, the worker the rest.
    synthesize({frames: 3000, seed: 3, vms: 4, vlanShare: 0, pps: 100_000, format}, cap)
    const src = open(cap, join(dir, 'frames.arrow'))
    const ids: number[] = []
    let lastT = -1
    let monotone = true
    for (;;) {
      const r = src.next()
      if (r < 0) break
      ids.push(src.cols.packet_id[r])
      if (src.cols.t_ns[r] < lastT) monotone = false
      lastT = src.cols.t_ns[r]
      if (src.cols.src_vm[r] >= 0) src.cols.host[r] = 0 // what the replay thread does at injection
    }
    assert.is(src.next(), -1, 'stays at the end')
    const res = await src.close()
    assert.is(ids.length, 3000)
    assert.ok(ids.every((id, i) => id === i), 'packet ids 0..n-1 in order')
    assert.ok(monotone, 'paced times never go back')
    assert.is(res.count, 3000)
    assert.is(res.format, format)
    assert.is(res.sha256, sha256(cap))
    assert.equal(res.warnings, [])
    const rows = readArrow(join(dir, 'frames.arrow'))
    assert.is(rows.length, 3000)
    assert.ok(rows.every((row, i) => row.packet_id === i))
    // host is what this thread wrote: the worker writes a slot only after it is handed back.
    assert.ok(rows.every((row) => (row.src_vm === null ? row.host === null : row.host === 'h0')))
    assert.ok(rows.some((row) => row.src_vm === 'vm1'), 'the VM MAC table reached the worker')
  })
}

fs('hand-over under stress: 8 sources with 8-frame slots, every frame once, in order', async () => {
  const dir = tmpDir()
  const cap = join(dir, 'c.pcap')
  synthesize({frames: 700, seed: 6, vms: 4, vlanShare: 0}, cap)
  for (let i = 0; i < 8; i++) {
    const src = open(cap, join(dir, `f${i}.arrow`), 8)
    let n = 0
    let inOrder = true
    for (let r = src.next(); r >= 0; r = src.next()) {
      if (src.cols.packet_id[r] !== n) inOrder = false
      n++
    }
    const res = await src.close()
    assert.is(n, 700)
    assert.ok(inOrder)
    assert.is(res.count, 700)
  }
})

fs('reader warnings come back from the worker (a record whose caplen exceeds its original length)', async () => {
  const dir = tmpDir()
  const cap = join(dir, 'c.pcap')
  synthesize({frames: 2000, seed: 4, vms: 4, vlanShare: 0, sizes: 'fixed:100'}, cap)
  const buf = readFileSync(cap)
  const at = 24 + 1700 * (16 + 96) // record 1700: filled by the worker
  buf.writeUInt32LE(50, at + 12) // original length 50 < caplen 96
  writeFileSync(cap, buf)
  const src = open(cap, join(dir, 'frames.arrow'))
  let n = 0
  while (src.next() >= 0) n++
  const res = await src.close()
  assert.is(n, 2000)
  assert.is(res.sha256, sha256(cap))
  assert.equal(res.warnings.map((w) => w.offset), [at])
  assert.match(res.warnings[0].message, /caplen 96 exceeds the original length 50/)
})

fs('a capture damaged after many frames: the frames before the damage, then the reader error (file and byte)', async () => {
  const dir = tmpDir()
  const cap = join(dir, 'c.pcap')
  synthesize({frames: 2000, seed: 5, vms: 4, vlanShare: 0, sizes: 'fixed:100'}, cap)
  const buf = readFileSync(cap)
  // pcap: 24-byte file header, then 16-byte record headers + 96 bytes of data (100 incl. FCS) per frame.
  const rec = 16 + 96
  const at = 24 + 1500 * rec
  buf.writeUInt32LE(0x7fffffff, at + 8) // record 1500: caplen far beyond any snaplen
  writeFileSync(cap, buf)
  const src = open(cap, join(dir, 'frames.arrow'))
  let n = 0
  let err: unknown = null
  try {
    while (src.next() >= 0) n++
  } catch (e) {
    err = e
  }
  await src.destroy()
  assert.is(n, 1500, 'every frame before the damaged record')
  assert.instance(err, UserError)
  assert.match((err as Error).message, new RegExp(`${cap.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*at byte ${at}`))
})

fs('replay of a damaged capture: one error naming the file and byte, no run directory', async () => {
  const dir = tmpDir()
  const cap = join(dir, 'c.pcap')
  synthesize({frames: 2000, seed: 5, vms: 4, vlanShare: 0, sizes: 'fixed:100'}, cap)
  const buf = readFileSync(cap)
  buf.writeUInt32LE(0x7fffffff, 24 + 1200 * (16 + 96) + 8)
  writeFileSync(cap, buf)
  const out = join(dir, 'run')
  let err: unknown = null
  try {
    await replay({capture: cap, out})
  } catch (e) {
    err = e
  }
  assert.instance(err, UserError)
  assert.match((err as Error).message, /c\.pcap: .*at byte \d+/)
  assert.not.ok(existsSync(out), 'no run directory')
})

fs('summary counts: tallied on the I/O thread (events written) = counted on the model thread (no events)', async () => {
  const dir = tmpDir()
  const cap = join(dir, 'c.pcap')
  synthesize({frames: 3000, seed: 8, vms: 4, vlanShare: 0, broadcastShare: 0.05}, cap)
  const a = await replay({capture: cap, out: join(dir, 'a')})
  const b = await replay({capture: cap, out: join(dir, 'b'), noEvents: true})
  assert.ok(a.events > 3000)
  assert.is(a.events, b.events)
  assert.equal(a.eventsByName, b.eventsByName)
  assert.equal(a.drops, b.drops)
  assert.ok(Object.keys(a.drops).length > 0, 'the run has drops to count')
  assert.equal(a.cpuNs, b.cpuNs)
  assert.ok(a.cpuNs.guest > 0)
})

fs.run()
