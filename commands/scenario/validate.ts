import {Args} from '@oclif/core'
import {BaseCommand} from '../../src/base-command.js'

export default class ScenarioValidate extends BaseCommand {
  static override description = 'Check a scenario file; print a summary or the first problem with its file:line:col and key'
  static override examples = ['<%= config.bin %> scenario validate traces/samples/basic.yaml']
  static override enableJsonFlag = true
  static override args = {
    file: Args.string({description: 'scenario YAML file', required: true}),
  }

  async run(): Promise<{hosts: number; vms: number; operations: number}> {
    const {args} = await this.parse(ScenarioValidate)
    const {loadScenario} = await import('../../src/scenario/index.js')
    const s = loadScenario(args.file)
    const counts = {hosts: s.hosts.length, vms: s.vms.length, operations: s.operations.length}
    this.log(`ok: ${counts.hosts} hosts, ${counts.vms} VMs, ${counts.operations} operations`)
    return counts
  }
}
