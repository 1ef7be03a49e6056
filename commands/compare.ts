import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/base-command.js'
import {UserError} from '../src/errors.js'
import {METRICS} from '../src/analysis/metrics.js' // a plain list (no DuckDB): cheap to import for --help

const METRIC_HELP = METRICS.map((m) => `  ${m.id.padEnd(27)} ${m.unit.padEnd(8)} ${m.polarity.padEnd(15)} ${m.dimensions.join(',')}`.trimEnd()).join('\n')

export default class Compare extends BaseCommand {
  static override description = `Compare runs metric by metric: a baseline against one or more candidates

Every metric of the analysis library (latency percentiles, drops by reason, switching violations, migration and mode-switch disruption, CPU per frame) is evaluated on each run and matched on its dimensions; a row whose plugin version changed matches the same plugin's row. Each row gets baseline, candidate, change, relative change and a label: improvement or regression (by the metric's polarity), changed (no polarity), added or removed (only one side has the row), or unchanged when the change is within the noise: max(--noise of the baseline, a floor per unit: 100 ns, 1 ns/frame, 0.01 for ratios, 0 for counts).

Each argument is a run directory, a run id or a repeat group (replay --repeat n). A group's median is compared, min..max and the raw samples are kept, and a change must also lie outside the min..max ranges of both sides to count.

Comparability warnings (different capture, scenario apart from plugins and seed, schema version) and a note for a different seed go to stderr, one line each.

--fail-on and --thresholds make it a regression gate. A threshold is <metric>[<dim>=<value>,...]<op><limit> with op > >= < <= and limit +5% (relative change), +200 or -2us (change) or 0 (the candidate's own value). Exit code 0: no threshold crossed; 1: a threshold crossed (one "regression: ..." line each on stderr); 2: bad thresholds or arguments.

Metrics (id, unit, polarity, dimensions):
${METRIC_HELP}`

  static override examples = [
    '<%= config.bin %> compare traces/runs/v100 traces/runs/v110',
    '<%= config.bin %> compare traces/runs/g100 traces/runs/g110 --all          # repeat groups: median (min..max)',
    "<%= config.bin %> compare v100 v110 --fail-on 'latency_p99_ns>+5%,switching_violations>0'",
    "<%= config.bin %> compare v100 v110 --fail-on 'lost_replicas[reason=erratum]>0' --json > compare.json",
    '<%= config.bin %> compare v100 v110 --thresholds ci/thresholds.yaml',
  ]

  static override strict = false // baseline, candidate, more candidates

  static override args = {
    baseline: Args.string({description: 'baseline: run directory, run id or repeat group', required: true}),
    candidate: Args.string({description: 'candidate (more candidates may follow)', required: true}),
  }

  static override flags = {
    all: Flags.boolean({description: 'show unchanged rows too'}),
    json: Flags.boolean({description: 'print the comparison as JSON (every row, with the raw samples of repeat groups)'}),
    'fail-on': Flags.string({description: "exit 1 when a threshold is crossed, e.g. 'latency_p99_ns>+5%,switching_violations>0'; repeatable", multiple: true}),
    thresholds: Flags.string({description: 'YAML file with a list of thresholds (at the top or under fail_on:)'}),
    noise: Flags.string({description: 'relative noise threshold: changes within it (and within the unit floor) are unchanged', default: '1%'}),
    threads: Flags.integer({description: 'DuckDB threads (default: one per core)'}),
  }

  async run(): Promise<unknown> {
    const {argv, flags} = await this.parse(Compare)
    const {DEFAULT_NOISE} = await import('../src/compare/engine.js')
    const {compare} = await import('../src/compare/compare.js')
    const {checkThresholds, loadThresholdsFile, parseThresholds} = await import('../src/compare/thresholds.js')
    const {formatCompare} = await import('../src/compare/format.js')

    // Thresholds first: a typo fails before minutes of loading.
    const thresholds = [
      ...(flags['fail-on'] ?? []).flatMap((s) => parseThresholds(s, '--fail-on')),
      ...(flags.thresholds ? loadThresholdsFile(flags.thresholds) : []),
    ]
    const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(flags.noise)
    if (!m) throw new UserError(`--noise ${flags.noise}: expected a percentage like 1% or 0.5%`, {exitCode: 2})
    const relative = Number(m[1]) / 100
    const noise = {...DEFAULT_NOISE, relative}

    const tty = process.stderr.isTTY === true && !flags.json
    const result = await compare(argv as string[], {
      noise,
      threads: flags.threads,
      onLoad: tty ? (arg, i, n) => process.stderr.write(`\rcompare: loading ${arg} (${i + 1}/${n})…\x1b[K`) : undefined,
    })
    if (tty) process.stderr.write('\r\x1b[K')

    for (const f of result.findings) this.logToStderr(`npa-trace: ${f.level}: ${f.message}`)
    const check = checkThresholds(thresholds, result.comparisons)
    for (const t of check.unmatched) this.logToStderr(`npa-trace: warning: ${t.origin}: threshold "${t.text}" matched no row of ${t.metric}`)

    const out = {...result, thresholds, crossed: check.crossed.map(({threshold, ...c}) => ({threshold: threshold.text, ...c}))}
    if (flags.json) this.log(JSON.stringify(out, null, 2))
    else this.log(formatCompare(result, {all: flags.all}).replace(/\n$/, ''))

    if (check.crossed.length > 0) {
      for (const c of check.crossed) this.logToStderr(c.line)
      this.exit(1)
    }
    return out
  }
}
