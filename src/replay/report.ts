import {SingleBar} from 'cli-progress'
import type {ReplayProgress, ReplaySummary} from './replay.js'

const fmtNs = (ns: number): string =>
  ns >= 1e9 ? `${(ns / 1e9).toFixed(2)} s` : ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(1)} µs` : `${Math.round(ns)} ns`

/** The closing summary: frames, events, drops by reason, latency by mode. */
export function formatReplaySummary(s: ReplaySummary): string {
  const lines: string[] = []
  const rate = s.wallMs > 0 ? Math.round((s.frames / s.wallMs) * 1000) : 0
  lines.push(`run ${s.runId} → ${s.runDir}`)
  lines.push(`  ${s.frames} frames, ${s.events} events, ${s.delivered} deliveries, ${fmtNs(s.simNs)} simulated in ${(s.wallMs / 1000).toFixed(2)} s (${rate} frames/s)`)
  const drops = Object.entries(s.drops)
  lines.push(`  drops: ${drops.length === 0 ? 'none' : drops.map(([r, n]) => `${r} ${n}`).join(', ')}`)
  for (const [mode, l] of Object.entries(s.latency))
    lines.push(`  latency ${mode.padEnd(11)} p50 ${fmtNs(l.p50)}  p99 ${fmtNs(l.p99)}  max ${fmtNs(l.max)}  (${l.deliveries} deliveries)`)
  const cpu = s.cpuNs
  lines.push(`  cpu: guest ${fmtNs(cpu.guest)}, hypervisor ${fmtNs(cpu.hypervisor)}, nic ${fmtNs(cpu.nic)}`)
  const modes = new Map<string, string[]>()
  for (const p of s.plugins) {
    const k = `${p.mode}${p.plugin ? ` (${p.plugin})` : ''}`
    modes.set(k, [...(modes.get(k) ?? []), p.vm])
  }
  lines.push(`  VMs: ${[...modes].map(([k, v]) => `${v.length} ${k}`).join(', ')}`)
  for (const w of s.warnings.slice(0, 5)) lines.push(`  warning: ${w}`)
  if (s.warnings.length > 5) lines.push(`  (+${s.warnings.length - 5} more warnings in run.json)`)
  lines.push(`  next: npa-trace query ${s.runDir} "select event, count(*) from events group by 1 order by 2 desc"`)
  return lines.join('\n')
}

/** Progress on stderr: a bar on a TTY, otherwise one plain line every few seconds. */
export function makeProgress(label: string): {update: (p: ReplayProgress) => void; stop: () => void} {
  const tty = Boolean(process.stderr.isTTY) && !process.env.CI
  let bar: SingleBar | null = null
  let lastPlain = performance.now()
  let stopped = false
  return {
    update(p) {
      if (stopped) return
      if (tty) {
        if (!bar) {
          bar = new SingleBar({format: `replay ${label} [{bar}] {percentage}% | {frames} frames | {events} events`, stream: process.stderr, hideCursor: true,
            clearOnComplete: true, fps: 10})
          bar.start(p.fileSize || 1, 0, {frames: 0, events: 0})
        }
        bar.update(p.bytesRead, {frames: p.frames, events: p.events})
      } else if (performance.now() - lastPlain > 5000) {
        lastPlain = performance.now()
        const pct = p.fileSize > 0 ? Math.round((p.bytesRead / p.fileSize) * 100) : 0
        process.stderr.write(`replay ${label}: ${pct}% ${p.frames} frames, ${p.events} events\n`)
      }
    },
    stop() {
      if (stopped) return
      stopped = true
      bar?.stop()
    },
  }
}
