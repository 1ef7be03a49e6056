/**
 * Capture reader benchmark: `npm run bench:capture` (node --import tsx bench/capture.bench.ts).
 *
 * Generates once into bench/out/ (gitignored) a 1M-frame classic pcap and a 1M-frame pcapng
 * (2 interfaces, ns resolution) with frames of mixed sizes (60..1514 bytes, ~10% VLAN-tagged),
 * written by a small inline loop (no dependency on the capture writer). Then reads each file in a
 * fresh child process, once with the reader alone and once with reader + decodeL2, and prints
 * frames/s, MB/s and peak RSS (process.resourceUsage().maxRSS) of that child. Median of 3 runs.
 *
 * Options: --frames N (default 1000000), --runs N (default 3), --regen.
 */
import {execFileSync} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync, statSync, writeSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {decodeL2At, newL2Info} from '../src/capture/ethernet.js'
import {openCapture} from '../src/capture/reader.js'

const outDir = fileURLToPath(new URL('out/', import.meta.url))

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : dflt
}

/** Frame sizes: a fixed LCG so both files carry the same mix (60..1514, mean ~787). */
function* frameSizes(n: number): Generator<number> {
  let x = 12345
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    yield 60 + ((x >>> 8) % 1455)
  }
}

/** Write a synthetic capture with a 4 MiB staging buffer. */
function generate(path: string, format: 'pcap' | 'pcapng', frames: number): void {
  const fd = openSync(path, 'w')
  const buf = new Uint8Array(4 << 20)
  const dv = new DataView(buf.buffer)
  let p = 0
  const flush = (): void => {
    writeSync(fd, buf, 0, p)
    p = 0
  }
  if (format === 'pcap') {
    dv.setUint32(0, 0xa1b2c3d4, true)
    dv.setUint16(4, 2, true)
    dv.setUint16(6, 4, true)
    dv.setUint32(16, 65535, true)
    dv.setUint32(20, 1, true)
    p = 24
  } else {
    // SHB (28 bytes) + 2 IDBs with if_tsresol = 9 (28 bytes each)
    dv.setUint32(0, 0x0a0d0d0a, true); dv.setUint32(4, 28, true); dv.setUint32(8, 0x1a2b3c4d, true)
    dv.setUint16(12, 1, true); dv.setInt32(16, -1, true); dv.setInt32(20, -1, true); dv.setUint32(24, 28, true)
    p = 28
    for (let i = 0; i < 2; i++) {
      dv.setUint32(p, 1, true); dv.setUint32(p + 4, 28, true); dv.setUint16(p + 8, 1, true); dv.setUint32(p + 12, 65535, true)
      dv.setUint16(p + 16, 9, true); dv.setUint16(p + 18, 1, true); buf[p + 20] = 9
      dv.setUint32(p + 24, 28, true)
      p += 28
    }
  }
  let i = 0
  let tsNs = 1_700_000_000_000_000_000n
  for (const size of frameSizes(frames)) {
    const need = format === 'pcap' ? 16 + size : 32 + ((size + 3) & ~3)
    if (p + need > buf.length) flush()
    const sec = 1_700_000_000 + Math.floor(i / 100_000)
    const usec = (i * 10) % 1_000_000
    let d: number
    if (format === 'pcap') {
      dv.setUint32(p, sec, true); dv.setUint32(p + 4, usec, true); dv.setUint32(p + 8, size, true); dv.setUint32(p + 12, size, true)
      d = p + 16
      p += need
    } else {
      tsNs += 1000n
      dv.setUint32(p, 6, true); dv.setUint32(p + 4, need, true); dv.setUint32(p + 8, i & 1, true)
      dv.setUint32(p + 12, Number(tsNs >> 32n), true); dv.setUint32(p + 16, Number(tsNs & 0xffffffffn), true)
      dv.setUint32(p + 20, size, true); dv.setUint32(p + 24, size, true)
      dv.setUint32(p + need - 4, need, true)
      d = p + 28
      p += need
    }
    // Ethernet header: unicast dst, source from a small set, every 10th frame 802.1Q-tagged
    buf[d] = 0x02; buf[d + 5] = i & 0xff
    buf[d + 6] = 0x02; buf[d + 11] = (i * 7) & 0x3f
    if (i % 10 === 0) {
      buf[d + 12] = 0x81; buf[d + 13] = 0x00; buf[d + 14] = 0; buf[d + 15] = 10; buf[d + 16] = 0x08; buf[d + 17] = 0x00
    } else {
      buf[d + 12] = 0x08; buf[d + 13] = 0x00
    }
    i++
  }
  flush()
  closeSync(fd)
}

/** Child mode: read one file and print {frames, bytes, ms, maxRssKb} as JSON. */
function child(path: string, mode: string): void {
  const t0 = process.hrtime.bigint()
  const r = openCapture(path)
  let frames = 0
  let bytes = 0
  let tagged = 0
  if (mode === 'decode') {
    const l2 = newL2Info()
    for (let f = r.next(); f !== null; f = r.next()) {
      frames++
      bytes += f.caplen
      if (decodeL2At(f.bytes, f.dataOffset, f.caplen, l2) && l2.tags > 0) tagged++
    }
  } else {
    for (let f = r.next(); f !== null; f = r.next()) {
      frames++
      bytes += f.caplen
    }
  }
  r.close()
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  process.stdout.write(JSON.stringify({frames, bytes, tagged, ms, maxRssKb: process.resourceUsage().maxRSS}) + '\n')
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function main(): void {
  const frames = arg('--frames', 1_000_000)
  const runs = arg('--runs', 3)
  mkdirSync(outDir, {recursive: true})
  const files = {pcap: `${outDir}mixed-${frames}.pcap`, pcapng: `${outDir}mixed-${frames}.pcapng`}
  for (const [fmt, path] of Object.entries(files) as Array<['pcap' | 'pcapng', string]>) {
    if (!existsSync(path) || process.argv.includes('--regen')) {
      const t0 = performance.now()
      generate(path, fmt, frames)
      console.log(`generated ${path} (${(statSync(path).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    }
  }
  // Baseline RSS of a child that loads the same modules and reads nothing.
  const self = fileURLToPath(import.meta.url)
  const base = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, '--child', '-', 'none'], {encoding: 'utf8'}))
  console.log(`node ${process.version}; child baseline RSS (modules loaded, nothing read): ${(base.maxRssKb / 1024).toFixed(0)} MB`)
  console.log('file    mode          frames/s     MB/s   peak RSS   (median of ' + runs + ')')
  for (const [fmt, path] of Object.entries(files)) {
    const size = statSync(path).size
    for (const mode of ['reader', 'decode']) {
      const res = []
      for (let k = 0; k < runs; k++) {
        res.push(JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, '--child', path, mode], {encoding: 'utf8'})))
      }
      const ms = median(res.map((r) => r.ms))
      const rss = Math.max(...res.map((r) => r.maxRssKb)) / 1024
      const fps = res[0].frames / (ms / 1000)
      const label = mode === 'reader' ? 'reader alone ' : 'reader+decodeL2'
      console.log(`${fmt.padEnd(7)} ${label.padEnd(15)} ${(fps / 1e6).toFixed(2).padStart(6)} M  ${(size / 1e6 / (ms / 1000)).toFixed(0).padStart(6)}  ${rss.toFixed(0).padStart(5)} MB   (${res[0].frames} frames, ${(ms / 1000).toFixed(3)} s)`)
    }
  }
}

const ci = process.argv.indexOf('--child')
if (ci >= 0) {
  const path = process.argv[ci + 1]
  if (path === '-') process.stdout.write(JSON.stringify({maxRssKb: process.resourceUsage().maxRSS}) + '\n')
  else child(path, process.argv[ci + 2])
} else {
  main()
}
