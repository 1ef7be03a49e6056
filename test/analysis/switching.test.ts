/**
 * The switching oracle on runs whose answers are known by construction (test/analysis/_fixtures.ts),
 * and fault injection: a deliberately broken eswitch rule is caught with the right kind and count.
 */
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {AnalysisSession} from '../../src/analysis/session.js'
import {LEAK_RUN, MISDELIVER_RUN, PROMISC_RUN, RING_RUN, VLAN_RUN, run} from './_fixtures.js'

const t = suite('switching')
let s: AnalysisSession

t.before(async () => {
  const dirs = await Promise.all([run('vlans', VLAN_RUN), run('ring', RING_RUN), run('misdeliver', MISDELIVER_RUN), run('leak', LEAK_RUN), run('promisc', PROMISC_RUN)])
  s = await AnalysisSession.open(dirs) // one session, five runs side by side
})
t.after(() => s?.close())

/** Endpoints per packet: {packet_id: 'a,b,c'} from rows (packet_id, endpoint). */
async function perPacket(sql: string): Promise<Record<number, string>> {
  const rows = await s.rows(sql)
  const out: Record<number, string[]> = {}
  for (const r of rows) (out[Number(r.packet_id)] ??= []).push(String(r.endpoint))
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.sort().join(',')]))
}

t('expected destinations follow the L2 rules (VLANs, port VLAN, anti-spoof, multicast, unknown unicast)', async () => {
  const exp = await perPacket(`SELECT packet_id, coalesce(endpoint::VARCHAR, 'DROP:' || rule) AS endpoint FROM switching_expected WHERE run_id = 'vlans'`)
  assert.equal(exp, {
    0: 'external,vm4,vm5', // broadcast from vm3 (port VLAN 10): the VLAN-10 VMs but the source, and outside
    1: 'vm3,vm4,vm5', // broadcast from outside on VLAN 10: exactly the VLAN-10 VMs
    2: 'vm1,vm2,vm7', // untagged broadcast from outside: the VMs without a port VLAN
    3: 'vm2',
    // 4: unicast to vm3, which is not in the untagged VLAN: nobody
    5: 'DROP:anti_spoof_vlan',
    6: 'external', // VLAN 30: only vm7 (the source) is a member
    7: 'external,vm2', // multicast group only vm2 listens to
    8: 'external',
    9: 'vm6',
  })
})

t('observed deliveries match, and nothing is a violation', async () => {
  const obs = await perPacket(`SELECT packet_id, dst AS endpoint FROM packet_path WHERE run_id = 'vlans' AND outcome = 'delivered'`)
  assert.equal(obs, {0: 'external,vm4,vm5', 1: 'vm3,vm4,vm5', 2: 'vm1,vm2,vm7', 3: 'vm2', 6: 'external', 7: 'external,vm2', 8: 'external', 9: 'vm6'})
  const v = await s.rows(`SELECT verdict, count(*) AS n FROM switching_check WHERE run_id = 'vlans' GROUP BY ALL ORDER BY verdict`)
  assert.equal(v, [
    {verdict: 'ok_delivered', n: 15},
    {verdict: 'ok_dropped', n: 1},
  ])
  const drop = await s.rows(`SELECT outcome, reason FROM packet_path WHERE run_id = 'vlans' AND packet_id = 5`)
  assert.equal(drop, [{outcome: 'dropped', reason: 'anti_spoof_vlan'}])
  assert.equal(await s.rows(`SELECT * FROM switching_violations WHERE run_id = 'vlans'`), [])
})

t('promiscuous VFs and vNICs get the unicast their switch has no member for', async () => {
  const exp = await perPacket(`SELECT packet_id, endpoint::VARCHAR || ':' || rule AS endpoint FROM switching_expected WHERE run_id = 'promisc'`)
  assert.equal(exp, {
    0: 'vm2:promiscuous,vm3:promiscuous',
    1: 'external:external,vm2:promiscuous',
    2: 'vm3:unicast',
    3: 'external:external,vm2:promiscuous,vm3:promiscuous',
    4: 'vm4:unicast',
  })
  const obs = await perPacket(`SELECT packet_id, dst AS endpoint FROM packet_path WHERE run_id = 'promisc' AND outcome = 'delivered'`)
  assert.equal(obs, {0: 'vm2,vm3', 1: 'external,vm2', 2: 'vm3', 3: 'external,vm2,vm3', 4: 'vm4'})
  assert.equal(await s.rows(`SELECT * FROM switching_violations WHERE run_id = 'promisc'`), [])
})

t('a frame lost for a full ring is a loss, not a violation', async () => {
  const lost = await s.rows(`SELECT count(*) AS n FROM packet_path WHERE run_id = 'ring' AND outcome = 'lost' AND reason = 'rx_ring_full' AND dst = 'vm2'`)
  const n = Number(lost[0].n)
  assert.ok(n > 0 && n < 40, `expected some rx_ring_full losses, got ${n}`)
  const v = await s.rows(`SELECT verdict, count(*) AS n FROM switching_check WHERE run_id = 'ring' GROUP BY ALL ORDER BY verdict`)
  assert.equal(v, [
    {verdict: 'ok_delivered', n: 40 - n},
    {verdict: 'ok_lost', n},
  ])
  assert.equal(await s.rows(`SELECT * FROM switching_violations WHERE run_id = 'ring'`), [])
  const drops = await s.rows(`SELECT reason, outcome, vm, replicas FROM drops WHERE run_id = 'ring'`)
  assert.equal(drops, [{reason: 'rx_ring_full', outcome: 'lost', vm: 'vm2', replicas: n}])
})

t('fault injection: every 5th VF-bound unicast misdelivered -> 10 misdelivered + 10 missing', async () => {
  const v = await s.rows(`SELECT kind, count, frames FROM switching_violations WHERE run_id = 'misdeliver' ORDER BY kind`)
  assert.equal(v, [
    {kind: 'misdelivered', count: 10, frames: 10},
    {kind: 'missing', count: 10, frames: 10},
  ])
  // the examples are real frames: the 5th, 10th... VF-bound frame (packet ids 4, 9, 14, 19, 24)
  const ex = await s.rows(`SELECT example_packet_ids FROM switching_violations WHERE run_id = 'misdeliver' AND kind = 'misdelivered'`)
  assert.equal(ex[0].example_packet_ids, [4, 9, 14, 19, 24])
})

t('fault injection: every 2nd VLAN-10 broadcast leaks into VLAN 20 -> 3 vlan_leak', async () => {
  const v = await s.rows(`SELECT kind, count, endpoints, example_packet_ids FROM switching_violations WHERE run_id = 'leak' ORDER BY kind`)
  assert.equal(v, [{kind: 'vlan_leak', count: 3, endpoints: ['vm3'], example_packet_ids: [1, 3, 5]}])
})

t.run()
