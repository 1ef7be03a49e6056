import {Args, Flags} from '@oclif/core'
import {writeFileSync} from 'node:fs'
import {BaseCommand} from '../../src/base-command.js'
import {UserError} from '../../src/errors.js'

export default class ScenarioInit extends BaseCommand {
  static override description = 'Derive a scenario from a capture (busiest unicast sources become VMs) and print it as YAML'
  static override examples = [
    '<%= config.bin %> scenario init capture.pcapng > my.yaml',
    '<%= config.bin %> scenario init capture.pcap --vms 4 --plugin ixgbevf@1.0.0 -o my.yaml',
  ]
  static override args = {
    capture: Args.string({description: 'pcap or pcapng capture', required: true}),
  }
  static override flags = {
    vms: Flags.integer({description: 'how many of the busiest unicast source MACs become VMs', default: 8, min: 0, max: 63}),
    plugin: Flags.string({description: 'plugin for every VM, name@x.y.z (default: the NIC\'s default plugin)'}),
    mode: Flags.option({description: 'mode for every VM', options: ['passthrough', 'emulated'] as const})(),
    nic: Flags.option({description: 'NIC model of the host', options: ['intel-82599', 'acme-x700', 'none'] as const})(),
    host: Flags.string({description: 'host name', default: 'host-a'}),
    seed: Flags.integer({description: 'seed written into the scenario', default: 1, min: 0}),
    output: Flags.string({char: 'o', description: 'write the YAML to this file instead of stdout'}),
    force: Flags.boolean({char: 'f', description: 'overwrite --output if it exists'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ScenarioInit)
    const {deriveScenarioDetailed, derivationHeader, scenarioToYaml} = await import('../../src/scenario/index.js')
    const {scenario, stats} = deriveScenarioDetailed(args.capture, {
      vms: flags.vms, plugin: flags.plugin ?? null, mode: flags.mode, nic: flags.nic, host: flags.host, seed: flags.seed,
    })
    const vmComments: Record<string, string> = {}
    for (const v of stats.perVm) vmComments[v.name] = `${v.name}: ${v.frames} frames sent`
    const yaml = scenarioToYaml(scenario, {header: derivationHeader(args.capture, scenario, stats), vmComments})
    if (!flags.output) {
      process.stdout.write(yaml)
      return
    }
    try {
      writeFileSync(flags.output, yaml, {flag: flags.force ? 'w' : 'wx'})
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST') throw new UserError(`${flags.output}: exists; pass --force to overwrite`)
      throw new UserError(`${flags.output}: cannot write (${code ?? (error as Error).message})`)
    }
    this.log(`wrote ${flags.output}: ${scenario.vms.length} VMs from ${stats.ethernetFrames} Ethernet frames of ${args.capture}`)
  }
}
