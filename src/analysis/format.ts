/**
 * Output of query results: a readable text table, CSV, JSON, and Arrow IPC / Parquet through DuckDB.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {quotedString} from '@duckdb/node-api'
import {UserError} from '../errors.js'
import type {AnalysisSession, QueryResult} from './session.js'

export const QUERY_FORMATS = ['table', 'csv', 'json', 'arrow', 'parquet'] as const
export type QueryFormat = (typeof QUERY_FORMATS)[number]

/** A cell as text: NULL, numbers with up to 3 decimals, lists and structs as JSON. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL'
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000)
  if (typeof v === 'string') return v
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (v instanceof Date) return v.toISOString()
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
}

export interface TableOptions {
  /** Rows shown at most; a note says how many were left out. */
  maxRows?: number
  /** Characters per cell at most (longer cells end with …). */
  maxCell?: number
  /** Per-column text for a value (e.g. ns → µs); default cellText. */
  format?: (column: string, v: unknown) => string
  /** Right-align these columns (default: numeric values). */
  numeric?: (column: string) => boolean
}

/** A text table with aligned columns. */
export function formatTable(columns: string[], rows: Record<string, unknown>[], opts: TableOptions = {}): string {
  const maxRows = opts.maxRows ?? Infinity
  const maxCell = opts.maxCell ?? 60
  const shown = rows.slice(0, maxRows)
  const fmt = opts.format ?? ((_c: string, v: unknown) => cellText(v))
  const cells = shown.map((r) =>
    columns.map((c) => {
      const t = fmt(c, r[c]).replace(/\s*\n\s*/g, ' ')
      return t.length > maxCell ? t.slice(0, maxCell - 1) + '…' : t
    }),
  )
  const numeric = columns.map((c, j) =>
    opts.numeric ? opts.numeric(c) : shown.length > 0 && shown.every((r) => r[c] === null || typeof r[c] === 'number') && shown.some((r) => typeof r[c] === 'number') && j >= 0,
  )
  const width = columns.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)))
  const line = (vals: string[]) =>
    vals.map((v, j) => (numeric[j] ? v.padStart(width[j]) : v.padEnd(width[j]))).join('  ').replace(/\s+$/, '')
  const out = [line(columns), width.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)]
  if (rows.length > shown.length) out.push(`(${rows.length - shown.length} more rows not shown; ${rows.length} in all — use --limit, --format csv or -o)`)
  if (rows.length === 0) out.push('(no rows)')
  return out.join('\n')
}

/** RFC 4180 CSV. */
export function formatCsv(columns: string[], rows: Record<string, unknown>[]): string {
  const esc = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  const lines = [columns.map(esc).join(',')]
  for (const r of rows) lines.push(columns.map((c) => (r[c] === null || r[c] === undefined ? '' : esc(cellText(r[c])))).join(','))
  return lines.join('\n') + '\n'
}

/** JSON: an array of row objects. */
export function formatJson(rows: Record<string, unknown>[]): string {
  return JSON.stringify(rows, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2) + '\n'
}

/**
 * Write a query's result as Arrow IPC (file format) or Parquet with DuckDB's own writers (multi-threaded,
 * no JS rows). `out` undefined or '-' = stdout (through a temporary file).
 */
export async function exportBinary(session: AnalysisSession, sql: string, format: 'arrow' | 'parquet', out?: string): Promise<string | null> {
  await session.prepareFor(sql)
  const toStdout = out === undefined || out === '-'
  const file = toStdout ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'npa-trace-')), `out.${format}`) : out
  const body = sql.trim().replace(/;\s*$/, '')
  try {
    if (format === 'parquet') {
      await session.exec(`COPY (${body}) TO ${quotedString(file)} (FORMAT parquet)`)
    } else {
      await writeArrow(session, body, file)
    }
  } catch (err) {
    if (err instanceof UserError) throw err
    throw new UserError(`cannot write ${toStdout ? 'the result' : file}: ${(err as Error).message.split('\n')[0]}`)
  }
  if (!toStdout) return file
  const bytes = fs.readFileSync(file)
  fs.rmSync(path.dirname(file), {recursive: true, force: true})
  await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (e) => (e ? reject(e) : resolve())))
  return null
}

async function writeArrow(session: AnalysisSession, sql: string, file: string): Promise<void> {
  const {writeArrowFile} = await import('./arrow-export.js')
  try {
    await session.track(writeArrowFile(session.connection, sql, file))
  } catch (err) {
    throw new UserError(`SQL error: ${(err as Error).message.split('\n')[0]}`, {hint: 'npa-trace sql-reference lists the views and their columns'})
  }
}

/** Render a QueryResult as text in one of the text formats. */
export function formatResult(res: QueryResult, format: 'table' | 'csv' | 'json', limit?: number): string {
  if (format === 'csv') return formatCsv(res.columns, res.rows)
  if (format === 'json') return formatJson(res.rows)
  return formatTable(res.columns, res.rows, {maxRows: limit ?? 100}) + '\n'
}
