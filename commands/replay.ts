import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/base-command.js'
import {UserError} from '../src/errors.js'
import type {Pacing} from '../src/scenario/types.js'

export default class Replay extends BaseCommand {
  static override description = 'Replay a capture through the NPA model and write a per-descriptor trace run'
  static override examples = [
    '<%= config.bin %> replay traces/samples/sample.pcapng',
    '<%= config.bin %> replay capture.pcap --scenario traces/samples/mode-switch.yaml',
    '<%= config.bin %> replay capture.pcap --plugin all=ixgbevf@1.0.0 --out traces/runs/v100',
    '<%= config.bin %> replay traces/samples/sample.pcapng -s traces/samples/migrate-npa.yaml --strategy bonding',
  ]
  static override args = {capture: Args.string({description: 'pcap or pcapng file (Ethernet)', required: true})}
  static override flags = {
    scenario: Flags.string({char: 's', description: 'scenario YAML (default: derived from the capture; see `scenario init`)'}),
    plugin: Flags.string({description: 'plugin for a VM: vm=name@version (vm "all" for every VM); repeatable', multiple: true}),
    'plugin-path': Flags.string({description: 'load a user plugin module (.js/.mjs); repeatable', multiple: true}),
    out: Flags.string({char: 'o', description: 'run directory to create (default traces/runs/<run-id>)'}),
    seed: Flags.integer({description: 'random seed (overrides the scenario)'}),
    speed: Flags.string({description: 'pace at N times the capture speed', exclusive: ['pps', 'topspeed']}),
    pps: Flags.integer({description: 'pace at a fixed rate of N frames per second', exclusive: ['speed', 'topspeed']}),
    topspeed: Flags.boolean({description: 'pace back to back at line rate', exclusive: ['speed', 'pps']}),
    strategy: Flags.string({description: 'migration strategy for every migrate operation of the scenario', options: ['npa', 'bonding', 'uniform']}),
    'no-events': Flags.boolean({description: 'do not write events (model timing only; frames and config are written)', hidden: true}),
    repeat: Flags.integer({description: 'replay N times with seeds seed..seed+N-1 into one group directory (for compare)', default: 1}),
    json: Flags.boolean({description: 'print the summary as JSON'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Replay)
    const {replay} = await import('../src/replay/replay.js')
    const {formatReplaySummary, makeProgress} = await import('../src/replay/report.js')
    let pacing: Pacing | undefined
    if (flags.speed !== undefined) {
      const f = Number(flags.speed)
      if (!(f > 0)) throw new UserError(`--speed ${flags.speed}: expected a positive number`)
      pacing = {kind: 'speed', factor: f}
    } else if (flags.pps !== undefined) {
      if (!(flags.pps > 0)) throw new UserError(`--pps ${flags.pps}: expected a positive integer`)
      pacing = {kind: 'pps', pps: flags.pps}
    } else if (flags.topspeed) pacing = {kind: 'topspeed'}

    let interrupted = false
    const onSigint = () => {
      interrupted = true
    }
    process.on('SIGINT', onSigint)
    const progress = makeProgress(args.capture)
    try {
      const ropts = {
        capture: args.capture,
        scenarioPath: flags.scenario,
        plugins: flags.plugin,
        pluginPaths: flags['plugin-path'],
        out: flags.out,
        seed: flags.seed,
        pacing,
        noEvents: flags['no-events'],
        strategy: flags.strategy as 'npa' | 'bonding' | 'uniform' | undefined,
        progress: progress.update,
        interrupted: () => interrupted,
      }
      if (flags.repeat > 1) {
        const {replayRepeated} = await import('../src/replay/repeat.js')
        const g = await replayRepeated(ropts, flags.repeat)
        progress.stop()
        if (flags.json) this.log(JSON.stringify(g, null, 2))
        else {
          for (const r of g.runs) this.log(formatReplaySummary(r))
          this.log(`repeat group ${g.group}: ${g.runs.length} runs, seeds ${g.seeds[0]}..${g.seeds[g.seeds.length - 1]}`)
        }
        return
      }
      const summary = await replay(ropts)
      progress.stop()
      if (flags.json) this.log(JSON.stringify(summary, null, 2))
      else this.log(formatReplaySummary(summary))
    } finally {
      progress.stop()
      process.off('SIGINT', onSigint)
    }
  }
}
