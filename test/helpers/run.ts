/** Helpers for tests that replay small captures end to end and read the Arrow files back. */
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {tableFromIPC} from 'apache-arrow'
import {buildCapture} from '../../src/capture/writer.js'

export function tmpDir(prefix = 'npa-trace-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

const macBytes = (m: number): number[] => [5, 4, 3, 2, 1, 0].map((i) => Math.floor(m / 2 ** (8 * i)) % 256)

/** An Ethernet frame: dst, src, optional 802.1Q tag, IPv4 ethertype, zero payload up to `len` bytes (no FCS). */
export function ethFrame(dst: number, src: number, len = 100, vlan = -1): Uint8Array {
  const b = new Uint8Array(Math.max(len, 60))
  b.set(macBytes(dst), 0)
  b.set(macBytes(src), 6)
  let o = 12
  if (vlan >= 0) {
    b.set([0x81, 0x00, (vlan >> 8) & 0x0f, vlan & 0xff], 12)
    o = 16
  }
  b.set([0x08, 0x00], o)
  return b
}

/** Write a pcap of frames at the given ns offsets from 2024-01-01T00:00:00Z. */
export function writePcap(path: string, frames: {t: number; dst: number; src: number; len?: number; vlan?: number}[]): string {
  const sec0 = 1704067200
  const buf = buildCapture({format: 'pcap', nanosecond: true}, frames.map((f) => ({
    tsSec: sec0 + Math.floor(f.t / 1e9), tsNsec: f.t % 1e9, data: ethFrame(f.dst, f.src, f.len, f.vlan ?? -1),
  })))
  writeFileSync(path, buf)
  return path
}

/** Rows of an Arrow IPC file as plain objects (dictionary values as strings, i64 as numbers). */
export function readArrow(path: string): Record<string, unknown>[] {
  const t = tableFromIPC(readFileSync(path))
  const out: Record<string, unknown>[] = []
  for (const row of t) {
    const o: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(row!.toJSON())) o[k] = typeof v === 'bigint' ? Number(v) : v
    out.push(o)
  }
  return out
}

/** All event rows of a run directory (every events-*.arrow in order). */
export function readEvents(runDir: string): Record<string, unknown>[] {
  return readdirSync(runDir).filter((f) => /^events-\d+\.arrow$/.test(f)).sort().flatMap((f) => readArrow(join(runDir, f)))
}
