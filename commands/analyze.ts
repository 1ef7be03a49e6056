import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/base-command.js'
import {UserError} from '../src/errors.js'

const SECTIONS = ['latency', 'switching', 'migration', 'cpu'] as const

export default class Analyze extends BaseCommand {
  static override description = `Report on a run: latency, switching correctness, migration and mode-switch disruption, CPU

Exits with code 1 when the switching oracle finds violations (frames that did not go where the L2 rules say), so it can gate CI.`
  static override examples = [
    '<%= config.bin %> analyze traces/runs/<id>',
    '<%= config.bin %> analyze traces/runs/<id> switching',
    '<%= config.bin %> analyze traces/runs/<id> all --json > report.json',
  ]
  static override args = {
    run: Args.string({description: 'run directory or run id', required: true}),
    section: Args.string({description: 'what to report', options: [...SECTIONS, 'all'], default: 'all'}),
  }
  static override flags = {
    json: Flags.boolean({description: 'print the report (tables and metrics) as JSON'}),
    cache: Flags.boolean({description: 'keep a DuckDB copy of the run in <run>/.cache.duckdb (fast next time)'}),
    threads: Flags.integer({description: 'DuckDB threads (default: one per core)'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Analyze)
    const {AnalysisSession} = await import('../src/analysis/session.js')
    const {analyze} = await import('../src/analysis/analyze.js')
    const {formatAnalyze} = await import('../src/analysis/report.js')
    const sections = args.section === 'all' ? [...SECTIONS] : [args.section as (typeof SECTIONS)[number]]
    const session = await AnalysisSession.open([args.run], {cache: flags.cache, threads: flags.threads})
    let result
    try {
      result = await analyze(session, sections)
    } finally {
      session.close()
    }
    if (flags.json) this.log(JSON.stringify(result, null, 2))
    else this.log(formatAnalyze(result, sections).replace(/\n$/, ''))
    if (result.violations > 0) {
      const kinds = Object.entries(result.violationKinds).map(([k, n]) => `${k} ${n}`).join(', ')
      throw new UserError(`${result.violations} switching violation${result.violations === 1 ? '' : 's'} (${kinds})`, {
        hint: `list them: npa-trace query ${args.run} "select * from switching_check where verdict not like 'ok%' and verdict <> 'in_transition'"`,
        exitCode: 1,
      })
    }
    return result
  }
}
