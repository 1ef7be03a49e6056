import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/base-command.js'
import {formatInspectText, inspectCaptureDetailed, type InspectResult} from '../src/capture/inspect.js'

export default class Inspect extends BaseCommand {
  static override description = 'Summarise a pcap/pcapng capture like capinfos, plus VLAN, broadcast/multicast and source-MAC counts'
  static override examples = [
    '<%= config.bin %> inspect traces/samples/sample.pcapng',
    '<%= config.bin %> inspect capture.pcap --json',
  ]
  static override args = {
    capture: Args.string({description: 'pcap or pcapng file', required: true}),
  }
  static override flags = {
    json: Flags.boolean({description: 'Print the result as one JSON object'}),
  }

  async run(): Promise<InspectResult> {
    const {args, flags} = await this.parse(Inspect)
    const {result, failure} = inspectCaptureDetailed(args.capture)
    if (flags.json) this.log(JSON.stringify(result, null, 2))
    // A file that could not be opened at all has nothing to report beyond the error line.
    else if (!failure || result.interfaces.length > 0) this.log(formatInspectText(result))
    // A damaged file: what was read is printed above; the error goes to stderr as one line, exit 1.
    if (failure) throw failure
    return result
  }
}
