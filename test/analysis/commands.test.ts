/**
 * The commands in-process: query formats (table, csv, json, arrow, parquet), several runs side by side,
 * analyze's report and exit code, sql-reference.
 */
import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {tableFromIPC} from 'apache-arrow'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {AnalysisSession} from '../../src/analysis/session.js'
import {MISDELIVER_RUN, VLAN_RUN, dir, run} from './_fixtures.js'

/** runCommand joins its arguments and splits them again at spaces outside double quotes. */
const q = (sql: string) => `"${sql}"`

process.env.NODE_ENV ??= 'test' // otherwise oclif runs in prod mode and loads dist/ instead of the TS sources
const config = await Config.load({root: fileURLToPath(new URL('../..', import.meta.url))})

const t = suite('analysis/commands')
let vlans: string
let fault: string

t.before(async () => {
  ;[vlans, fault] = await Promise.all([run('vlans', VLAN_RUN), run('misdeliver', MISDELIVER_RUN)])
})

const SQL = `select packet_id, dst::varchar as dst, latency_ns from packet_path where outcome = 'delivered' and packet_id in (3, 9) order by packet_id`

t('query: table, csv and json agree', async () => {
  const table = await runCommand(['query', vlans, q(SQL)], config)
  assert.is(table.error, undefined)
  assert.match(table.stdout, /^packet_id\s+dst\s+latency_ns\n-+/)
  assert.match(table.stdout, /\n\s+3\s+vm2\s+\d+\n\s+9\s+vm6\s+\d+/)
  const json = await runCommand(['query', vlans, q(SQL), '--format', 'json'], config)
  const rows = JSON.parse(json.stdout) as {packet_id: number; dst: string; latency_ns: number}[]
  assert.equal(rows.map((r) => [r.packet_id, r.dst]), [[3, 'vm2'], [9, 'vm6']])
  const csv = await runCommand(['query', vlans, q(SQL), '--format', 'csv'], config)
  assert.is(csv.stdout, `packet_id,dst,latency_ns\n3,vm2,${rows[0].latency_ns}\n9,vm6,${rows[1].latency_ns}\n`)
})

t('query: the table is limited with a note', async () => {
  const r = await runCommand(['query', vlans, q('select * from range(7)'), '--limit', '5'], config)
  assert.match(r.stdout, /\(2 more rows not shown; 7 in all/)
})

t('query: arrow and parquet files hold the same rows', async () => {
  const a = join(dir, 'q.arrow')
  const p = join(dir, 'q.parquet')
  assert.is((await runCommand(['query', vlans, q('select * from packet_path'), '--format', 'arrow', '-o', a], config)).error, undefined)
  assert.is((await runCommand(['query', vlans, q('select * from packet_path'), '--format', 'parquet', '-o', p], config)).error, undefined)
  const arrow = tableFromIPC(readFileSync(a))
  const s = await AnalysisSession.open([vlans])
  try {
    const [n] = await s.rows(`select count(*) as n, sum(latency_ns) as lat, count(*) filter (outcome = 'delivered') as d from read_parquet('${p}')`)
    const [m] = await s.rows(`select count(*) as n, sum(latency_ns) as lat from packet_path`)
    assert.is(arrow.numRows, m.n)
    assert.is(n.n, m.n)
    assert.is(n.lat, m.lat)
    let lat = 0
    for (let i = 0; i < arrow.numRows; i++) lat += Number(arrow.getChild('latency_ns')!.get(i) ?? 0)
    assert.is(lat, m.lat)
    assert.is(String(arrow.getChild('outcome')!.get(0)).length > 0, true)
    assert.is(arrow.getChild('dst')!.type.toString(), 'Dictionary<Int16, Utf8>') // ENUMs stay dictionaries
  } finally {
    s.close()
  }
})

t('query: several runs side by side, SQL from a file with several statements', async () => {
  const f = join(dir, 'q.sql')
  writeFileSync(f, `create temp table x as select run_id, count(*) as n from frames group by all;\nselect run_id::varchar as run_id, n from x order by run_id;`)
  const r = await runCommand(['query', vlans, fault, '-f', f, '--format', 'json'], config)
  assert.is(r.error, undefined)
  assert.equal(JSON.parse(r.stdout), [{run_id: 'misdeliver', n: 50}, {run_id: 'vlans', n: 10}])
})

t('query: a SQL error is one line naming the problem', async () => {
  const r = await runCommand(['query', vlans, q('select nope from packet_path')], config)
  assert.is(r.error?.oclif?.exit, 1)
  assert.match(r.stderr, /npa-trace: SQL error: Binder Error: Referenced column "nope" not found/)
  const missing = await runCommand(['query', join(dir, 'no-such-run'), q('select 1')], config)
  assert.match(missing.stderr, /no such run/)
})

t('analyze: a clean run exits 0; empty sections say so', async () => {
  const r = await runCommand(['analyze', vlans], config)
  assert.is(r.error, undefined)
  assert.match(r.stdout, /== latency =/)
  assert.match(r.stdout, /No switching violation/)
  assert.match(r.stdout, /No mode switch after boot in this run\./)
  assert.match(r.stdout, /No migration in this run\./)
  assert.match(r.stdout, /== cpu =/)
})

t('analyze: switching violations exit 1 with how many and how to list them', async () => {
  const r = await runCommand(['analyze', fault, 'switching'], config)
  assert.is(r.error?.oclif?.exit, 1)
  assert.match(r.stdout, /SWITCHING VIOLATIONS/)
  assert.match(r.stderr, /npa-trace: 20 switching violations \(misdelivered 10, missing 10\) \(list them: npa-trace query .*switching_check/)
  const j = await runCommand(['analyze', fault, 'switching', '--json'], config)
  const rep = JSON.parse(j.stdout)
  assert.is(rep.violations, 20)
  assert.equal(rep.metrics.switching_violations.map((m: {dimensions: {kind: string}; value: number}) => [m.dimensions.kind, m.value]), [['misdelivered', 10], ['missing', 10]])
})

t('sql-reference lists every public view with a description for each column', async () => {
  const r = await runCommand(['sql-reference', '--json'], config)
  assert.is(r.error, undefined)
  const ref = JSON.parse(r.stdout) as {modules: {objects: {name: string; kind: string; description: string; columns?: {name: string; type: string; description: string}[]}[]}[]}
  const objs = ref.modules.flatMap((m) => m.objects)
  const names = objs.map((o) => o.name)
  for (const v of ['events', 'frames', 'config', 'runs', 'packet_path', 'latency', 'latency_stages', 'switching_expected', 'switching_check',
    'switching_violations', 'mode_switches', 'migrations', 'migration_phases', 'cpu', 'cpu_by_mode', 'drops', 'mac_str']) {
    assert.ok(names.includes(v), `${v} missing from sql-reference`)
  }
  for (const o of objs) {
    assert.ok(o.description.length > 10, `${o.name} has no description`)
    for (const c of o.columns ?? []) {
      assert.ok(c.description.length > 0, `${o.name}.${c.name} has no description`)
      assert.ok(c.type !== '?', `${o.name}.${c.name}: column list does not match the view`)
    }
  }
  assert.ok(!names.some((n) => n.startsWith('_')), 'internal objects are not listed')
  const text = await runCommand(['sql-reference'], config)
  assert.match(text.stdout, /### packet_path\n/)
})

t.run()
