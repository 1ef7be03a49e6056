import {Args, Flags} from '@oclif/core'
import * as path from 'node:path'
import {BaseCommand} from '../src/base-command.js'
import {UserError} from '../src/errors.js'

export default class Notebook extends BaseCommand {
  static override description = `Run a notebook (Markdown with SQL cells and charts) against one or more runs and write one HTML file

Each \`\`\`sql cell runs in DuckDB over the SQL library's views (npa-trace sql-reference lists them); a
\`\`\`chart block after a cell draws its result. The HTML is self-contained: tables, SVG charts, no
script and nothing fetched. A cell that fails shows its SQL error in the report at that cell, and the
command exits 1 naming the cell (file:line). notebooks/README.md describes the format.`
  static override examples = [
    '<%= config.bin %> notebook notebooks/latency.md --run traces/runs/<id>',
    '<%= config.bin %> notebook notebooks/compare.md --run traces/runs/a --run traces/runs/b --out compare.html',
  ]
  static override args = {
    file: Args.string({description: 'notebook file (.md)', required: true}),
  }
  static override flags = {
    run: Flags.string({char: 'r', description: 'run directory or run id (repeat for several runs side by side)', required: true, multiple: true}),
    out: Flags.string({char: 'o', description: 'HTML file to write (default: <notebook name>.html in the current directory)'}),
    limit: Flags.integer({description: 'rows shown per table (default: each cell\'s limit=, else 20)', min: 0}),
    cache: Flags.boolean({description: 'keep a DuckDB copy of the run in <run>/.cache.duckdb (single run)'}),
    threads: Flags.integer({description: 'DuckDB threads (default: one per core)'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Notebook)
    const out = flags.out ?? `${path.basename(args.file).replace(/\.md$/i, '')}.html`
    const {renderNotebookFile} = await import('../src/report/report.js')
    const {failureMessage} = await import('../src/report/run.js')
    const res = await renderNotebookFile(args.file, {runs: flags.run, out, limit: flags.limit, cache: flags.cache, threads: flags.threads})
    const nb = res.notebooks[0]
    if (!nb.applies) this.warn(`${args.file} does not apply to these runs: ${nb.skipReason}`)
    this.log(`wrote ${res.out} (${nb.cells} cells, ${nb.charts} charts, ${(res.bytes / 1024).toFixed(0)} KiB)`)
    if (res.failures.length > 0) {
      throw new UserError(failureMessage(res.failures), {hint: `the report shows each error at its cell: ${res.out}`})
    }
    return res
  }
}
