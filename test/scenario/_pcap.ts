/** Tiny classic-pcap builder for the scenario tests (own bytes; little-endian, µs timestamps). */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TestFrame {
  dst: string
  src: string
  /** Outer 802.1Q VID (0 = priority tag), or undefined for untagged. */
  vid?: number
  /** Override the whole frame length (e.g. a runt). */
  len?: number
}

function macBytes(s: string): number[] {
  return s.split(':').map((h) => parseInt(h, 16))
}

export function frameBytes(f: TestFrame): Uint8Array {
  const b: number[] = [...macBytes(f.dst), ...macBytes(f.src)]
  if (f.vid !== undefined) b.push(0x81, 0x00, (f.vid >> 8) & 0x0f, f.vid & 0xff)
  b.push(0x08, 0x00)
  while (b.length < 60) b.push(0)
  return Uint8Array.from(f.len === undefined ? b : b.slice(0, f.len))
}

/** pcap file bytes: frames 1 µs apart. */
export function pcapBytes(frames: Uint8Array[], linktype = 1): Buffer {
  const parts: Buffer[] = []
  const gh = Buffer.alloc(24)
  gh.writeUInt32LE(0xa1b2c3d4, 0)
  gh.writeUInt16LE(2, 4)
  gh.writeUInt16LE(4, 6)
  gh.writeUInt32LE(65535, 16)
  gh.writeUInt32LE(linktype, 20)
  parts.push(gh)
  frames.forEach((data, i) => {
    const rh = Buffer.alloc(16)
    rh.writeUInt32LE(1_700_000_000, 0)
    rh.writeUInt32LE(i, 4)
    rh.writeUInt32LE(data.length, 8)
    rh.writeUInt32LE(data.length, 12)
    parts.push(rh, Buffer.from(data))
  })
  return Buffer.concat(parts)
}

let dir: string | undefined
export function writeTmp(name: string, bytes: Uint8Array | string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'npa-scenario-test-'))
  const p = join(dir, name)
  writeFileSync(p, bytes)
  return p
}
