/**
 * Scenario → YAML in the file format of schema.ts. The output parses back (parseScenario) to an equal
 * Scenario (except `source`): every host field is written; VM fields at their defaults are left out
 * except `host` and `mode`, which a reader wants to see; times use the largest exact unit.
 */
import {Document, isMap, isSeq, Scalar, visit, type YAMLMap, type YAMLSeq} from 'yaml'
import {formatMac, formatTimeNs} from './schema.js'
import type {OperationSpec, Scenario} from './types.js'

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/

export interface YamlOptions {
  /** Comment lines put above the document (without '#'). */
  header?: string
  /** Comment line put above a VM's entry, by VM name. */
  vmComments?: Record<string, string>
}

export function scenarioToYaml(s: Scenario, opts: YamlOptions = {}): string {
  const groups = (g: number[] | 'all') => (g === 'all' ? 'all' : g.map(formatMac))
  const obj: Record<string, unknown> = {
    version: s.version,
    seed: s.seed,
    pacing:
      s.pacing.kind === 'original' || s.pacing.kind === 'topspeed'
        ? s.pacing.kind
        : s.pacing.kind === 'speed'
          ? {speed: s.pacing.factor}
          : {pps: s.pacing.pps},
  }
  if (Object.keys(s.params).length > 0) obj.params = {...s.params}
  obj.hosts = s.hosts.map((h) => ({name: h.name, nic: h.nic, vfs: h.vfs, link_gbps: h.linkGbps}))
  obj.vms = s.vms.map((v) => {
    const o: Record<string, unknown> = {name: v.name, mac: formatMac(v.mac), host: v.host}
    if (v.vlan !== null) o.vlan = v.vlan
    if (v.vlans.length > 0) o.vlans = [...v.vlans]
    if (v.multicast === 'all' || v.multicast.length > 0) o.multicast = groups(v.multicast)
    if (v.promiscuous) o.promiscuous = true
    o.mode = v.mode
    if (v.plugin !== null) o.plugin = v.plugin
    if (v.guestDrivers) o.guest_drivers = v.guestDrivers
    return o
  })
  obj.policies = s.policies.map((p) => ({
    vm: p.vm,
    allow_mac_change: p.allowMacChange,
    allow_vlan_change: p.allowVlanChange,
    allow_promiscuous: p.allowPromiscuous,
    allow_multicast: p.allowMulticast,
  }))
  obj.operations = s.operations.map((o: OperationSpec) => {
    const base = {at: formatTimeNs(o.at), vm: o.vm, op: o.op}
    switch (o.op) {
      case 'mac': return {...base, mac: formatMac(o.mac)}
      case 'vlan': return {...base, vlan: o.vlan}
      case 'multicast': return {...base, groups: groups(o.groups)}
      case 'promiscuous': return {...base, on: o.on}
      case 'mode': return {...base, mode: o.mode}
      case 'migrate': return {...base, to: o.to, strategy: o.strategy}
      case 'suspend':
      case 'resume':
        return base
    }
  })

  const doc = new Document(obj)
  // Compact flow style for short entries, like the examples in schema.ts.
  for (const key of ['pacing', 'params']) {
    const n = doc.get(key, true)
    if (isMap(n)) n.flow = true
  }
  for (const key of ['hosts', 'policies', 'operations']) {
    const seq = doc.get(key, true) as YAMLSeq | undefined
    if (isSeq(seq)) for (const item of seq.items) if (isMap(item)) item.flow = true
  }
  const vms = doc.get('vms', true) as YAMLSeq<YAMLMap> | undefined
  if (isSeq(vms)) {
    vms.items.forEach((vm, i) => {
      for (const key of ['vlans', 'multicast']) {
        const n = vm.get(key, true)
        if (isSeq(n)) n.flow = true
      }
      const comment = opts.vmComments?.[s.vms[i].name]
      if (comment) vm.commentBefore = ` ${comment}`
    })
  }
  // MACs double-quoted: a YAML 1.1 reader would take 12:34:56 as a base-60 number.
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && MAC_TEXT.test(node.value)) node.type = Scalar.QUOTE_DOUBLE
    },
  })
  let text = doc.toString({lineWidth: 0, flowCollectionPadding: false})
  if (opts.header) text = opts.header.split('\n').map((l) => (l ? `# ${l}` : '#')).join('\n') + '\n' + text
  return text
}
