import {Args, Errors, Flags} from '@oclif/core'
import {BaseCommand} from '../../src/base-command.js'
import {SYNTH_DEFAULTS, synthesize, type SynthSummary} from '../../src/capture/synth.js'

/**
 * A decimal number flag (shares). Unparsable input fails like oclif's own integer flags (CLIError, exit 2);
 * the 0..1 range is checked by synthesize() with a UserError naming the flag.
 */
const share = (description: string, def: number) =>
  Flags.custom<number>({
    description,
    default: def,
    helpValue: '<0..1>',
    async parse(input) {
      const n = Number(input)
      if (input.trim() === '' || !Number.isFinite(n)) throw new Errors.CLIError(`Expected a number from 0 to 1 but received: ${input}`)
      return n
    },
  })()

export default class CaptureSynth extends BaseCommand {
  static override description = 'Generate a deterministic synthetic capture (VMs, externals, VLANs, broadcast/multicast, size mix, rate)'

  static override examples = [
    '<%= config.bin %> capture synth traffic.pcapng --frames 100000 --seed 7',
    '<%= config.bin %> capture synth bench.pcap --frames 1000000 --vms 8 --vm-to-vm 0.5 --sizes imix',
    '<%= config.bin %> capture synth jumbo.pcap --sizes fixed:9018 --arrival const --pps 10000 --nanosecond',
  ]

  static override enableJsonFlag = true

  static override args = {
    out: Args.string({description: 'capture file to write (.pcap or .pcapng; overwritten)', required: true}),
  }

  static override flags = {
    seed: Flags.integer({description: 'PRNG seed: the same seed and options give a byte-identical file', default: SYNTH_DEFAULTS.seed, min: 0}),
    frames: Flags.integer({char: 'n', description: 'number of frames', default: SYNTH_DEFAULTS.frames, min: 0}),
    vms: Flags.integer({description: 'number of VMs (MACs 02:00:00:00:00:01..)', default: SYNTH_DEFAULTS.vms}),
    externals: Flags.integer({description: 'number of external hosts (MACs 02:ee:00:00:00:01..)', default: SYNTH_DEFAULTS.externals}),
    'vlan-share': share('share of VMs on a VLAN (10, 20, 30)', SYNTH_DEFAULTS.vlanShare),
    'vm-to-vm': share('share of frames that are VM-to-VM unicast (the unicast rest is VM<->external)', SYNTH_DEFAULTS.vmToVmShare),
    broadcast: share('share of frames that are broadcast', SYNTH_DEFAULTS.broadcastShare),
    multicast: share('share of frames that are IPv4 multicast', SYNTH_DEFAULTS.multicastShare),
    sizes: Flags.string({description: 'frame sizes incl. FCS: imix (64/594/1518 in 7:4:1), fixed:N or uniform:A-B', default: SYNTH_DEFAULTS.sizes}),
    pps: Flags.integer({description: 'mean rate in frames per second', default: SYNTH_DEFAULTS.pps}),
    arrival: Flags.option({description: 'inter-arrival times', options: ['exp', 'const'] as const, default: SYNTH_DEFAULTS.arrival})(),
    start: Flags.string({description: 'timestamp of the first frame (ISO 8601)', default: SYNTH_DEFAULTS.start}),
    format: Flags.option({description: 'capture format [default: from the file extension]', options: ['pcap', 'pcapng'] as const})(),
    nanosecond: Flags.boolean({description: 'nanosecond timestamps (default microseconds)', default: false}),
  }

  async run(): Promise<SynthSummary> {
    const {args, flags} = await this.parse(CaptureSynth)
    const summary = synthesize(
      {
        seed: flags.seed,
        frames: flags.frames,
        vms: flags.vms,
        externals: flags.externals,
        vlanShare: flags['vlan-share'],
        vmToVmShare: flags['vm-to-vm'],
        broadcastShare: flags.broadcast,
        multicastShare: flags.multicast,
        sizes: flags.sizes,
        pps: flags.pps,
        arrival: flags.arrival,
        start: flags.start,
        format: flags.format,
        nanosecond: flags.nanosecond,
      },
      args.out,
    )
    if (!this.jsonEnabled()) this.log(formatSummary(summary))
    return summary
  }
}

function formatSummary(s: SynthSummary): string {
  const o = s.options
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`
  const tagged = s.vms.filter((v) => v.vlan !== null)
  const vlanText = tagged.length === 0 ? 'none on a VLAN' : `${tagged.map((v) => `${v.name}@${v.vlan}`).join(' ')}, the rest untagged`
  const first = s.vms[0].mac
  const last = s.vms.at(-1)!.mac
  const c = s.counts
  return [
    `wrote ${s.path}: ${s.format}${s.nanosecond ? ' (ns)' : ' (µs)'}, ${s.frames} frames, ${mb(s.bytes)} of frames, ${mb(s.fileBytes)} file`,
    `  time: from ${o.start}, ${(s.durationNs / 1e9).toFixed(6)} s at ${o.pps} pps (${o.arrival}), seed ${s.seed}, sizes ${o.sizes}`,
    `  VMs: ${s.vms.length} (${first}${s.vms.length > 1 ? ` .. ${last}` : ''}); VLANs: ${vlanText}`,
    `  externals: ${s.externals.length}${s.externals.length > 0 ? ` (${s.externals[0]}${s.externals.length > 1 ? ` .. ${s.externals.at(-1)}` : ''})` : ''}`,
    `  frames: VM->VM ${c.vmToVm}, VM->external ${c.vmToExternal}, external->VM ${c.externalToVm}, broadcast ${c.broadcast}, multicast ${c.multicast}; VLAN-tagged ${c.tagged}`,
  ].join('\n')
}
