import {Flags} from '@oclif/core'
import {BaseCommand} from '../src/base-command.js'

export default class SqlReference extends BaseCommand {
  static override description = 'List every view and macro of the SQL library with its columns and their descriptions'
  static override examples = ['<%= config.bin %> sql-reference', '<%= config.bin %> sql-reference --json']
  static override flags = {
    json: Flags.boolean({description: 'print the reference as JSON'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(SqlReference)
    const {formatReference, sqlReference} = await import('../src/analysis/reference.js')
    const ref = await sqlReference()
    this.log(flags.json ? JSON.stringify(ref, null, 2) : formatReference(ref))
    return ref
  }
}
