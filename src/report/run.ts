/**
 * Running notebooks: each cell's SQL in the analysis session (DuckDB, the SQL library's views over
 * the loaded runs), then its chart. A failing cell does not stop the notebook: its error is kept for
 * the report, later cells still run (they may fail too if they used what it should have made), and
 * the caller decides the exit status from `failures()`.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'
import {UserError} from '../errors.js'
import type {AnalysisSession, Row} from '../analysis/session.js'
import {splitStatements} from '../analysis/library.js'
import {renderChart, type RenderedChart} from './chart.js'
import {parseNotebook, type Cell, type Notebook} from './notebook.js'

export interface CellOutcome {
  cell: Cell
  columns: string[]
  types: string[]
  rows: Row[]
  /** SQL or chart error, the database's whole message; null when the cell ran. */
  error: string | null
  errorKind: 'sql' | 'chart' | null
  chart: RenderedChart | null
}

export interface NotebookRun {
  notebook: Notebook
  /** False when the notebook's `applies` check or min_runs says it has nothing to show for these runs. */
  applies: boolean
  /** Why it does not apply. */
  skipReason: string | null
  /** Outcomes in cell order; empty when the notebook was skipped. */
  cells: CellOutcome[]
}

export interface RunNotebookOptions {
  /** Number of runs in the session (min_runs check). */
  runCount: number
  /** Skip the cells when the notebook does not apply (report); otherwise run them anyway (notebook command). */
  skipIfNotApplicable?: boolean
}

/** A failed cell, for messages: file:line and the first line of the error. */
export interface CellFailure {
  notebook: string
  cell: string
  where: string
  message: string
}

/** The full text of a session error: the database's message rather than the session's one-line summary. */
function errorText(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err
  return cause instanceof Error ? cause.message : String(cause)
}

/** Read and parse a notebook file. */
export function loadNotebook(file: string): Notebook {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new UserError(`cannot read notebook ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, {
      hint: `the bundled notebooks are in ${bundledNotebooksDir()}`,
    })
  }
  return parseNotebook(text, file)
}

/** Whether a notebook applies to the session's runs, and why not. */
export async function checkApplies(session: AnalysisSession, nb: Notebook, runCount: number): Promise<{applies: boolean; reason: string | null}> {
  if (runCount < nb.meta.min_runs) return {applies: false, reason: `needs at least ${nb.meta.min_runs} runs (got ${runCount})`}
  if (!nb.meta.applies) return {applies: true, reason: null}
  let rows: Row[]
  try {
    rows = await session.rows(nb.meta.applies)
  } catch (err) {
    throw new UserError(`${nb.file}: front matter "applies" query failed: ${errorText(err).split('\n')[0]}`, {hint: 'it must be one SELECT returning one boolean'})
  }
  const v = rows.length > 0 ? Object.values(rows[0])[0] : false
  if (v === true) return {applies: true, reason: null}
  return {applies: false, reason: nb.meta.skip_reason ?? `its check (${nb.meta.applies}) is false for these runs`}
}

/** Run one cell: its statements in order, the last one's result kept, then its chart. */
export async function runCell(session: AnalysisSession, nb: Notebook, cell: Cell): Promise<CellOutcome> {
  const out: CellOutcome = {cell, columns: [], types: [], rows: [], error: null, errorKind: null, chart: null}
  try {
    const statements = splitStatements(cell.sql)
    for (const stmt of statements) {
      const r = await session.query(stmt)
      out.columns = r.columns
      out.types = r.types
      out.rows = r.rows
    }
  } catch (err) {
    out.error = errorText(err)
    out.errorKind = 'sql'
    return out
  }
  if (cell.chart && out.rows.length > 0) {
    try {
      out.chart = await renderChart(cell.chart, {columns: out.columns, types: out.types, rows: out.rows}, `${nb.name}-${cell.id}`)
    } catch (err) {
      out.error = `chart (line ${cell.chartLine}): ${(err as Error).message}`
      out.errorKind = 'chart'
    }
  }
  return out
}

/** Run a notebook's cells against the session. */
export async function runNotebook(session: AnalysisSession, nb: Notebook, opts: RunNotebookOptions): Promise<NotebookRun> {
  const {applies, reason} = await checkApplies(session, nb, opts.runCount)
  if (!applies && opts.skipIfNotApplicable) return {notebook: nb, applies, skipReason: reason, cells: []}
  const cells: CellOutcome[] = []
  for (const cell of nb.cells) cells.push(await runCell(session, nb, cell))
  return {notebook: nb, applies, skipReason: reason, cells}
}

/** The failed cells of some notebook runs. */
export function failures(runs: NotebookRun[]): CellFailure[] {
  const out: CellFailure[] = []
  for (const r of runs) {
    for (const c of r.cells) {
      if (c.error === null) continue
      out.push({notebook: r.notebook.file, cell: c.cell.id, where: `${r.notebook.file}:${c.errorKind === 'chart' ? c.cell.chartLine : c.cell.line}`,
        message: c.error.split('\n')[0]})
    }
  }
  return out
}

/** One line naming the failed cells (the command's error message). */
export function failureMessage(f: CellFailure[]): string {
  const first = f[0]
  const more = f.length > 1 ? `; and ${f.length - 1} more: ${f.slice(1).map((x) => `${x.where} (${x.cell})`).join(', ')}` : ''
  return `${f.length} notebook cell${f.length === 1 ? '' : 's'} failed: ${first.where} (cell ${first.cell}): ${first.message}${more}`
}

/**
 * The directory of the bundled notebooks: notebooks/ at the package root, reached from src/report/
 * (tsx) or dist/src/report/ (compiled).
 */
export function bundledNotebooksDir(): string {
  const candidates = [new URL('../../notebooks/', import.meta.url), new URL('../../../notebooks/', import.meta.url)]
  for (const c of candidates) {
    const p = fileURLToPath(c)
    if (fs.existsSync(path.join(p, 'README.md'))) return p
  }
  return fileURLToPath(candidates[0])
}

/** The standard set, in report order. */
export const STANDARD_NOTEBOOKS = ['latency', 'switching', 'cpu', 'migration', 'compare'] as const

/** Paths of the bundled notebooks of the standard set (those that exist). */
export function bundledNotebooks(names: readonly string[] = STANDARD_NOTEBOOKS): string[] {
  const dir = bundledNotebooksDir()
  return names.map((n) => path.join(dir, `${n}.md`)).filter((p) => fs.existsSync(p))
}
