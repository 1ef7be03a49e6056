/**
 * `npa-trace notebook` and `npa-trace report`: open the runs once in an analysis session, run the
 * notebook(s), write one self-contained HTML file. Both write the HTML even when cells fail (the
 * error is shown at the cell) and return the failures so the command can exit non-zero naming them.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {UserError} from '../errors.js'
import {AnalysisSession, type SessionOptions} from '../analysis/session.js'
import {TOOL_VERSION} from '../replay/replay.js'
import {renderReport, type ReportRun} from './html.js'
import type {Notebook} from './notebook.js'
import {bundledNotebooks, failures, loadNotebook, runNotebook, STANDARD_NOTEBOOKS, type CellFailure, type NotebookRun} from './run.js'

export interface NotebookReportOptions extends SessionOptions {
  /** Run directories (or run ids). */
  runs: string[]
  /** Output HTML file. */
  out: string
  /** Default rows shown per table, for cells without limit= (undefined: the notebook's). */
  limit?: number
}

export interface ReportResult {
  out: string
  bytes: number
  notebooks: {name: string; file: string; applies: boolean; skipReason: string | null; cells: number; charts: number; failed: number}[]
  failures: CellFailure[]
}

/** The runs' header rows: run.json, and the plugins the VMs used (config; the scenario may leave them to the NIC's default). */
async function runInfo(session: AnalysisSession): Promise<ReportRun[]> {
  const used = new Map<string, string[]>()
  for (const r of await session.rows('select run_id::VARCHAR as run_id, list(distinct plugin::VARCHAR order by plugin::VARCHAR) as plugins from config where plugin is not null group by all')) {
    used.set(String(r.run_id), (r.plugins as string[]) ?? [])
  }
  return session.runs.map((r) => {
    const j = r.json as Record<string, any> // run.json as written by replay
    return {
      id: r.id,
      dir: r.dir,
      capture: typeof j.capture?.path === 'string' ? j.capture.path : undefined,
      scenario: typeof j.scenario?.source === 'string' ? j.scenario.source : undefined,
      frames: typeof j.counts?.frames === 'number' ? j.counts.frames : undefined,
      events: typeof j.counts?.events === 'number' ? j.counts.events : undefined,
      simNs: typeof j.sim_ns === 'number' ? j.sim_ns : undefined,
      plugins: used.get(r.id) ?? [],
    }
  })
}

function summarize(out: string, html: string, runs: NotebookRun[]): ReportResult {
  return {
    out,
    bytes: Buffer.byteLength(html),
    notebooks: runs.map((r) => ({
      name: r.notebook.name,
      file: r.notebook.file,
      applies: r.applies,
      skipReason: r.skipReason,
      cells: r.cells.length,
      charts: r.cells.filter((c) => c.chart !== null).length,
      failed: r.cells.filter((c) => c.error !== null).length,
    })),
    failures: failures(runs),
  }
}

function writeHtml(out: string, html: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(out)), {recursive: true})
    const tmp = `${out}.tmp-${process.pid}`
    fs.writeFileSync(tmp, html)
    fs.renameSync(tmp, out)
  } catch (err) {
    throw new UserError(`cannot write ${out}: ${(err as Error).message}`, {hint: 'pick another --out'})
  }
}

function applyLimit(nbs: Notebook[], limit: number | undefined): void {
  if (limit === undefined) return
  for (const nb of nbs) for (const c of nb.cells) c.limit = limit
}

/** Run notebooks against the runs in one session and write the report. */
async function render(notebooks: Notebook[], opts: NotebookReportOptions, title: string, skipIfNotApplicable: boolean): Promise<ReportResult> {
  applyLimit(notebooks, opts.limit)
  const session = await AnalysisSession.open(opts.runs, opts)
  let html: string
  let runs: NotebookRun[]
  try {
    runs = []
    for (const nb of notebooks) runs.push(await runNotebook(session, nb, {runCount: session.runs.length, skipIfNotApplicable}))
    html = renderReport({title, runs: await runInfo(session), notebooks: runs, toolVersion: TOOL_VERSION})
  } finally {
    session.close()
  }
  writeHtml(opts.out, html)
  return summarize(opts.out, html, runs)
}

/** `npa-trace notebook <file> --run ...`: one notebook, all its cells, whether or not it applies. */
export async function renderNotebookFile(file: string, opts: NotebookReportOptions): Promise<ReportResult> {
  const nb = loadNotebook(file)
  return render([nb], opts, `${nb.title} — ${opts.runs.map((r) => path.basename(r)).join(', ')}`, false)
}

export interface StandardReportOptions extends NotebookReportOptions {
  /** Notebook names of the standard set to render (default all). */
  only?: string[]
  /** Extra notebook files appended after the standard set. */
  extra?: string[]
}

/**
 * `npa-trace report <run...>`: the bundled notebooks that apply (compare needs two runs or more,
 * migration a run with a migration) in one HTML file; the ones that do not apply are listed with
 * the reason.
 */
export async function renderStandardReport(opts: StandardReportOptions): Promise<ReportResult> {
  const names = opts.only ?? [...STANDARD_NOTEBOOKS]
  for (const n of names) {
    if (!(STANDARD_NOTEBOOKS as readonly string[]).includes(n)) {
      throw new UserError(`unknown notebook "${n}" for --only`, {hint: `the standard set is ${STANDARD_NOTEBOOKS.join(', ')}`})
    }
  }
  // always in the standard order, whatever the order of --only
  const files = [...bundledNotebooks(STANDARD_NOTEBOOKS.filter((n) => names.includes(n))), ...(opts.extra ?? [])]
  if (files.length === 0) throw new UserError('no notebooks to render', {hint: 'the bundled notebooks/ directory is missing from this install'})
  const notebooks = files.map(loadNotebook)
  const title = `npa-trace report — ${opts.runs.map((r) => path.basename(r)).join(', ')}`
  return render(notebooks, opts, title, true)
}
