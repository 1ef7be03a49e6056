/**
 * `npa-trace query`: open the runs, run the SQL (statements before the last one are executed first),
 * print or write the result in the chosen format.
 */
import * as fs from 'node:fs'
import {UserError} from '../errors.js'
import {exportBinary, formatResult, type QueryFormat} from './format.js'
import {splitStatements} from './library.js'
import {AnalysisSession} from './session.js'

export interface QueryOptions {
  runs: string[]
  sql: string
  format: QueryFormat
  output?: string
  limit?: number
  cache?: boolean
  threads?: number
  runsRoot?: string
}

/** Run a query; text output goes to `log` (or the output file). Returns the number of result rows (text formats). */
export async function runQuery(opts: QueryOptions, log: (s: string) => void): Promise<number | null> {
  const statements = splitStatements(opts.sql)
  if (statements.length === 0) throw new UserError('the SQL is empty')
  const session = await AnalysisSession.open(opts.runs, {cache: opts.cache, threads: opts.threads, runsRoot: opts.runsRoot})
  try {
    for (const st of statements.slice(0, -1)) {
      await session.prepareFor(st)
      try {
        await session.exec(st)
      } catch (err) {
        throw new UserError(`SQL error: ${(err as Error).message.split('\n')[0]}`, {hint: 'npa-trace sql-reference lists the views and their columns'})
      }
    }
    const last = statements[statements.length - 1]
    if (opts.format === 'arrow' || opts.format === 'parquet') {
      const file = await exportBinary(session, last, opts.format, opts.output)
      if (file) log(`wrote ${file}`)
      return null
    }
    const res = await session.query(last)
    const text = formatResult(res, opts.format, opts.output ? Infinity : opts.limit)
    if (opts.output && opts.output !== '-') {
      try {
        fs.writeFileSync(opts.output, text)
      } catch (err) {
        throw new UserError(`cannot write ${opts.output}: ${(err as Error).message}`)
      }
      log(`wrote ${res.rows.length} rows to ${opts.output}`)
    } else log(text.replace(/\n$/, ''))
    return res.rows.length
  } finally {
    session.close()
  }
}
