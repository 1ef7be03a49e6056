/**
 * The library as a whole: every module loads on an empty trace (smoke test, as Perfetto's StdlibSmoke),
 * every public view is documented, the loader's stage table equals its SQL definition, every metric
 * evaluates, and runs with different dictionaries load side by side.
 */
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {loadLibrary, referencedViews, splitStatements} from '../../src/analysis/library.js'
import {METRICS, evaluateMetrics, metricSql} from '../../src/analysis/metrics.js'
import {AnalysisSession} from '../../src/analysis/session.js'
import {CONFIG_COLUMNS, EVENT_COLUMNS, FRAME_COLUMNS} from '../../src/trace/schema.js'
import {LEAK_RUN, VLAN_RUN, generatedRun, run} from './_fixtures.js'

const t = suite('analysis/library')

t('every module loads on empty tables and every public view can be read', async () => {
  const s = await AnalysisSession.openEmpty()
  try {
    for (const o of s.library.objects.values()) {
      if (o.kind !== 'view') continue
      const rows = await s.rows(`SELECT * FROM ${o.name} LIMIT 1`)
      assert.is(rows.length, o.name === 'drop_reasons' ? 1 : 0, o.name)
    }
    for (const m of METRICS) assert.equal(await s.rows(metricSql(m)), [], m.id)
  } finally {
    s.close()
  }
})

t('public views document themselves; the base views list every trace column', () => {
  const lib = loadLibrary()
  for (const o of lib.objects.values()) {
    if (o.internal) continue
    assert.ok(o.description.length > 10, `${o.name}: no description`)
    if (o.kind === 'view') {
      assert.ok(o.columns.length > 0, `${o.name}: no column list`)
      for (const c of o.columns) assert.ok(c.description.length > 3, `${o.name}.${c.name}: no description`)
    }
  }
  const cols = (v: string) => lib.objects.get(v)!.columns.map((c) => c.name)
  assert.equal(cols('events'), ['run_id', 'seq', ...EVENT_COLUMNS.map((c) => c.name)])
  assert.equal(cols('frames'), ['run_id', ...FRAME_COLUMNS.map((c) => c.name)])
  assert.equal(cols('config'), ['run_id', ...CONFIG_COLUMNS.map((c) => c.name)])
})

t('dependencies: a query on latency needs packet_path first; statements split outside quotes', () => {
  const lib = loadLibrary()
  const names = referencedViews(lib, 'select * from latency where grain = \'run\'').map((o) => o.name)
  assert.ok(names.indexOf('packet_path') >= 0 && names.indexOf('packet_path') < names.indexOf('latency'))
  assert.not.ok(names.includes('switching_check'))
  assert.equal(splitStatements(`select ';' as a; -- c;\nselect "x;y" from t;`).map((x) => x.trim()), [`select ';' as a`, `-- c;\nselect "x;y" from t`])
})

t('the stage table the loader computes equals its SQL definition, row for row, over runs with different dictionaries', async () => {
  const dirs = await Promise.all([generatedRun(), run('vlans', VLAN_RUN), run('leak', LEAK_RUN)])
  const s = await AnalysisSession.open(dirs)
  try {
    await s.installModules(['packet_path'])
    const [n] = await s.rows(`SELECT count(*) AS n FROM _replica_stage`)
    assert.ok(Number(n.n) > 3000)
    const [d1] = await s.rows(`SELECT count(*) AS n FROM (SELECT * FROM _replica_stage EXCEPT ALL SELECT * FROM _replica_stage_sql)`)
    const [d2] = await s.rows(`SELECT count(*) AS n FROM (SELECT * FROM _replica_stage_sql EXCEPT ALL SELECT * FROM _replica_stage)`)
    assert.is(d1.n, 0)
    assert.is(d2.n, 0)
    // names survive the ENUM remapping of differing per-run dictionaries
    const vms = await s.rows(`SELECT run_id::VARCHAR AS r, list(DISTINCT vm::VARCHAR ORDER BY vm::VARCHAR) AS vms FROM config GROUP BY 1 ORDER BY 1`)
    assert.equal(vms, [
      {r: 'gen-3000', vms: ['vm1', 'vm2', 'vm3', 'vm4', 'vm5', 'vm6', 'vm7', 'vm8']},
      {r: 'leak', vms: ['vm1', 'vm2', 'vm3']},
      {r: 'vlans', vms: ['vm1', 'vm2', 'vm3', 'vm4', 'vm5', 'vm6', 'vm7']},
    ])
    const runs = await s.rows(`SELECT run_id::VARCHAR AS r, run_index, frames FROM runs ORDER BY run_index`)
    assert.equal(runs, [{r: 'gen-3000', run_index: 0, frames: 3000}, {r: 'vlans', run_index: 1, frames: 10}, {r: 'leak', run_index: 2, frames: 6}])
    // every metric evaluates; latency metrics have a row per run, direction, mode, plugin
    const m = await evaluateMetrics(s)
    assert.equal(Object.keys(m).sort(), METRICS.map((x) => x.id).sort())
    const p99 = m.latency_p99_ns.filter((x) => x.run_id === 'leak')
    assert.equal(p99.map((x) => x.dimensions), [{direction: 'ext_to_vm', mode: 'passthrough', plugin: 'ixgbevf@1.1.0'}])
  } finally {
    s.close()
  }
})

t('--cache: the first session builds <run>/.cache.duckdb, the next reads it and answers the same', async () => {
  const d = await run('leak', LEAK_RUN)
  const sql = `SELECT kind, count FROM switching_violations ORDER BY kind`
  const a = await AnalysisSession.open([d], {cache: true})
  const first = await a.rows(sql)
  assert.is(a.cacheUsed, 'built')
  a.close()
  const b = await AnalysisSession.open([d], {cache: true})
  try {
    assert.is(b.cacheUsed, 'hit')
    assert.is(b.load, null)
    assert.equal(await b.rows(sql), first)
    assert.equal(first, [{kind: 'vlan_leak', count: 3}])
  } finally {
    b.close()
  }
})

t('runs given twice, or no run at all, are refused with a one-line reason', async () => {
  const d = await run('leak', LEAK_RUN)
  try {
    await AnalysisSession.open([d, d])
    assert.unreachable()
  } catch (err) {
    assert.match((err as Error).message, /run leak is given twice/)
  }
  try {
    await AnalysisSession.open([])
    assert.unreachable()
  } catch (err) {
    assert.match((err as Error).message, /no run given/)
  }
})

t.run()
