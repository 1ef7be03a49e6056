import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/base-command.js'
import {UserError} from '../src/errors.js'

export default class Export extends BaseCommand {
  static override description = `Export a run's descriptor timeline for a trace viewer

--perfetto writes the Chrome trace event format (JSON), which the Perfetto UI (ui.perfetto.dev, "Open
trace file") and chrome://tracing open: one process per host, one track per VM × stage × queue
(TX path per frame, RX path per replica, interrupts, migration phases, mode switches), drops as
instant events and ring occupancy as counters. The file is written as the run is read, so big runs
stream; --from/--to and --limit cut it down.`
  static override examples = [
    '<%= config.bin %> export traces/runs/<id> --perfetto out.json',
    '<%= config.bin %> export traces/runs/<id> --perfetto out.json --from 10ms --to 12ms',
    '<%= config.bin %> export traces/runs/<id> --perfetto out.json --limit 100000 --all-events',
  ]
  static override args = {
    run: Args.string({description: 'run directory or run id', required: true}),
  }
  static override flags = {
    perfetto: Flags.string({description: 'write a Chrome/Perfetto JSON trace to this file', required: true}),
    from: Flags.string({description: 'only events at or after this simulated time (ns, or with a unit: 10ms, 250us)'}),
    to: Flags.string({description: 'only events before this simulated time (ns, or with a unit)'}),
    limit: Flags.integer({description: 'stop after this many trace events', min: 1}),
    'all-events': Flags.boolean({description: 'also write every other event as an instant on its component\'s track'}),
    'no-counters': Flags.boolean({description: 'leave out the ring occupancy counters'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Export)
    const {parseTimeNs} = await import('../src/scenario/schema.js')
    const time = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined
      try {
        return parseTimeNs(/^\d+$/.test(v.trim()) ? Number(v) : v)
      } catch (err) {
        throw new UserError(`--${name}: ${(err as Error).message}`)
      }
    }
    const {exportPerfetto} = await import('../src/report/perfetto.js')
    const res = await exportPerfetto({run: args.run, out: flags.perfetto, fromNs: time('from', flags.from), toNs: time('to', flags.to),
      limit: flags.limit, allEvents: flags['all-events'], counters: !flags['no-counters']})
    this.log(`wrote ${res.out}: ${res.complete} complete, ${res.instant} instant, ${res.counter} counter events on ${res.tracks} tracks `
      + `(${(res.bytes / 1048576).toFixed(1)} MiB, ${res.eventsRead} run events read)${res.truncated ? `; stopped at --limit ${flags.limit}` : ''}`)
    return res
  }
}
