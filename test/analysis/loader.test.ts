/**
 * The loader: the synchronous Arrow file reader, the npa_scan table function (events and frames
 * served from the Arrow files), and the tables of the pass over the events, each checked row for row
 * against its SQL definition over `_events` on runs with replication, mode switches, a live migration
 * and different dictionaries side by side.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Table, tableFromIPC, tableToIPC, vectorFromArray} from 'apache-arrow'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {ArrowFile} from '../../src/analysis/arrow-file.js'
import {AnalysisSession} from '../../src/analysis/session.js'
import {CONTROL_EVENTS, TimeCol} from '../../src/analysis/stages.js'
import {replay} from '../../src/replay/replay.js'
import {VLAN_RUN, dir, generatedRun, run} from './_fixtures.js'

const t = suite('analysis/loader')
const repo = new URL('../../', import.meta.url)

/** traces/samples/sample.pcapng replayed with migrate-npa.yaml in 4096-row batches (migration, mode switches, buffering). */
let migration: Promise<string> | null = null
function migrationRun(): Promise<string> {
  migration ??= (async () => {
    const out = join(dir, 'runs', 'mig-npa')
    await replay({
      capture: new URL('traces/samples/sample.pcapng', repo).pathname,
      scenarioPath: new URL('traces/samples/migrate-npa.yaml', repo).pathname,
      out,
      batchRows: 4096,
    })
    return out
  })()
  return migration
}

t('ArrowFile reads every batch of a file synchronously; each batch is valid until the next but one read', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'npa-arrow-file-'))
  const n = 70_000
  const x = Float64Array.from({length: n}, (_, i) => i * 3)
  const batches = [0, 1, 2].map((b) => new Table({x: vectorFromArray(x.subarray(b * 25_000, Math.min(n, (b + 1) * 25_000)))}).batches[0])
  const file = join(tmp, 'x.arrow')
  writeFileSync(file, tableToIPC(new Table(batches), 'file'))
  const f = ArrowFile.open(file)
  try {
    assert.is(f.numBatches, 3)
    const buffers = {bufs: [], next: 0}
    let sum = 0
    let rows = 0
    for (let b = 0; b < f.numBatches; b++) {
      const batch = f.batch(b, buffers)
      const v = batch.getChild('x')!.toArray() as Float64Array
      for (let i = 0; i < v.length; i++) sum += v[i]
      rows += batch.numRows
      assert.is(v[0], b * 25_000 * 3, `batch ${b}`)
    }
    assert.is(rows, n)
    assert.is(sum, (3 * n * (n - 1)) / 2)
    // random access, fresh buffers
    assert.is((f.batch(1).getChild('x')!.toArray() as Float64Array)[1], 25_001 * 3)
  } finally {
    f.close()
  }
  writeFileSync(join(tmp, 'bad.arrow'), 'not arrow at all')
  assert.throws(() => ArrowFile.open(join(tmp, 'bad.arrow')), /bad\.arrow: not an Arrow IPC file/)
  assert.throws(() => ArrowFile.open(join(tmp, 'missing.arrow')), /cannot open .*missing\.arrow/)
})

t('TimeCol keeps times as offsets from a base, and the rare one that does not fit exactly', () => {
  const c = new TimeCol(4)
  const base = 5_000_000_000
  assert.ok(Number.isNaN(c.get(0, base)))
  c.min(0, base, base + 10)
  c.min(0, base, base + 20)
  c.min(0, base, base + 3)
  assert.is(c.get(0, base), base + 3)
  c.max(1, base, base + 10)
  c.max(1, base, base + 2 ** 33) // beyond 4.29 s: kept exactly
  assert.is(c.get(1, base), base + 2 ** 33)
  c.min(2, base, base - 7) // before the base
  assert.is(c.get(2, base), base - 7)
  c.min(2, base, base + 1)
  assert.is(c.get(2, base), base - 7)
  c.set(3, base, base)
  assert.is(c.get(3, base), base)
})

t('events and frames scans: every column and seq as in the Arrow files, with projection, LIMIT and self-joins', async () => {
  const gen = await generatedRun()
  const s = await AnalysisSession.open([gen])
  try {
    const arrow = tableFromIPC(readFileSync(join(gen, 'events-0000.arrow')))
    const n = arrow.numRows
    assert.equal(await s.rows(`SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM events`), [{n, lo: 0, hi: n - 1}])
    for (const i of [0, 1, 2047, 2048, n - 1]) {
      const row = arrow.get(i)!.toJSON() as Record<string, unknown>
      const [got] = await s.rows(`SELECT * EXCLUDE (run_id, seq) FROM events WHERE seq = ${i}`)
      for (const [k, v] of Object.entries(row)) {
        const want = typeof v === 'bigint' ? Number(v) : v
        assert.equal(got[k], want, `events row ${i} column ${k}`)
      }
    }
    // column sums straight from the Arrow file
    let cpu = 0
    let vlans = 0
    const cpuCol = arrow.getChild('cpu_ns')!
    const vlanCol = arrow.getChild('vlan')!
    for (let i = 0; i < n; i++) {
      cpu += Number(cpuCol.get(i))
      if (vlanCol.get(i) !== null) vlans++
    }
    assert.equal(await s.rows(`SELECT sum(cpu_ns)::BIGINT AS cpu, count(vlan) AS vlans FROM events`), [{cpu, vlans}])
    assert.equal(await s.rows(`SELECT count(*) AS n FROM (SELECT * FROM events LIMIT 5)`), [{n: 5}])
    // two scans of the same file in one query (each cursor has its own buffers)
    const [j] = await s.rows(`SELECT count(*) AS n FROM events a JOIN events b ON a.seq = b.seq + 1 AND a.t_ns >= 0`)
    assert.is(j.n, n - 1)
    const frames = tableFromIPC(readFileSync(join(gen, 'frames.arrow')))
    assert.equal(await s.rows(`SELECT count(*) AS n, sum(len)::BIGINT AS len FROM frames`), [{n: frames.numRows, len: Number(frames.getChild('len')!.toArray().reduce((a: number, b: number) => a + b, 0))}])
  } finally {
    s.close()
  }
})

t('a run whose events are split over two files answers as the same run in one file', async () => {
  const gen = await generatedRun()
  const split = mkdtempSync(join(tmpdir(), 'npa-split-run-'))
  for (const f of ['frames.arrow', 'config.arrow']) writeFileSync(join(split, f), readFileSync(join(gen, f)))
  const json = JSON.parse(readFileSync(join(gen, 'run.json'), 'utf8'))
  writeFileSync(join(split, 'run.json'), JSON.stringify({...json, run_id: 'split'}))
  const events = tableFromIPC(readFileSync(join(gen, 'events-0000.arrow')))
  const cut = 1000 // rows in the first file
  writeFileSync(join(split, 'events-0000.arrow'), tableToIPC(events.slice(0, cut), 'file'))
  writeFileSync(join(split, 'events-0001.arrow'), tableToIPC(events.slice(cut), 'file'))
  const s = await AnalysisSession.open([gen, split])
  try {
    const q = (sql: string) => s.rows(sql)
    const per = async (sql: string) => {
      const rows = await q(sql)
      return [rows.filter((r) => r.run_id !== 'split').map(({run_id: _r, ...x}) => x), rows.filter((r) => r.run_id === 'split').map(({run_id: _r, ...x}) => x)]
    }
    const [a, b] = await per(`SELECT run_id::VARCHAR AS run_id, count(*) AS n, max(seq) AS s, sum(t_ns)::BIGINT AS t FROM events GROUP BY 1 ORDER BY 1`)
    assert.equal(b, a)
    const [c, d] = await per(`SELECT run_id::VARCHAR AS run_id, seq, event::VARCHAR AS e FROM events WHERE seq IN (${cut - 1}, ${cut}, ${cut + 1}) ORDER BY 1, 2`)
    assert.equal(d, c)
    const [e, f] = await per(`SELECT run_id::VARCHAR AS run_id, outcome, count(*) AS n, sum(latency_ns)::BIGINT AS l FROM packet_path GROUP BY ALL ORDER BY 1, 2`)
    assert.equal(f, e)
    assert.ok(e.length >= 1 && Number(e[0].n) > 3000, JSON.stringify(e))
  } finally {
    s.close()
  }
})

t('the pass\'s tables equal their SQL definitions row for row (replication, mode switches, migration, runs side by side)', async () => {
  const dirs = await Promise.all([migrationRun(), generatedRun(), run('vlans', VLAN_RUN)])
  const s = await AnalysisSession.open(dirs)
  try {
    await s.installModules(['packet_path', 'cpu', 'migration', 'mode_switch'])
    const ctl = `(SELECT * FROM _events WHERE event IN (${CONTROL_EVENTS.map((e) => `'${e}'`).join(', ')}))`
    const twins: [string, string, number][] = [
      ['_replica_stage', '_replica_stage_sql', 20_000],
      ['_path_base', '_path_base_sql', 20_000],
      ['_cpu_cost', '_cpu_cost_sql', 20],
      ['_cpu_frames', '_cpu_frames_sql', 10],
      ['_events_ctl', ctl, 100],
    ]
    for (const [a, b, min] of twins) {
      const [r] = await s.rows(`SELECT (SELECT count(*) FROM ${a}) AS n,
        (SELECT count(*) FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})) AS d1,
        (SELECT count(*) FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a})) AS d2`)
      assert.ok(Number(r.n) >= min, `${a}: ${r.n} rows`)
      assert.equal([r.d1, r.d2], [0, 0], `${a} differs from ${b}`)
    }
    // the cases the pass has to get right are there
    const [c] = await s.rows(`SELECT (SELECT count(*) FROM replica_tree) AS split, (SELECT count(*) FROM _path_base WHERE t_doorbell IS NOT NULL) AS doorbells,
      (SELECT count(*) FROM _path_base WHERE t_irq IS NOT NULL) AS irqs, (SELECT count(*) FROM _events_ctl WHERE event = 'mig_buffer') AS buffered,
      (SELECT count(*) FROM migrations) AS migrations`)
    assert.ok(Number(c.split) > 100 && Number(c.doorbells) > 1000 && Number(c.irqs) > 1000 && Number(c.buffered) > 0, JSON.stringify(c))
    assert.is(c.migrations, 1)
  } finally {
    s.close()
  }
})

t.run()
