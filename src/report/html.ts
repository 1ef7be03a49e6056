/**
 * The HTML report: one self-contained file. Styles are inline, charts are inline SVG, and a
 * Content-Security-Policy forbids scripts and every fetch, so the page shows the same with no network
 * (and cannot phone home). The output is deterministic (no wall-clock time in it): the same runs and
 * notebooks give the same bytes.
 *
 * Markup that tests and tools can rely on:
 *   <section class="notebook" id="nb-<name>" data-notebook="<name>">
 *   <section class="cell" id="<name>-cell-<cell>" data-cell="<cell>" data-status="ok|error">
 *   <figure class="chart" data-cell="<cell>" data-points="<n>"><svg ...></figure>
 *   <table class="result" data-cell="<cell>" data-rows="<all rows>" data-shown="<rows shown>">
 *   <div class="cell-error" data-cell="<cell>">... <pre>message</pre></div>
 */
import {measureOf} from './chart.js'
import {escapeHtml, renderMarkdown} from './markdown.js'
import type {CellOutcome, NotebookRun} from './run.js'

export interface ReportRun {
  id: string
  dir: string
  capture?: string
  scenario?: string
  frames?: number
  events?: number
  simNs?: number
  plugins?: string[]
}

export interface ReportDoc {
  title: string
  runs: ReportRun[]
  notebooks: NotebookRun[]
  toolVersion: string
}

const CSS = `
:root{color-scheme:light}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2329;background:#fafbfc}
main{max-width:1280px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:1.7em;margin:.2em 0 .4em}h2{font-size:1.4em;margin:1.6em 0 .4em;border-bottom:1px solid #dde2e6;padding-bottom:.2em}
h3{font-size:1.15em;margin:1.3em 0 .3em}h4,h5,h6{font-size:1em}
code{font:13px/1.4 ui-monospace,Menlo,Consolas,monospace;background:#eef1f4;padding:0 3px;border-radius:3px}
pre{background:#f0f3f6;padding:8px 10px;overflow:auto;border-radius:4px}pre code{background:none;padding:0}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #dde2e6;padding:3px 8px;vertical-align:top}
th{background:#eef1f4;text-align:left;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}td.null{color:#9aa5b1}
.table-wrap{overflow-x:auto}.cell{margin:10px 0 22px}.note{color:#5b6670;font-size:13px;margin:4px 0}
details.sql summary{cursor:pointer;color:#5b6670;font-size:13px}
figure.chart{margin:8px 0;overflow-x:auto}figure.chart svg{max-width:none}
.cell-error{border-left:4px solid #c62828;background:#fdecea;padding:6px 12px;margin:8px 0}.cell-error pre{background:#fff6f5;white-space:pre-wrap}
.summary-error{border:1px solid #c62828;background:#fdecea;padding:8px 12px}
nav.toc ul{margin:4px 0}.skipped{color:#5b6670}
blockquote{border-left:3px solid #dde2e6;margin:8px 0;padding:0 12px;color:#4a545d}
`

function runTable(runs: ReportRun[]): string {
  if (runs.length === 0) return ''
  const head = '<tr><th>run</th><th>capture</th><th>scenario</th><th>frames</th><th>events</th><th>simulated</th><th>plugins used</th><th>directory</th></tr>'
  const rows = runs.map((r) => `<tr><td>${escapeHtml(r.id)}</td><td>${escapeHtml(r.capture ?? '')}</td><td>${escapeHtml(r.scenario ?? '')}</td>`
    + `<td class="num">${r.frames ?? ''}</td><td class="num">${r.events ?? ''}</td>`
    + `<td class="num">${r.simNs === undefined ? '' : escapeHtml(fmtMs(r.simNs))}</td><td>${escapeHtml((r.plugins ?? []).join(', '))}</td>`
    + `<td><code>${escapeHtml(r.dir)}</code></td></tr>`)
  return `<table class="runs"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`
}

/**
 * A table cell as text: integers exactly, other numbers to 6 decimals without trailing zeros (the
 * notebooks round in SQL where they want fewer), lists and structs as JSON.
 */
export function cellValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL'
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) || Math.abs(v) >= 1e15 ? String(v) : String(Number(v.toFixed(6)))
  if (typeof v === 'string') return v
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (v instanceof Date) return v.toISOString()
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
}

function fmtMs(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`
}

function resultTable(c: CellOutcome): string {
  const shown = c.rows.slice(0, c.cell.limit)
  const numeric = c.columns.map((_, i) => measureOf(c.types[i] ?? '') === 'quantitative')
  const head = c.columns.map((col) => `<th>${escapeHtml(col)}</th>`).join('')
  const body = shown.map((r) => '<tr>' + c.columns.map((col, i) => {
    const v = r[col]
    if (v === null || v === undefined) return '<td class="null">NULL</td>'
    return `<td${numeric[i] ? ' class="num"' : ''}>${escapeHtml(cellValue(v))}</td>`
  }).join('') + '</tr>').join('')
  return `<div class="table-wrap"><table class="result" data-cell="${escapeHtml(c.cell.id)}" data-rows="${c.rows.length}" data-shown="${shown.length}">`
    + `<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`
}

function cellHtml(nb: NotebookRun, c: CellOutcome): string {
  const id = c.cell.id
  const where = `${nb.notebook.file}:${c.cell.line}`
  const parts: string[] = []
  const status = c.error === null ? 'ok' : 'error'
  const rowNote = c.error !== null && c.errorKind === 'sql' ? 'failed' : `${c.rows.length} row${c.rows.length === 1 ? '' : 's'}`
  parts.push(`<details class="sql"><summary>SQL · ${escapeHtml(where)} · ${rowNote}</summary><pre><code class="language-sql">${escapeHtml(c.cell.sql)}</code></pre></details>`)
  if (c.error !== null) {
    const what = c.errorKind === 'chart' ? 'chart' : 'query'
    const at = c.errorKind === 'chart' ? `${nb.notebook.file}:${c.cell.chartLine}` : where
    parts.push(`<div class="cell-error" role="alert" data-cell="${escapeHtml(id)}"><strong>Cell ${escapeHtml(id)}: the ${what} failed</strong> `
      + `(${escapeHtml(at)})<pre>${escapeHtml(c.error)}</pre></div>`)
  }
  if (c.chart) {
    const warn = c.chart.warnings.length ? `<figcaption class="note">Chart warnings: ${escapeHtml(c.chart.warnings.join('; '))}</figcaption>` : ''
    parts.push(`<figure class="chart" data-cell="${escapeHtml(id)}" data-points="${c.chart.points}">${c.chart.svg}${warn}</figure>`)
  } else if (c.cell.chart && c.error === null) {
    parts.push('<p class="note">No data to chart.</p>')
  }
  if (!(c.error !== null && c.errorKind === 'sql')) {
    if (c.columns.length === 0) {
      parts.push('<p class="note">Statement ran (no result).</p>')
    } else if (c.rows.length === 0) {
      parts.push(`<p class="note empty">The query returned no rows.</p>${c.cell.hideTable ? '' : resultTable(c)}`)
    } else if (!c.cell.hideTable) {
      parts.push(resultTable(c))
      if (c.rows.length > c.cell.limit) parts.push(`<p class="note">Showing ${Math.min(c.cell.limit, c.rows.length)} of ${c.rows.length} rows.</p>`)
    } else {
      parts.push(`<p class="note">${c.rows.length} rows (table hidden).</p>`)
    }
  }
  return `<section class="cell" id="${escapeHtml(`${nb.notebook.name}-cell-${id}`)}" data-cell="${escapeHtml(id)}" data-status="${status}">${parts.join('\n')}</section>`
}

function notebookHtml(nb: NotebookRun): string {
  const out: string[] = []
  const name = nb.notebook.name
  out.push(`<section class="notebook" id="nb-${escapeHtml(name)}" data-notebook="${escapeHtml(name)}">`)
  if (!nb.applies) {
    out.push(`<p class="note">This notebook does not apply to these runs: ${escapeHtml(nb.skipReason ?? '')}. Its cells ran anyway.</p>`)
  }
  const outcome = new Map(nb.cells.map((c) => [c.cell, c]))
  for (const b of nb.notebook.blocks) {
    if (b.kind === 'prose') out.push(renderMarkdown(b.markdown, {headingOffset: 1, idPrefix: `${name}-`}))
    else {
      const c = outcome.get(b.cell)
      if (c) out.push(cellHtml(nb, c))
    }
  }
  out.push('</section>')
  return out.join('\n')
}

/** The whole report as one HTML document. */
export function renderReport(doc: ReportDoc): string {
  const shown = doc.notebooks.filter((n) => n.cells.length > 0 || n.applies)
  const skipped = doc.notebooks.filter((n) => !shown.includes(n))
  const failed = shown.flatMap((n) => n.cells.filter((c) => c.error !== null).map((c) => ({n, c})))
  const parts: string[] = []
  parts.push('<!DOCTYPE html>')
  parts.push('<html lang="en"><head><meta charset="utf-8">')
  parts.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`)
  parts.push('<meta name="viewport" content="width=device-width, initial-scale=1">')
  parts.push(`<meta name="generator" content="npa-trace ${escapeHtml(doc.toolVersion)}">`)
  parts.push('<link rel="icon" href="data:,">')
  parts.push(`<title>${escapeHtml(doc.title)}</title><style>${CSS}</style></head><body><main>`)
  parts.push(`<h1>${escapeHtml(doc.title)}</h1>`)
  parts.push(runTable(doc.runs))
  if (failed.length) {
    const items = failed.map(({n, c}) => `<li><a href="#${escapeHtml(`${n.notebook.name}-cell-${c.cell.id}`)}">${escapeHtml(`${n.notebook.file}:${c.cell.line}`)} (cell ${escapeHtml(c.cell.id)})</a>: ${escapeHtml((c.error ?? '').split('\n')[0])}</li>`)
    parts.push(`<div class="summary-error" role="alert"><strong>${failed.length} cell${failed.length === 1 ? '' : 's'} failed</strong><ul>${items.join('')}</ul></div>`)
  }
  if (doc.notebooks.length > 1) {
    const li = shown.map((n) => `<li><a href="#nb-${escapeHtml(n.notebook.name)}">${escapeHtml(n.notebook.title)}</a>${n.notebook.meta.description ? ` — ${escapeHtml(n.notebook.meta.description)}` : ''}</li>`)
    const sk = skipped.map((n) => `<li class="skipped">${escapeHtml(n.notebook.title)}: not shown, ${escapeHtml(n.skipReason ?? 'does not apply')}</li>`)
    parts.push(`<nav class="toc"><strong>Contents</strong><ul>${li.join('')}${sk.join('')}</ul></nav>`)
  }
  for (const n of shown) parts.push(notebookHtml(n))
  parts.push(`<p class="note">Generated by npa-trace ${escapeHtml(doc.toolVersion)}. Times are simulated.</p>`)
  parts.push('</main></body></html>\n')
  return parts.join('\n')
}
