/** Notebook parsing, Markdown, chart specs and the HTML pieces, without a run. */
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {UserError} from '../../src/errors.js'
import {buildVegaLite, cdfRows, parseChartSpec, renderChart, uniqueIds} from '../../src/report/chart.js'
import {cellValue} from '../../src/report/html.js'
import {escapeHtml, renderInline, renderMarkdown} from '../../src/report/markdown.js'
import {parseNotebook} from '../../src/report/notebook.js'
import {bundledNotebooks, failureMessage, loadNotebook} from '../../src/report/run.js'

/** The message of the UserError fn throws. */
function userError(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.instance(err, UserError)
    return (err as Error).message
  }
  throw new assert.Assertion({message: 'expected a UserError', operator: 'throws', actual: 'no error', expects: 'UserError'})
}

const parse = suite('notebook: parse')

const NB = `---
title: T
min_runs: 2
applies: select true
---

# Heading

Some *prose*.

\`\`\`sql id=first limit=5
select 1 as a
\`\`\`

\`\`\`chart
type: bar
x: a
y: a
\`\`\`

More prose.

\`\`\`sql hide-table
create temp view v as select 2 as b;
select * from v
\`\`\`
`

parse('front matter, prose blocks, cells with options and line numbers, charts attached to the cell before them', () => {
  const nb = parseNotebook(NB, 'notebooks/t.md')
  assert.is(nb.name, 't')
  assert.is(nb.title, 'T')
  assert.equal(nb.meta, {min_runs: 2, applies: 'select true', title: 'T'})
  assert.equal(nb.blocks.map((b) => b.kind), ['prose', 'cell', 'prose', 'cell'])
  assert.equal(nb.cells.map((c) => [c.index, c.id, c.line, c.limit, c.hideTable, c.chartLine]), [[1, 'first', 11, 5, false, 15], [2, 'cell-2', 23, 20, true, null]])
  assert.is(nb.cells[0].sql, 'select 1 as a')
  assert.equal(nb.cells[0].chart?.fields, {x: 'a', y: 'a'})
  assert.is(nb.cells[1].sql, 'create temp view v as select 2 as b;\nselect * from v')
  const prose = nb.blocks[0]
  assert.ok(prose.kind === 'prose' && prose.markdown.includes('# Heading') && prose.line === 6)
})

parse('title falls back to the first heading, then the file name; other code fences stay prose', () => {
  assert.is(parseNotebook('# Hello there\n\n```yaml\nx: 1\n```\n', 'a/b.md').title, 'Hello there')
  const nb = parseNotebook('text\n\n```yaml\nx: 1\n```\n', 'a/b.md')
  assert.is(nb.title, 'b')
  assert.is(nb.cells.length, 0)
  assert.ok(nb.blocks[0].kind === 'prose' && nb.blocks[0].markdown.includes('```yaml'))
})

parse('malformed notebooks fail with file:line and what to do', () => {
  assert.match(userError(() => parseNotebook('x\n```sql\nselect 1\n', 'n.md')), /^n\.md:2: sql block opened here is never closed/)
  assert.match(userError(() => parseNotebook('```sql\nselect 1\n```\ntext\n```chart\ntype: bar\n```\n', 'n.md')), /^n\.md:5: a chart block must follow a sql cell/)
  assert.match(userError(() => parseNotebook('```sql\nselect 1\n```\n```chart\ntype: pie\nx: a\n```\n', 'n.md')), /^n\.md:4: chart: type must be one of line, bar/)
  assert.match(userError(() => parseNotebook('```sql\nselect 1\n```\n```chart\ntype: bar\nx: a\ny: b\ncolour: c\n```\n', 'n.md')), /n\.md:4: chart: unknown key "colour"/)
  assert.match(userError(() => parseNotebook('```sql\nselect 1\n```\n```chart\ntype: [bar\n```\n', 'n.md')), /^n\.md:\d+: chart is not valid YAML/)
  assert.match(userError(() => parseNotebook('```sql id=a\nselect 1\n```\n```sql id=a\nselect 2\n```\n', 'n.md')), /^n\.md:4: cell id "a" is already used at line 1/)
  assert.match(userError(() => parseNotebook('```sql limit=x\nselect 1\n```\n', 'n.md')), /^n\.md:1: bad cell option "limit=x"/)
  assert.match(userError(() => parseNotebook('```sql\n\n```\n', 'n.md')), /^n\.md:1: empty sql cell/)
  assert.match(userError(() => parseNotebook('---\ntitle: x\n', 'n.md')), /^n\.md:1: front matter opened with --- is never closed/)
  assert.match(userError(() => parseNotebook('---\ntitle: x\nmin_run: 2\n---\n', 'n.md')), /^n\.md:3: unknown front matter key "min_run"/)
  assert.match(userError(() => parseNotebook('---\nmin_runs: 0\n---\n', 'n.md')), /^n\.md:2: min_runs must be a whole number >= 1/)
  assert.match(userError(() => loadNotebook('/nonexistent/x.md')), /cannot read notebook \/nonexistent\/x\.md: no such file/)
})

parse('every bundled notebook parses, and the standard set is complete', () => {
  const files = bundledNotebooks()
  assert.equal(files.map((f) => f.split('/').pop()), ['latency.md', 'switching.md', 'cpu.md', 'migration.md', 'compare.md'])
  for (const f of files) {
    const nb = loadNotebook(f)
    assert.ok(nb.cells.length >= 5, `${f} has cells`)
    assert.ok(nb.cells.some((c) => c.chart), `${f} has a chart`)
  }
  assert.is(loadNotebook(files[4]).meta.min_runs, 2)
})

parse('failure message names the first cell by file:line and counts the rest', () => {
  const one = failureMessage([{notebook: 'a.md', cell: 'x', where: 'a.md:3', message: 'Binder Error: no column b'}])
  assert.is(one, '1 notebook cell failed: a.md:3 (cell x): Binder Error: no column b')
  const two = failureMessage([{notebook: 'a.md', cell: 'x', where: 'a.md:3', message: 'E1'}, {notebook: 'a.md', cell: 'y', where: 'a.md:9', message: 'E2'}])
  assert.is(two, '2 notebook cells failed: a.md:3 (cell x): E1; and 1 more: a.md:9 (y)')
})

const md = suite('notebook: markdown')

md('headings (shifted, with anchors), paragraphs, lists, quotes, code, inline markup', () => {
  const h = renderMarkdown('# Top\n\nA *b* **c** `d<e>` [l](https://x.org/?a=1&b=2).\nnext line\n\n- one\n- two\n  cont\n\n1. first\n\n> quoted\n\n```\n<raw>\n```\n\n---', {headingOffset: 1, idPrefix: 'n-'})
  assert.is(h, [
    '<h2 id="n-top">Top</h2>',
    '<p>A <em>b</em> <strong>c</strong> <code>d&lt;e&gt;</code> <a href="https://x.org/?a=1&amp;b=2">l</a>. next line</p>',
    '<ul><li>one</li><li>two cont</li></ul>',
    '<ol><li>first</li></ol>',
    '<blockquote><p>quoted</p></blockquote>',
    '<pre><code>&lt;raw&gt;</code></pre>',
    '<hr>',
  ].join('\n'))
})

md('raw HTML is text and javascript: links are not links', () => {
  assert.is(renderInline('<script>alert(1)</script>'), '&lt;script&gt;alert(1)&lt;/script&gt;')
  assert.is(renderInline('[x](javascript:alert(1))'), '[x](javascript:alert(1))')
  assert.is(escapeHtml(`a&<>"'`), 'a&amp;&lt;&gt;&quot;&#39;')
  assert.is(renderInline('snake_case_name and `a*b*c`'), 'snake_case_name and <code>a*b*c</code>')
})

md('table cells: integers exact, decimals to 6 places, NULL, lists as JSON', () => {
  assert.equal([cellValue(12345678901), cellValue(1 / 3), cellValue(0.1 + 0.2), cellValue(null), cellValue([1, {a: 'x'}]), cellValue(true)],
    ['12345678901', '0.333333', '0.3', 'NULL', '[1,{"a":"x"}]', 'true'])
})

const charts = suite('notebook: charts')

const input = {columns: ['t', 'n', 'k'], types: ['DOUBLE', 'BIGINT', 'VARCHAR'], rows: [{t: 1, n: 5, k: 'a'}, {t: 2, n: 7, k: 'b'}]}

charts('a short spec becomes a Vega-Lite spec with inline data, types from the SQL types, and the rows\' order kept', () => {
  const {spec, points} = buildVegaLite(parseChartSpec({type: 'bar', x: 'k', y: 'n', color: 'k', y_title: 'count'}), input)
  assert.is(points, 2)
  const enc = spec.encoding as Record<string, Record<string, unknown>>
  assert.equal(enc.x, {field: 'k', type: 'nominal', title: 'k', sort: null})
  assert.equal(enc.y, {field: 'n', type: 'quantitative', title: 'count'})
  assert.is((enc.color as {type: string}).type, 'nominal')
  assert.equal((spec.data as {values: unknown[]}).values, input.rows)
  assert.is(spec.width, 2 * 22 + 40 < 160 ? 160 : 2 * 22 + 40, 'a band axis sizes itself by its categories')
})

charts('chart errors name the problem: missing column, too many rows, bad keys', () => {
  assert.throws(() => buildVegaLite(parseChartSpec({type: 'line', x: 't', y: 'nope'}), input), /y: "nope" is not a column of the result \(columns: t, n, k\)/)
  const many = {...input, rows: Array.from({length: 20001}, (_, i) => ({t: i, n: i, k: 'a'}))}
  assert.throws(() => buildVegaLite(parseChartSpec({type: 'point', x: 't', y: 'n'}), many), /20001 rows is more than a chart takes/)
  assert.throws(() => parseChartSpec({type: 'line', y: 'n'}), /x is required/)
  assert.throws(() => parseChartSpec({type: 'line', x: 't'}), /y is required for a line chart/)
  assert.throws(() => parseChartSpec({type: 'line', x: 't', y: 'n', width: -1}), /width must be a number of pixels/)
  assert.throws(() => parseChartSpec({type: 'line', x: 't', y: 'n', x_type: 'numeric'}), /x_type must be one of quantitative/)
})

charts('cdf: nearest-rank points per group, from the minimum to the maximum', () => {
  const rows = [5, 1, 4, 2, 3].map((v) => ({v, g: 'a'})).concat([10, 20].map((v) => ({v, g: 'b'})))
  assert.equal(cdfRows(rows, 'v', ['g']), [
    {g: 'a', v: 1, fraction: 0}, {g: 'a', v: 1, fraction: 0.2}, {g: 'a', v: 2, fraction: 0.4}, {g: 'a', v: 3, fraction: 0.6}, {g: 'a', v: 4, fraction: 0.8}, {g: 'a', v: 5, fraction: 1},
    {g: 'b', v: 10, fraction: 0}, {g: 'b', v: 10, fraction: 0.5}, {g: 'b', v: 20, fraction: 1},
  ])
  const big = Array.from({length: 1000}, (_, i) => ({v: 1000 - i}))
  const r = cdfRows(big, 'v', [], 4)
  assert.equal(r.map((x) => [x.v, x.fraction]), [[1, 0], [250, 0.25], [500, 0.5], [750, 0.75], [1000, 1]])
})

charts('renders to SVG with marks, labelled with the data; internal ids made unique', async () => {
  const c = await renderChart(parseChartSpec({type: 'bar', x: 'k', y: 'n'}), input, 'nb-c1')
  assert.match(c.svg, /^<svg[^>]*class="marks"/)
  assert.match(c.svg, /aria-label="k: a; n: 5"/)
  assert.match(c.svg, /aria-label="k: b; n: 7"/)
  assert.equal(c.warnings, [])
  const ids = [...c.svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])
  for (const id of ids) assert.ok(id.startsWith('nb-c1-'), id)
  assert.is(uniqueIds('<svg><clipPath id="clip1"/><g clip-path="url(#clip1)"/><use href="#clip1"/></svg>', 'p'),
    '<svg><clipPath id="p-clip1"/><g clip-path="url(#p-clip1)"/><use href="#p-clip1"/></svg>')
})

for (const s of [parse, md, charts]) s.run()
