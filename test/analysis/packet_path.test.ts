/**
 * packet_path, drops, replica_tree, cpu and mode_switches on runs with known answers; every deliver
 * and drop event of the Arrow files is one packet_path row.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {tableFromIPC} from 'apache-arrow'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {AnalysisSession} from '../../src/analysis/session.js'
import {VLAN_RUN, generatedRun, run, vmMac, extMac} from './_fixtures.js'

const t = suite('packet_path')
let s: AnalysisSession
let gen: string

const MODE_RUN = {
  vms: [
    {name: 'vm1', mac: vmMac(1)},
    {name: 'vm2', mac: vmMac(2)},
  ],
  // vm2 switches to emulated at 1 ms and back at 3 ms; traffic to it every 100 µs
  frames: Array.from({length: 50}, (_, i) => ({us: i * 100, src: i % 2 ? extMac(1) : vmMac(1), dst: vmMac(2)})),
  operations: [
    {at: '1ms', vm: 'vm2', op: 'mode', mode: 'emulated'},
    {at: '3ms', vm: 'vm2', op: 'mode', mode: 'passthrough'},
  ],
}

t.before(async () => {
  gen = await generatedRun()
  const [vlans, modes] = await Promise.all([run('vlans', VLAN_RUN), run('modes', MODE_RUN)])
  s = await AnalysisSession.open([gen, vlans, modes])
})
t.after(() => s?.close())

t('every deliver and drop event is one packet_path row with the same outcome counts', async () => {
  const counts: Record<string, number> = {}
  let aux = 0
  for (const f of readdirSync(gen).filter((n) => /^events.*\.arrow$/.test(n))) {
    const ev = tableFromIPC(readFileSync(join(gen, f)))
    for (let i = 0; i < ev.numRows; i++) {
      const e = ev.getChild('event')!.get(i)
      if (e === 'shell_rx_deliver' || e === 'ext_deliver') {
        counts.delivered = (counts.delivered ?? 0) + 1
        aux += Number(ev.getChild('aux')!.get(i))
      } else if (e === 'drop' && ev.getChild('packet_id')!.get(i) !== null) counts[String(ev.getChild('reason')!.get(i))] = (counts[String(ev.getChild('reason')!.get(i))] ?? 0) + 1
    }
  }
  const rows = await s.rows(`SELECT coalesce(reason::VARCHAR, outcome) AS k, count(*) AS n, sum(latency_ns) AS lat FROM packet_path
    WHERE run_id = 'gen-3000' GROUP BY ALL ORDER BY k`)
  assert.equal(Object.fromEntries(rows.map((r) => [r.k, r.n])), counts)
  assert.is(Number(rows.find((r) => r.k === 'delivered')!.lat), aux) // latency_ns = the deliver event's aux
})

t('stages of a passthrough VM-to-VM path are in time order', async () => {
  const bad = await s.rows(`SELECT count(*) AS n, count(*) FILTER (NOT (
      t_in <= t_stack_tx AND t_stack_tx <= t_tx_post AND t_tx_post <= t_doorbell AND t_doorbell <= t_tx_fetch
      AND t_tx_fetch <= t_tx_dma_done AND t_tx_dma_done <= t_eswitch AND t_eswitch <= t_rx_dma_done
      AND t_rx_dma_done <= t_rx_writeback AND t_rx_writeback <= t_rx_complete AND t_rx_complete <= t_end)) AS bad
    FROM packet_path WHERE run_id = 'gen-3000' AND direction = 'vm_to_vm' AND src_mode = 'passthrough' AND dst_mode = 'passthrough'`)
  assert.ok(Number(bad[0].n) > 100)
  assert.is(Number(bad[0].bad), 0)
})

t('a broadcast is one replica per destination, each split from replica 0 and sharing its TX stages', async () => {
  const rows = await s.rows(`SELECT dst::VARCHAR AS dst, outcome, parent_replica, t_stack_tx, entered FROM packet_path
    WHERE run_id = 'vlans' AND packet_id = 0 ORDER BY dst NULLS LAST`)
  assert.equal(rows.map((r) => [r.dst, r.outcome]), [['external', 'delivered'], ['vm4', 'delivered'], ['vm5', 'delivered']])
  assert.ok(rows.every((r) => r.parent_replica === 0 && r.t_stack_tx === rows[0].t_stack_tx && r.entered === 'vm3'))
  const tree = await s.rows(`SELECT count(*) AS n FROM replica_tree WHERE run_id = 'vlans' AND packet_id = 0 AND parent_replica = 0`)
  assert.ok(Number(tree[0].n) >= 3) // plus the PF copy the vSwitch filtered for vm5's VLAN peers
})

t('direction, vm and mode columns', async () => {
  const r = await s.rows(`SELECT packet_id, direction, vm::VARCHAR AS vm, mode::VARCHAR AS mode FROM packet_path
    WHERE run_id = 'vlans' AND outcome = 'delivered' AND packet_id IN (1, 3, 8) ORDER BY packet_id, vm`)
  assert.equal(r, [
    {packet_id: 1, direction: 'ext_to_vm', vm: 'vm3', mode: 'passthrough'},
    {packet_id: 1, direction: 'ext_to_vm', vm: 'vm4', mode: 'passthrough'},
    {packet_id: 1, direction: 'ext_to_vm', vm: 'vm5', mode: 'emulated'},
    {packet_id: 3, direction: 'vm_to_vm', vm: 'vm2', mode: 'passthrough'},
    {packet_id: 8, direction: 'vm_to_ext', vm: 'vm1', mode: 'passthrough'},
  ])
})

t('mode_switches: two switches of vm2 at 1 ms and 3 ms, plus the boot ones', async () => {
  const r = await s.rows(`SELECT vm::VARCHAR AS vm, to_mode::VARCHAR AS to_mode, result_mode::VARCHAR AS result, t_begin, dur_ns > 0 AS took_time
    FROM mode_switches WHERE run_id = 'modes' AND NOT at_boot ORDER BY t_begin`)
  assert.equal(r, [
    {vm: 'vm2', to_mode: 'emulated', result: 'emulated', t_begin: 1_000_000, took_time: true},
    {vm: 'vm2', to_mode: 'passthrough', result: 'passthrough', t_begin: 3_000_000, took_time: true},
  ])
  const boot = await s.rows(`SELECT count(*) AS n FROM mode_switches WHERE run_id = 'modes' AND at_boot`)
  assert.is(Number(boot[0].n), 2)
  // deliveries to vm2 in emulated mode happen only between the switches
  const e = await s.rows(`SELECT min(t_end) AS a, max(t_end) AS b FROM packet_path WHERE run_id = 'modes' AND dst = 'vm2' AND dst_mode = 'emulated'`)
  assert.ok(Number(e[0].a) > 1_000_000 && Number(e[0].b) < 3_300_000, JSON.stringify(e))
})

t('migrations view exists and is empty without mig_* events', async () => {
  assert.equal(await s.rows(`SELECT * FROM migrations WHERE run_id IN ('vlans', 'modes')`), [])
})

t('cpu: per-frame CPU = total CPU of the VM / its frames; totals equal the sum of cpu_ns', async () => {
  const tot = await s.rows(`SELECT (SELECT sum(cpu_ns) FROM cpu WHERE run_id = 'gen-3000') AS a, (SELECT sum(cpu_ns) FROM events WHERE run_id = 'gen-3000') AS b`)
  assert.is(Number(tot[0].a), Number(tot[0].b))
  const r = await s.rows(`SELECT cpu_ns, tx_frames, rx_frames, cpu_ns_per_frame FROM cpu WHERE run_id = 'gen-3000' AND vm IS NOT NULL AND tx_frames + rx_frames > 0`)
  assert.ok(r.length >= 8)
  for (const x of r) assert.ok(Math.abs(Number(x.cpu_ns) / (Number(x.tx_frames) + Number(x.rx_frames)) - Number(x.cpu_ns_per_frame)) < 1e-9)
  const m = await s.rows(`SELECT mode::VARCHAR AS mode, side::VARCHAR AS side FROM cpu_by_mode WHERE run_id = 'gen-3000' AND mode = 'emulated' AND side = 'hypervisor'`)
  assert.is(m.length, 1) // emulated VMs cost hypervisor CPU
})

t.run()
