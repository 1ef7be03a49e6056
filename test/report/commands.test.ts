/** `npa-trace notebook`, `report` and `export` in-process: exit codes, messages, files. */
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {ROOT, cellSection, chart, events, resultTable, sharedRuns, type Runs} from './fixtures.js'

process.env.NODE_ENV ??= 'test' // otherwise oclif runs in prod mode and loads dist/ instead of the TS sources
const config = await Config.load({root: ROOT})

// line 7: a cell whose SQL fails; line 11: a cell whose chart names a column the result lacks
const BROKEN = `# Broken

\`\`\`sql id=fine
select count(*) as n from frames
\`\`\`

\`\`\`sql id=typo
select no_such_column from events
\`\`\`

\`\`\`sql id=chart-bad
select 1 as a
\`\`\`

\`\`\`chart
type: bar
x: a
y: b
\`\`\`

\`\`\`sql id=after
select 42 as answer
\`\`\`
`

let runs: Runs
const cmd = suite('commands: notebook, report, export')

cmd.before(async () => {
  runs = await sharedRuns()
})

cmd('notebook: a failing cell shows its SQL error at the cell, the other cells run, and the command exits 1 naming file:line', async () => {
  const nb = join(runs.dir, 'broken.md')
  writeFileSync(nb, BROKEN)
  const out = join(runs.dir, 'broken.html')
  const {error, stdout, stderr} = await runCommand(['notebook', nb, '--run', runs.base, '--out', out], config)
  assert.is(error?.oclif?.exit, 1)
  assert.ok(stderr.startsWith(`npa-trace: 2 notebook cells failed: ${nb}:7 (cell typo): Binder Error: Referenced column "no_such_column" not found`), stderr)
  assert.match(stderr, /and 1 more: .*broken\.md:15 \(chart-bad\) \(the report shows each error at its cell: .*broken\.html\)/)
  assert.match(stdout, /wrote .*broken\.html \(4 cells, 0 charts/)
  const html = readFileSync(out, 'utf8')
  const typo = cellSection(html, 'broken', 'typo')
  assert.match(typo, /data-status="error"/)
  assert.match(typo, /<div class="cell-error" role="alert" data-cell="typo"><strong>Cell typo: the query failed<\/strong> \(.*broken\.md:7\)<pre>Binder Error: Referenced column &quot;no_such_column&quot; not found/)
  assert.match(cellSection(html, 'broken', 'chart-bad'), /Cell chart-bad: the chart failed<\/strong> \(.*broken\.md:15\)<pre>chart \(line 15\): y: &quot;b&quot; is not a column of the result \(columns: a\)/)
  assert.equal(resultTable(cellSection(html, 'broken', 'chart-bad')).rows, [{a: '1'}], 'the table still shows')
  assert.is(resultTable(cellSection(html, 'broken', 'fine')).rows[0].n, '2000')
  assert.is(resultTable(cellSection(html, 'broken', 'after')).rows[0].answer, '42')
  assert.match(html, /<div class="summary-error" role="alert"><strong>2 cells failed<\/strong>/)
})

cmd('notebook: a malformed notebook stops before running, with file:line; no HTML is written', async () => {
  const nb = join(runs.dir, 'unclosed.md')
  writeFileSync(nb, '# x\n\n```sql\nselect 1\n')
  const out = join(runs.dir, 'unclosed.html')
  const {error, stderr} = await runCommand(['notebook', nb, '--run', runs.base, '--out', out], config)
  assert.is(error?.oclif?.exit, 1)
  assert.match(stderr, /npa-trace: .*unclosed\.md:3: sql block opened here is never closed/)
  assert.not.ok(existsSync(out))
})

cmd('notebook: a bundled notebook on two runs, --limit, and a run that does not exist', async () => {
  const out = join(runs.dir, 'cpu2.html')
  const ok = await runCommand(['notebook', join(ROOT, 'notebooks/cpu.md'), '--run', runs.base, '--run', runs.mig, '--out', out, '--limit', '1'], config)
  assert.is(ok.error, undefined)
  assert.match(ok.stdout, /wrote .*cpu2\.html \(5 cells, 4 charts/)
  const html = readFileSync(out, 'utf8')
  const sec = cellSection(html, 'cpu', 'by-side')
  const t = resultTable(sec)
  const sides = (run: string) => new Set(events(run).filter((e) => Number(e.cpu_ns) > 0).map((e) => e.side)).size
  const rows = sides(runs.base) + sides(runs.mig)
  assert.equal([t.total, t.shown], [rows, 1], '--limit caps the rows shown')
  assert.match(sec, new RegExp(`Showing 1 of ${rows} rows`))
  assert.ok(chart(cellSection(html, 'cpu', 'by-mode')))
  const bad = await runCommand(['notebook', join(ROOT, 'notebooks/cpu.md'), '--run', join(runs.dir, 'nope'), '--out', out], config)
  assert.is(bad.error?.oclif?.exit, 1)
  assert.match(bad.stderr, /npa-trace: no such run: .*nope/)
})

cmd('report: default output in the run directory; skipped notebooks said on stdout', async () => {
  const {error, stdout} = await runCommand(['report', runs.base, '--only', 'cpu,migration'], config)
  assert.is(error, undefined)
  assert.match(stdout, /cpu: 5 cells, 4 charts/)
  assert.match(stdout, /migration: skipped: no run has a live migration/)
  assert.ok(existsSync(join(runs.base, 'report.html')))
  const bad = await runCommand(['report', runs.base, '--only', 'latencies'], config)
  assert.is(bad.error?.oclif?.exit, 1)
  assert.match(bad.stderr, /unknown notebook "latencies" for --only \(the standard set is latency, switching, cpu, migration, compare\)/)
})

cmd('export: writes the JSON and says what it wrote; bad times are one-line errors', async () => {
  const out = join(runs.dir, 'cmd.json')
  const {error, stdout} = await runCommand(['export', runs.base, '--perfetto', out, '--from', '1ms', '--to', '2ms'], config)
  assert.is(error, undefined)
  assert.match(stdout, /wrote .*cmd\.json: \d+ complete, \d+ instant, \d+ counter events on \d+ tracks/)
  const j = JSON.parse(readFileSync(out, 'utf8')) as {otherData: {from_ns: number; to_ns: number}}
  assert.equal([j.otherData.from_ns, j.otherData.to_ns], [1_000_000, 2_000_000])
  const bad = await runCommand(['export', runs.base, '--perfetto', out, '--from', 'soon'], config)
  assert.is(bad.error?.oclif?.exit, 1)
  assert.match(bad.stderr, /npa-trace: --from: bad time "soon"/)
  const empty = await runCommand(['export', runs.base, '--perfetto', out, '--from', '2ms', '--to', '1ms'], config)
  assert.match(empty.stderr, /empty time window/)
})

cmd.run()
