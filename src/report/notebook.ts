/**
 * Notebook files: Markdown with fenced ```sql cells, each optionally followed by a ```chart block
 * (YAML or JSON) that draws the cell's result. An optional front matter (--- YAML ---) says what the
 * notebook is and when it applies:
 *
 *   ---
 *   title: Migration
 *   description: one line for the report's table of contents
 *   min_runs: 1                                  # compare sets 2
 *   applies: select count(*) > 0 from migrations # one boolean; false → the report skips the notebook
 *   skip_reason: the run has no live migration   # said when it does not apply
 *   ---
 *
 * A cell's fence line carries options: ```sql id=summary limit=50 hide-table
 *   id=<name>    anchor and name in messages (default cell-<n>); unique within the notebook
 *   limit=<n>    rows shown in the table (default 20; a note says how many were left out)
 *   hide-table   show only the chart (the row count is still said)
 * A cell may hold several statements (e.g. CREATE TEMP VIEW ... ; SELECT ...): the last one's result
 * is shown. Later cells see the views earlier cells made.
 */
import {parse as parseYaml, YAMLParseError} from 'yaml'
import {UserError} from '../errors.js'
import {parseChartSpec, type ChartSpec} from './chart.js'

export interface NotebookMeta {
  title?: string
  description?: string
  min_runs: number
  applies?: string
  skip_reason?: string
}

export interface Cell {
  /** Position among the notebook's cells, 1-based. */
  index: number
  id: string
  /** Line of the ```sql fence (1-based). */
  line: number
  sql: string
  limit: number
  hideTable: boolean
  chart: ChartSpec | null
  /** Line of the ```chart fence. */
  chartLine: number | null
}

export type Block = {kind: 'prose'; markdown: string; line: number} | {kind: 'cell'; cell: Cell}

export interface Notebook {
  file: string
  /** The file name without directory and .md (used as an id prefix). */
  name: string
  title: string
  meta: NotebookMeta
  blocks: Block[]
  cells: Cell[]
}

export const DEFAULT_TABLE_ROWS = 20

function fail(file: string, line: number, problem: string, hint?: string): never {
  throw new UserError(`${file}:${line}: ${problem}`, {hint: hint ?? 'see notebooks/README.md for the notebook format'})
}

function parseFrontMatter(lines: string[], file: string): {meta: NotebookMeta; next: number} {
  const meta: NotebookMeta = {min_runs: 1}
  if (lines[0]?.trim() !== '---') return {meta, next: 0}
  let end = 1
  while (end < lines.length && lines[end].trim() !== '---') end++
  if (end >= lines.length) fail(file, 1, 'front matter opened with --- is never closed')
  let data: unknown
  try {
    data = parseYaml(lines.slice(1, end).join('\n'))
  } catch (err) {
    const line = err instanceof YAMLParseError && err.linePos ? err.linePos[0].line + 1 : 2
    fail(file, line, `front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  if (data !== null && data !== undefined) {
    if (typeof data !== 'object' || Array.isArray(data)) fail(file, 2, 'front matter must be a YAML mapping (key: value)')
    const known = new Set(['title', 'description', 'min_runs', 'applies', 'skip_reason'])
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      const line = 2 + lines.slice(1, end).findIndex((l) => l.startsWith(`${k}:`))
      if (!known.has(k)) fail(file, line, `unknown front matter key "${k}" (known: ${[...known].join(', ')})`)
      if (k === 'min_runs') {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(file, line, `min_runs must be a whole number >= 1, got ${JSON.stringify(v)}`)
        meta.min_runs = v
      } else {
        if (typeof v !== 'string') fail(file, line, `${k} must be a string, got ${JSON.stringify(v)}`)
        meta[k as 'title' | 'description' | 'applies' | 'skip_reason'] = v
      }
    }
  }
  return {meta, next: end + 1}
}

function parseCellOptions(info: string, file: string, line: number, index: number): {id: string; limit: number; hideTable: boolean} {
  let id = `cell-${index}`
  let limit = DEFAULT_TABLE_ROWS
  let hideTable = false
  for (const tok of info.split(/\s+/).filter(Boolean)) {
    const m = /^([a-z-]+)(?:=(.*))?$/.exec(tok)
    if (!m) fail(file, line, `bad cell option "${tok}"`, 'options are id=<name>, limit=<rows>, hide-table')
    const [, k, v] = m
    if (k === 'id' && v !== undefined && /^[A-Za-z][\w-]*$/.test(v)) id = v
    else if (k === 'limit' && v !== undefined && /^\d+$/.test(v) && Number(v) >= 0) limit = Number(v)
    else if (k === 'hide-table' && v === undefined) hideTable = true
    else fail(file, line, `bad cell option "${tok}"`, 'options are id=<name> (letters, digits, - and _), limit=<rows>, hide-table')
  }
  return {id, limit, hideTable}
}

/** Parse a notebook. Throws a UserError naming file:line for anything malformed. */
export function parseNotebook(text: string, file: string): Notebook {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const {meta, next} = parseFrontMatter(lines, file)
  const blocks: Block[] = []
  const cells: Cell[] = []
  const ids = new Map<string, number>()
  let prose: string[] = []
  let proseLine = next + 1
  let lastCell: Cell | null = null // a chart block attaches to the cell right before it
  const flushProse = (): void => {
    if (prose.some((l) => l.trim() !== '')) blocks.push({kind: 'prose', markdown: prose.join('\n'), line: proseLine})
    prose = []
  }

  for (let i = next; i < lines.length; i++) {
    const fence = /^(`{3,}|~{3,})\s*(sql|chart)\b(.*)$/.exec(lines[i])
    if (!fence) {
      // other fences (```yaml examples) stay prose, fence and all
      const other = /^(`{3,}|~{3,})/.exec(lines[i])
      if (other) {
        lastCell = null
        if (prose.length === 0) proseLine = i + 1
        prose.push(lines[i])
        let j = i + 1
        while (j < lines.length && !lines[j].startsWith(other[1])) prose.push(lines[j++])
        if (j >= lines.length) fail(file, i + 1, 'code block opened here is never closed')
        prose.push(lines[j])
        i = j
        continue
      }
      if (lines[i].trim() !== '') lastCell = null
      if (prose.length === 0) proseLine = i + 1
      prose.push(lines[i])
      continue
    }
    const [, marks, kind, info] = fence
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !(lines[j].startsWith(marks) && lines[j].slice(marks.length).trim() === '')) body.push(lines[j++])
    if (j >= lines.length) fail(file, i + 1, `${kind} block opened here is never closed (no closing ${marks})`)
    const line = i + 1
    if (kind === 'sql') {
      flushProse()
      const index = cells.length + 1
      const opts = parseCellOptions(info, file, line, index)
      const sql = body.join('\n')
      if (sql.trim() === '') fail(file, line, 'empty sql cell')
      if (ids.has(opts.id)) fail(file, line, `cell id "${opts.id}" is already used at line ${ids.get(opts.id)}`)
      ids.set(opts.id, line)
      const cell: Cell = {index, id: opts.id, line, sql, limit: opts.limit, hideTable: opts.hideTable, chart: null, chartLine: null}
      cells.push(cell)
      blocks.push({kind: 'cell', cell})
      lastCell = cell
    } else {
      if (info.trim() !== '') fail(file, line, `a chart block takes no options on its fence line (got "${info.trim()}")`)
      if (!lastCell) fail(file, line, 'a chart block must follow a sql cell (only blank lines between)')
      if (lastCell.chart) fail(file, line, `cell "${lastCell.id}" already has a chart (line ${lastCell.chartLine})`)
      let spec: unknown
      try {
        spec = parseYaml(body.join('\n'))
      } catch (err) {
        const l = err instanceof YAMLParseError && err.linePos ? line + err.linePos[0].line : line
        fail(file, l, `chart is not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`)
      }
      try {
        lastCell.chart = parseChartSpec(spec)
      } catch (err) {
        fail(file, line, `chart: ${(err as Error).message}`, 'see notebooks/README.md for chart options')
      }
      lastCell.chartLine = line
      prose = []
    }
    i = j
  }
  flushProse()

  const name = file.replace(/\\/g, '/').split('/').pop()!.replace(/\.md$/i, '')
  let title = meta.title
  if (!title) {
    const h = blocks.find((b) => b.kind === 'prose' && /^#\s+/m.test(b.markdown))
    title = h && h.kind === 'prose' ? /^#\s+(.*)$/m.exec(h.markdown)![1].trim() : name
  }
  return {file, name, title, meta, blocks, cells}
}
