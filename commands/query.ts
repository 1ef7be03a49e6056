import {Args, Flags} from '@oclif/core'
import * as fs from 'node:fs'
import {BaseCommand} from '../src/base-command.js'
import {UserError} from '../src/errors.js'

export default class Query extends BaseCommand {
  static override description = `Run SQL over one or more runs, with the SQL library's views (npa-trace sql-reference lists them)

Several runs load side by side; every table and view has a run_id column.
The last argument is the SQL unless -f gives a file.`
  static override examples = [
    `<%= config.bin %> query traces/runs/<id> "select event, count(*) from events group by 1 order by 2 desc"`,
    `<%= config.bin %> query traces/runs/a traces/runs/b "select run_id, direction, mode, p99_ns from latency where grain = 'mode'"`,
    '<%= config.bin %> query traces/runs/<id> -f my.sql --format csv -o out.csv',
    `<%= config.bin %> query traces/runs/<id> "select * from packet_path" --format parquet -o paths.parquet`,
  ]
  static override strict = false
  static override args = {
    runs: Args.string({description: 'run directories or run ids (traces/runs/<id>), then the SQL (unless -f)', required: true}),
  }
  static override flags = {
    file: Flags.string({char: 'f', description: 'read the SQL from this file (several statements: the last one is shown)'}),
    format: Flags.string({description: 'output format', options: ['table', 'csv', 'json', 'arrow', 'parquet'], default: 'table'}),
    output: Flags.string({char: 'o', description: 'write to this file instead of stdout'}),
    limit: Flags.integer({description: 'table format: rows shown at most', default: 100}),
    cache: Flags.boolean({description: 'keep a DuckDB copy of the run in <run>/.cache.duckdb (fast on the next query; single run)'}),
    threads: Flags.integer({description: 'DuckDB threads (default: one per core)'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Query)
    const args = argv as string[]
    let sql: string
    let runs: string[]
    if (flags.file) {
      try {
        sql = fs.readFileSync(flags.file, 'utf8')
      } catch (err) {
        throw new UserError(`cannot read ${flags.file}: ${(err as Error).message}`)
      }
      runs = args
    } else {
      if (args.length < 2) {
        throw new UserError('give one or more runs and then the SQL, or the SQL in a file with -f', {
          hint: `e.g. npa-trace query traces/runs/<id> "select * from latency"`,
        })
      }
      sql = args[args.length - 1]
      runs = args.slice(0, -1)
    }
    if (runs.length === 0) throw new UserError('no run given', {hint: 'pass a run directory or run id before the SQL'})
    const {runQuery} = await import('../src/analysis/query.js')
    await runQuery({runs, sql, format: flags.format as 'table', output: flags.output, limit: flags.limit, cache: flags.cache, threads: flags.threads},
      (s) => this.log(s))
  }
}
