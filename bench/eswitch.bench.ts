/**
 * Micro-benchmark of EmbeddedSwitch.forward(): 1M forwards of a unicast/broadcast mix on one NIC
 * with 8 VFs (two on a port VLAN), printed as ns/forward overall and per kind.
 * Run: node --import tsx bench/eswitch.bench.ts [forwards=1000000] [numVfs=8]
 */
import {BROADCAST_MAC, EmbeddedSwitch, PF, UPLINK, vfPort} from '../src/model/eswitch.js'

const N = Number(process.argv[2] ?? 1_000_000)
const NVF = Number(process.argv[3] ?? 8)
const vfMac = (i: number): number => 0x02_00_00_00_00_00 + (i + 1) * 0x100
const EXT = 0x00_11_22_33_44_55
const PF_MAC = 0x02_00_00_00_00_01

const sw = new EmbeddedSwitch(NVF)
sw.setPortMac(PF, PF_MAC)
for (let i = 0; i < NVF; i++) sw.setPortMac(vfPort(i), vfMac(i))
sw.setPortVlan(vfPort(0), 10)
sw.setPortVlan(vfPort(1), 10)
sw.addPfMac(0x02_00_00_00_0e_01)

// A fixed pattern of frames (struct of arrays, no per-frame objects): 80 % unicast, 20 % broadcast.
type Frame = [src: number, dst: number, smac: number, vid: number, kind: number]
const pattern: Frame[] = []
for (let i = 0; i < NVF; i++) {
  const j = (i + 3) % NVF
  pattern.push([vfPort(i), vfMac(j), vfMac(i), -1, 0]) // VF→VF (or unknown across VLANs)
  pattern.push([UPLINK, vfMac(i), EXT, i < 2 ? 10 : -1, 0]) // wire→VF
  pattern.push([vfPort(i), EXT, vfMac(i), -1, 0]) // VF→wire (unknown unicast)
  pattern.push([UPLINK, 0x00_aa_bb_cc_dd_ee, EXT, -1, 0]) // unknown from the wire → PF
  pattern.push([i % 2 === 0 ? UPLINK : vfPort(i), BROADCAST_MAC, i % 2 === 0 ? EXT : vfMac(i), -1, 1]) // broadcast
}
const P = pattern.length
const src = new Int32Array(P), vid = new Int32Array(P), kind = new Uint8Array(P)
const dst = new Float64Array(P), smac = new Float64Array(P)
pattern.forEach((f, i) => { src[i] = f[0]; dst[i] = f[1]; smac[i] = f[2]; vid[i] = f[3]; kind[i] = f[4] })

const out = new Int32Array(sw.numPorts)
const outVlan = new Int16Array(sw.numPorts)

function run(n: number, only: number): number {
  let sum = 0
  for (let k = 0, i = 0; k < n; k++) {
    if (only < 0 || kind[i] === only) sum += sw.forward(src[i], dst[i], smac[i], vid[i], out, outVlan)
    else k--
    if (++i === P) i = 0
  }
  return sum
}

function time(label: string, only: number): void {
  run(200_000, only) // warm-up (JIT)
  const best: number[] = []
  let replicas = 0
  for (let rep = 0; rep < 5; rep++) {
    const t0 = process.hrtime.bigint()
    replicas = run(N, only)
    best.push(Number(process.hrtime.bigint() - t0) / N)
  }
  best.sort((a, b) => a - b)
  console.log(`${label.padEnd(22)} ${best[0].toFixed(1).padStart(6)} ns/forward (median ${best[2].toFixed(1)}), ${(replicas / N).toFixed(2)} destinations/frame`)
}

console.log(`eswitch forward(): ${N} forwards, ${NVF} VFs, Node ${process.version}`)
time('mix (80% uc, 20% bc)', -1)
time('unicast only', 0)
time('broadcast only', 1)
