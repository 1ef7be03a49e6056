import {Args, Flags} from '@oclif/core'
import * as path from 'node:path'
import {BaseCommand} from '../src/base-command.js'
import {UserError} from '../src/errors.js'

export default class Report extends BaseCommand {
  static override description = `Render the standard notebooks (latency, switching, cpu, migration, compare) for runs into one HTML file

The notebooks that apply are rendered one after the other in one self-contained file with a table of
contents: migration only when a run has a live migration, compare only with two runs or more (the
first run is the baseline). The others are listed with the reason. Exits 1 naming the cells that failed.`
  static override examples = [
    '<%= config.bin %> report traces/runs/<id>',
    '<%= config.bin %> report traces/runs/a traces/runs/b --out compare.html',
    '<%= config.bin %> report traces/runs/<id> --only latency,cpu',
  ]
  static override strict = false
  static override args = {
    runs: Args.string({description: 'run directories or run ids (several: side by side, with the compare notebook)', required: true}),
  }
  static override flags = {
    out: Flags.string({char: 'o', description: 'HTML file to write (default: <first run>/report.html)'}),
    only: Flags.string({description: 'comma-separated notebooks of the standard set to render (latency,switching,cpu,migration,compare)'}),
    notebook: Flags.string({description: 'also render this notebook file after the standard set (repeatable)', multiple: true}),
    limit: Flags.integer({description: 'rows shown per table (default: each cell\'s limit=, else 20)', min: 0}),
    cache: Flags.boolean({description: 'keep a DuckDB copy of the run in <run>/.cache.duckdb (single run)'}),
    threads: Flags.integer({description: 'DuckDB threads (default: one per core)'}),
  }

  async run(): Promise<unknown> {
    const {argv, flags} = await this.parse(Report)
    const runs = argv as string[]
    const {resolveRunDir} = await import('../src/trace/rundir.js')
    const out = flags.out ?? path.join(resolveRunDir(runs[0]), 'report.html')
    const only = flags.only?.split(',').map((s) => s.trim()).filter(Boolean)
    const {renderStandardReport} = await import('../src/report/report.js')
    const {failureMessage} = await import('../src/report/run.js')
    const res = await renderStandardReport({runs, out, only, extra: flags.notebook, limit: flags.limit, cache: flags.cache, threads: flags.threads})
    for (const nb of res.notebooks) {
      this.log(nb.cells > 0 ? `  ${nb.name}: ${nb.cells} cells, ${nb.charts} charts${nb.failed ? `, ${nb.failed} failed` : ''}` : `  ${nb.name}: skipped: ${nb.skipReason}`)
    }
    this.log(`wrote ${res.out} (${(res.bytes / 1024).toFixed(0)} KiB)`)
    if (res.failures.length > 0) {
      throw new UserError(failureMessage(res.failures), {hint: `the report shows each error at its cell: ${res.out}`})
    }
    return res
  }
}
