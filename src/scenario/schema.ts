/**
 * The scenario file format (YAML, snake_case keys) and its zod schema. src/scenario/README.md has
 * the same description with examples.
 *
 * ```yaml
 * version: 1                   # required
 * seed: 1                      # integer 0..2^32-1; default 1
 * pacing: original             # original | topspeed | {speed: 2} | {pps: 100000}; default original
 * params: {vf_itr_rx_us: 20}   # overrides of DEFAULT_PARAMS (src/model/params.ts); default {}
 * hosts:                       # default: [{name: host-a, nic: intel-82599}]
 *   - {name: host-a, nic: intel-82599, vfs: 8, link_gbps: 10}
 *       # nic: intel-82599 (default) | acme-x700 | none; vfs 0..63, default 8 (0 for nic: none);
 *       # link_gbps default params.link_gbps
 * vms:                         # default []
 *   - name: vm1                # [A-Za-z][A-Za-z0-9_.-]*, unique
 *     mac: "02:00:00:00:00:01" # unicast, unique; quote it (YAML 1.1 tools read 12:34:56 as a number)
 *     host: host-a             # default: the first host
 *     vlan: 10                 # port VLAN 1..4094 (NIC inserts/strips the tag) or null; default null
 *     vlans: []                # VLANs the guest tags itself; only without vlan; default []
 *     multicast: []            # group MACs, or "all"; default []
 *     promiscuous: false       # default false
 *     mode: passthrough        # passthrough | emulated; default passthrough
 *     plugin: ixgbevf@1.1.0    # name@x.y.z or null = the host NIC's default plugin; default null
 * policies:                    # default: [{vm: "*"}] with the defaults below
 *   - {vm: "*", allow_mac_change: true, allow_vlan_change: true, allow_promiscuous: false, allow_multicast: true}
 * operations:                  # default []; sorted stably by time when loaded
 *   - {at: 2ms, vm: vm1, op: mode, mode: emulated}
 *   - {at: "5ms", vm: vm1, op: mac, mac: "02:00:00:00:00:99"}
 *   - {at: 1000000, vm: vm2, op: vlan, vlan: 20}        # null removes the port VLAN
 *   - {at: 3ms, vm: vm2, op: multicast, groups: ["33:33:00:00:00:01"]}   # or "all"
 *   - {at: 4ms, vm: vm2, op: promiscuous, on: true}
 *   - {at: 50ms, vm: vm1, op: migrate, to: host-b, strategy: npa}   # npa | bonding | uniform
 *   - {at: 8ms, vm: vm3, op: suspend}
 *   - {at: 9ms, vm: vm3, op: resume}
 * ```
 * Times: a number is ns; a string is a decimal with a unit ns, us, µs, ms or s ("1.5ms"), rounded to
 * an integer ns exactly (decimal arithmetic, no float error). 0 = the capture's first frame.
 *
 * This module checks shapes and single values (zod) and, in `crossCheck`, the rules that span
 * entries (unique names/MACs, references to hosts and VMs, vlan vs vlans). Error positions are the
 * loader's job (load.ts): every issue carries the path of the offending key.
 */
import {z} from 'zod'
import {DEFAULT_PARAMS, PARAM_NAMES} from '../model/params.js'
import type {HostSpec, Mode, NicModel, OperationSpec, Pacing, PolicySpec, Scenario, VmSpec} from './types.js'

export const NIC_MODELS = ['intel-82599', 'acme-x700', 'none'] as const satisfies readonly NicModel[]
export const MODES = ['passthrough', 'emulated'] as const satisfies readonly Mode[]
export const OPS = ['mac', 'vlan', 'multicast', 'promiscuous', 'mode', 'migrate', 'suspend', 'resume'] as const

/** Most VFs a PF may expose: Linux allows 63 with one traffic class [IX-SRIOV] (vf_count_max). */
export const MAX_VFS = 63
/** VFs per host when the file does not say (assumed: a typical 82599 deployment; ≤ MAX_VFS). */
export const DEFAULT_VFS = 8
/** VF multicast filter entries: a VF may program up to 30 MTA hashes [IX-H] (vf_max_mc_hashes). */
export const VF_MAX_MC_HASHES = 30
/** Host name used when the file has no `hosts:` and by derivation. */
export const DEFAULT_HOST = 'host-a'

/**
 * Policy fields a policy entry (or the implicit `vm: '*'` policy) does not set. Promiscuous is refused:
 * on the 82599 anything beyond multicast needs a trusted VF [IXVF-MBX; IX-SRIOV]; MAC/VLAN/multicast
 * changes are accepted (assumed, as a vSphere standard switch's "MAC address changes: accept").
 */
export const DEFAULT_POLICY: Omit<PolicySpec, 'vm'> = {
  allowMacChange: true,
  allowVlanChange: true,
  allowPromiscuous: false,
  allowMulticast: true,
}

// ---------------------------------------------------------------------------------------------
// value parsers (also exported for the commands and tests)

const UNIT_DIGITS: Record<string, number> = {ns: 0, us: 3, 'µs': 3, 'μs': 3, ms: 6, s: 9}
const TIME_RE = /^(\d+)(?:\.(\d*))?\s*(ns|us|µs|μs|ms|s)$/

/**
 * A scenario time → integer ns. Numbers are ns (rounded); strings need a unit. Decimal strings are
 * shifted by the unit's power of ten as text, so "0.1ms" is exactly 100000. Throws RangeError with a
 * lower-case message (used verbatim in the one-line error).
 */
export function parseTimeNs(v: number | string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`time must be a finite number of ns, got ${v}`)
    if (v < 0) throw new RangeError(`time must be >= 0 (ns from the capture's first frame), got ${v}`)
    const ns = Math.round(v)
    if (ns > Number.MAX_SAFE_INTEGER) throw new RangeError(`time ${v} ns is too large`)
    return ns
  }
  const s = v.trim()
  const m = TIME_RE.exec(s)
  if (!m) {
    if (/^-/.test(s)) throw new RangeError(`time must be >= 0 (from the capture's first frame), got "${v}"`)
    if (/^\d+(\.\d*)?$/.test(s)) throw new RangeError(`time "${v}" has no unit: write e.g. "${s}ns", "${s}us", "${s}ms" or "${s}s", or a bare number for ns`)
    throw new RangeError(`bad time "${v}": expected a number (ns) or a decimal with a unit ns, us, µs, ms or s, e.g. "2ms"`)
  }
  const k = UNIT_DIGITS[m[3]]
  const frac = m[2] ?? ''
  let ns = Number(m[1] + frac.slice(0, k).padEnd(k, '0'))
  if (frac.length > k && frac.charCodeAt(k) >= 0x35 /* '5': round half up */) ns += 1
  if (!Number.isSafeInteger(ns)) throw new RangeError(`time "${v}" is too large`)
  return ns
}

/** Formats ns with the largest unit that is exact (round-trips through parseTimeNs); bare number for odd ns. */
export function formatTimeNs(ns: number): number | string {
  if (ns === 0) return 0
  if (ns % 1e9 === 0) return `${ns / 1e9}s`
  if (ns % 1e6 === 0) return `${ns / 1e6}ms`
  if (ns % 1e3 === 0) return `${ns / 1e3}us`
  return ns
}

const MAC_RE = /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i

/** "02:00:00:00:00:01" (or with '-') → 48-bit integer; -1 when it is not a MAC. */
export function parseMacText(s: string): number {
  const m = MAC_RE.exec(s.trim())
  if (!m) return -1
  return parseInt(m[1] + m[3] + m[4] + m[5] + m[6] + m[7], 16)
}

/** 48-bit integer → "aa:bb:cc:dd:ee:ff". */
export function formatMac(mac: number): string {
  return mac.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:')
}

/** Group (I/G) bit of the first octet: set for multicast and broadcast. */
export function isGroupMac(mac: number): boolean {
  return (Math.floor(mac / 0x10000000000) & 1) === 1
}

export const BROADCAST_MAC = 0xffffffffffff

/** Edit distance for "did you mean" lists (short strings only). */
function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]
}

/** Up to `max` names close to `name` (edit distance, or one contains the other), closest first. */
export function closeNames(name: string, known: readonly string[], max = 3): string[] {
  const lower = name.toLowerCase()
  const limit = Math.max(2, Math.floor(lower.length / 3))
  return known
    .map((k) => ({k, d: distance(lower, k.toLowerCase())}))
    .filter(({k, d}) => d <= limit || (lower.length >= 3 && (k.includes(lower) || lower.includes(k))))
    .sort((x, y) => x.d - y.d || (x.k < y.k ? -1 : 1))
    .slice(0, max)
    .map(({k}) => k)
}

// ---------------------------------------------------------------------------------------------
// zod schema of the file. Messages written here start lower-case: load.ts uses those verbatim and
// rewrites zod's own (capitalised) defaults into the same style.

const MAC_HINT = 'a MAC address string like "02:00:00:00:00:01" (quote it)'

function macSchema(kind: 'unicast' | 'group') {
  return z.string({error: `expected ${MAC_HINT}`}).transform((s, ctx) => {
    const mac = parseMacText(s)
    if (mac < 0) {
      ctx.addIssue({code: 'custom', message: `bad MAC "${s}": expected ${MAC_HINT}`})
      return z.NEVER
    }
    if (kind === 'unicast' && (isGroupMac(mac) || mac === 0)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${s}" is not a unicast MAC (${mac === 0 ? 'all zero' : 'group bit set in the first octet'}); use e.g. 02:xx:xx:xx:xx:xx`,
      })
      return z.NEVER
    }
    if (kind === 'group' && (!isGroupMac(mac) || mac === BROADCAST_MAC)) {
      ctx.addIssue({
        code: 'custom',
        message: mac === BROADCAST_MAC
          ? `"${s}" is broadcast, which every VM receives anyway; list multicast groups only`
          : `"${s}" is not a multicast MAC (group bit of the first octet clear), e.g. 01:00:5e:00:00:fb`,
      })
      return z.NEVER
    }
    return mac
  })
}

const TimeSchema = z
  .union([z.number(), z.string()], {error: 'expected a time: ns as a number, or a string with a unit, e.g. "2ms"'})
  .transform((v, ctx) => {
    try {
      return parseTimeNs(v)
    } catch (error) {
      ctx.addIssue({code: 'custom', message: (error as Error).message})
      return z.NEVER
    }
  })

const VLAN_MSG = 'expected a VLAN id, an integer 1..4094'
const VlanSchema = z.number({error: VLAN_MSG}).int({error: VLAN_MSG}).min(1, {error: VLAN_MSG}).max(4094, {error: VLAN_MSG})

const NAME_MSG = 'expected a name: a letter, then letters, digits, "_", "." or "-"'
const NameSchema = z.string({error: NAME_MSG}).regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, {error: NAME_MSG})

const PLUGIN_MSG = 'expected a plugin as name@x.y.z (e.g. ixgbevf@1.1.0), or null for the NIC\'s default'
/** `name@x.y.z`; whether such a plugin exists is the plugin loader's business. */
export const PLUGIN_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*@\d+\.\d+\.\d+$/
const PluginSchema = z.string({error: PLUGIN_MSG}).regex(PLUGIN_RE, {error: PLUGIN_MSG}).nullable()

const ModeSchema = z.enum(MODES, {error: `expected a mode: ${MODES.join(' | ')}`})
const BoolSchema = (what: string) => z.boolean({error: `expected true or false (${what})`})
const GROUPS_MSG = 'expected "all" or a list of multicast MACs, e.g. ["01:00:5e:00:00:fb"]'
const GroupListSchema = z.array(macSchema('group'), {error: GROUPS_MSG})
/** "all" or a list of group MACs. Not a z.union: a union would hide which list entry is wrong. */
const GroupsSchema = z.unknown().transform((v, ctx): number[] | 'all' => {
  if (v === 'all') return 'all'
  const r = GroupListSchema.safeParse(v, {reportInput: true})
  if (r.success) return r.data
  for (const issue of r.error.issues) ctx.addIssue({code: 'custom', message: issue.message, path: issue.path, input: (issue as {input?: unknown}).input})
  return z.NEVER
})

const PACING_MSG = 'expected pacing: original | topspeed | {speed: <factor>} | {pps: <frames per second>}'
const PacingSchema = z
  .union(
    [
      z.literal('original'),
      z.literal('topspeed'),
      z.strictObject({speed: z.number({error: 'expected a speed factor > 0'}).positive({error: 'expected a speed factor > 0'})}),
      z.strictObject({pps: z.number({error: 'expected frames per second > 0'}).positive({error: 'expected frames per second > 0'})}),
    ],
    {error: PACING_MSG},
  )
  .transform((p): Pacing => {
    if (p === 'original') return {kind: 'original'}
    if (p === 'topspeed') return {kind: 'topspeed'}
    return 'speed' in p ? {kind: 'speed', factor: p.speed} : {kind: 'pps', pps: p.pps}
  })

/** Params that must be whole numbers / strictly positive (ring sizes, counts, rates used as divisors). */
const INT_PARAM_RE = /(_ring|_budget|_backlog|_exits|_bytes)$/
const POSITIVE_PARAM_RE = /(_ring|_budget|_gbps|_ghz)$/

const ParamsSchema = z
  .record(z.string(), z.unknown(), {error: 'expected a mapping of parameter names to values, e.g. {vf_itr_rx_us: 20}'})
  .transform((rec, ctx) => {
    const out: Partial<Record<string, number | boolean>> = {}
    for (const [key, v] of Object.entries(rec)) {
      if (!(key in DEFAULT_PARAMS)) {
        const close = closeNames(key, PARAM_NAMES)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          params: {at: 'key'},
          message: `unknown parameter '${key}' (${close.length ? `close: ${close.join(', ')}` : `${PARAM_NAMES.length} known`}; see src/model/params.ts)`,
        })
        continue
      }
      const def = DEFAULT_PARAMS[key as keyof typeof DEFAULT_PARAMS]
      if (typeof def === 'boolean') {
        if (typeof v !== 'boolean') ctx.addIssue({code: 'custom', path: [key], message: `expected true or false (default ${def})`})
        else out[key] = v
        continue
      }
      const whole = INT_PARAM_RE.test(key)
      const positive = POSITIVE_PARAM_RE.test(key)
      const want = `${positive ? 'a number > 0' : 'a number >= 0'}${whole ? ', whole' : ''} (default ${def})`
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (positive && v === 0) || (whole && !Number.isInteger(v))) {
        ctx.addIssue({code: 'custom', path: [key], message: `expected ${want}, got ${JSON.stringify(v)}`})
      } else out[key] = v
    }
    return out
  })

const HostSchema = z.strictObject({
  name: NameSchema,
  nic: z.enum(NIC_MODELS, {error: `expected a NIC model: ${NIC_MODELS.join(' | ')}`}).default('intel-82599'),
  vfs: z
    .number({error: `expected a VF count 0..${MAX_VFS}`})
    .int({error: `expected a VF count 0..${MAX_VFS}`})
    .min(0, {error: `expected a VF count 0..${MAX_VFS}`})
    .max(MAX_VFS, {error: `at most ${MAX_VFS} VFs per PF [IX-SRIOV]`})
    .optional(),
  link_gbps: z.number({error: 'expected a link rate in Gb/s > 0'}).positive({error: 'expected a link rate in Gb/s > 0'}).optional(),
})

const VmSchema = z.strictObject({
  name: NameSchema,
  mac: macSchema('unicast'),
  host: z.string({error: 'expected a host name'}).optional(),
  vlan: VlanSchema.nullable().default(null),
  vlans: z.array(VlanSchema, {error: 'expected a list of VLAN ids, e.g. [10, 20]'}).default([]),
  multicast: GroupsSchema.default([]),
  promiscuous: BoolSchema('promiscuous').default(false),
  mode: ModeSchema.default('passthrough'),
  plugin: PluginSchema.default(null),
  guest_drivers: z
    .array(z.enum(NIC_MODELS, {error: `expected NIC models: ${NIC_MODELS.join(' | ')}`}), {error: 'expected a list of NIC models'})
    .optional(),
})

const PolicySchema = z.strictObject({
  vm: z.string({error: 'expected a VM name or "*"'}),
  allow_mac_change: BoolSchema('allow_mac_change').default(DEFAULT_POLICY.allowMacChange),
  allow_vlan_change: BoolSchema('allow_vlan_change').default(DEFAULT_POLICY.allowVlanChange),
  allow_promiscuous: BoolSchema('allow_promiscuous').default(DEFAULT_POLICY.allowPromiscuous),
  allow_multicast: BoolSchema('allow_multicast').default(DEFAULT_POLICY.allowMulticast),
})

const opBase = {at: TimeSchema, vm: z.string({error: 'expected a VM name'})}
const OperationSchema = z.discriminatedUnion('op', [
  z.strictObject({...opBase, op: z.literal('mac'), mac: macSchema('unicast')}),
  z.strictObject({...opBase, op: z.literal('vlan'), vlan: VlanSchema.nullable()}),
  z.strictObject({...opBase, op: z.literal('multicast'), groups: GroupsSchema}),
  z.strictObject({...opBase, op: z.literal('promiscuous'), on: BoolSchema('on')}),
  z.strictObject({...opBase, op: z.literal('mode'), mode: ModeSchema}),
  z.strictObject({
    ...opBase,
    op: z.literal('migrate'),
    to: z.string({error: 'expected the destination host name'}),
    strategy: z.enum(['npa', 'bonding', 'uniform'], {error: 'expected a strategy: npa | bonding | uniform'}).default('npa'),
  }),
  z.strictObject({...opBase, op: z.literal('suspend')}),
  z.strictObject({...opBase, op: z.literal('resume')}),
])

/** `key:` with nothing after it (YAML null) means the same as leaving the key out. */
const orDefault = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? undefined : v), schema)

export const ScenarioFileSchema = z.strictObject(
  {
    version: z.literal(1, {error: 'expected version: 1 (the only format version)'}),
    seed: z
      .number({error: 'expected a seed, an integer 0..4294967295'})
      .int({error: 'expected a seed, an integer 0..4294967295'})
      .min(0, {error: 'expected a seed, an integer 0..4294967295'})
      .max(0xffffffff, {error: 'expected a seed, an integer 0..4294967295'})
      .default(1),
    pacing: PacingSchema.default({kind: 'original'}),
    params: orDefault(ParamsSchema.default({})),
    hosts: orDefault(z.array(HostSchema, {error: 'expected a list of hosts'}).min(1, {error: 'needs at least one host (or omit hosts:)'}).optional()),
    vms: orDefault(z.array(VmSchema, {error: 'expected a list of VMs'}).default([])),
    policies: orDefault(z.array(PolicySchema, {error: 'expected a list of policies'}).optional()),
    operations: orDefault(z.array(OperationSchema, {error: 'expected a list of operations'}).default([])),
  },
  {error: 'expected a mapping with version: 1, hosts, vms, ...'},
)

export type ScenarioFile = z.output<typeof ScenarioFileSchema>

/** Known keys of the object at `path` (for "unknown key" messages); `input` is that object. */
export function knownKeys(path: readonly PropertyKey[], input: unknown): string[] {
  const top = path[0]
  if (path.length === 0) return Object.keys(ScenarioFileSchema.shape)
  if (top === 'pacing') return ['speed', 'pps']
  if (path.length !== 2) return []
  if (top === 'hosts') return Object.keys(HostSchema.shape)
  if (top === 'vms') return Object.keys(VmSchema.shape)
  if (top === 'policies') return Object.keys(PolicySchema.shape)
  if (top === 'operations') {
    const op = (input as {op?: unknown} | null)?.op
    const opt = OperationSchema.options.find((o) => o.shape.op.value === op)
    return opt ? Object.keys(opt.shape) : ['at', 'vm', 'op']
  }
  return []
}

// ---------------------------------------------------------------------------------------------
// cross checks and resolution

export interface ScenarioIssue {
  path: (string | number)[]
  message: string
  /** Point at the key rather than the value (unknown keys). */
  at?: 'key' | 'value'
}

/** Checks that span entries. Returns every problem found (the loader reports the first by position). */
export function crossCheck(f: ScenarioFile): ScenarioIssue[] {
  const issues: ScenarioIssue[] = []
  const hosts = f.hosts ?? []
  const hostIdx = new Map<string, number>()
  hosts.forEach((h, i) => {
    const prev = hostIdx.get(h.name)
    if (prev !== undefined) issues.push({path: ['hosts', i, 'name'], message: `duplicate host name '${h.name}' (also hosts[${prev}])`})
    else hostIdx.set(h.name, i)
    if (h.nic === 'none' && h.vfs !== undefined && h.vfs > 0) {
      issues.push({path: ['hosts', i, 'vfs'], message: `a host with nic: none has no VFs; remove vfs or set 0`})
    }
  })
  const vmIdx = new Map<string, number>()
  const macIdx = new Map<number, number>()
  f.vms.forEach((vm, i) => {
    const prev = vmIdx.get(vm.name)
    if (prev !== undefined) issues.push({path: ['vms', i, 'name'], message: `duplicate VM name '${vm.name}' (also vms[${prev}])`})
    else vmIdx.set(vm.name, i)
    const prevMac = macIdx.get(vm.mac)
    if (prevMac !== undefined) {
      issues.push({path: ['vms', i, 'mac'], message: `MAC ${formatMac(vm.mac)} is already vms[${prevMac}] (${f.vms[prevMac].name})'s`})
    } else macIdx.set(vm.mac, i)
    if (vm.host !== undefined && !hostIdx.has(vm.host)) {
      const names = f.hosts ? [...hostIdx.keys()] : [DEFAULT_HOST]
      if (f.hosts || vm.host !== DEFAULT_HOST) {
        issues.push({path: ['vms', i, 'host'], message: `unknown host '${vm.host}' (hosts: ${names.join(', ')})`})
      }
    }
    if (vm.vlan !== null && vm.vlans.length > 0) {
      issues.push({
        path: ['vms', i, 'vlans'],
        message: 'vlan (port VLAN, the NIC tags) and vlans (the guest tags) exclude each other; keep one',
      })
    }
    vm.vlans.forEach((v, j) => {
      if (vm.vlans.indexOf(v) !== j) issues.push({path: ['vms', i, 'vlans', j], message: `VLAN ${v} listed twice`})
    })
    if (Array.isArray(vm.multicast)) {
      vm.multicast.forEach((g, j) => {
        if ((vm.multicast as number[]).indexOf(g) !== j) {
          issues.push({path: ['vms', i, 'multicast', j], message: `group ${formatMac(g)} listed twice`})
        }
      })
    }
  })
  const vmNames = () => (vmIdx.size ? [...vmIdx.keys()].join(', ') : 'none defined')
  const policyIdx = new Map<string, number>()
  ;(f.policies ?? []).forEach((p, i) => {
    if (p.vm !== '*' && !vmIdx.has(p.vm)) {
      issues.push({path: ['policies', i, 'vm'], message: `unknown VM '${p.vm}' (VMs: ${vmNames()}; or "*" for all)`})
    }
    const prev = policyIdx.get(p.vm)
    if (prev !== undefined) issues.push({path: ['policies', i, 'vm'], message: `second policy for '${p.vm}' (also policies[${prev}])`})
    else policyIdx.set(p.vm, i)
  })
  f.operations.forEach((o, i) => {
    const vi = vmIdx.get(o.vm)
    if (vi === undefined) {
      issues.push({path: ['operations', i, 'vm'], message: `unknown VM '${o.vm}' (VMs: ${vmNames()})`})
      return
    }
    if (o.op === 'migrate' && !(f.hosts ?? [{name: DEFAULT_HOST}]).some((h) => h.name === o.to)) {
      issues.push({path: ['operations', i, 'to'], message: `unknown host '${o.to}' (hosts: ${(f.hosts ?? [{name: DEFAULT_HOST}]).map((h) => h.name).join(', ')})`})
    }
    if (o.op === 'vlan' && o.vlan !== null && f.vms[vi].vlans.length > 0) {
      issues.push({
        path: ['operations', i, 'vlan'],
        message: `${o.vm} tags its own VLANs (vlans:); a port VLAN would hide them — remove vlans: from the VM or this op`,
      })
    }
  })
  return issues
}

/** A checked file → the resolved Scenario (defaults filled, operations sorted stably by time). */
export function resolveScenario(f: ScenarioFile, source: string): Scenario {
  const defaultLink = typeof f.params.link_gbps === 'number' ? f.params.link_gbps : DEFAULT_PARAMS.link_gbps
  const hosts: HostSpec[] = (f.hosts ?? [{name: DEFAULT_HOST, nic: 'intel-82599' as const, vfs: undefined, link_gbps: undefined}]).map((h) => ({
    name: h.name,
    nic: h.nic,
    vfs: h.vfs ?? (h.nic === 'none' ? 0 : DEFAULT_VFS),
    linkGbps: h.link_gbps ?? defaultLink,
  }))
  const vms: VmSpec[] = f.vms.map((v) => ({
    name: v.name,
    mac: v.mac,
    host: v.host ?? hosts[0].name,
    vlan: v.vlan,
    vlans: v.vlans,
    multicast: v.multicast,
    promiscuous: v.promiscuous,
    mode: v.mode,
    plugin: v.plugin,
    ...(v.guest_drivers ? {guestDrivers: v.guest_drivers} : {}),
  }))
  const policies: PolicySpec[] = f.policies
    ? f.policies.map((p) => ({
        vm: p.vm,
        allowMacChange: p.allow_mac_change,
        allowVlanChange: p.allow_vlan_change,
        allowPromiscuous: p.allow_promiscuous,
        allowMulticast: p.allow_multicast,
      }))
    : [{vm: '*', ...DEFAULT_POLICY}]
  const operations: OperationSpec[] = f.operations.map((o): OperationSpec => {
    switch (o.op) {
      case 'mac': return {at: o.at, vm: o.vm, op: 'mac', mac: o.mac}
      case 'vlan': return {at: o.at, vm: o.vm, op: 'vlan', vlan: o.vlan}
      case 'multicast': return {at: o.at, vm: o.vm, op: 'multicast', groups: o.groups}
      case 'promiscuous': return {at: o.at, vm: o.vm, op: 'promiscuous', on: o.on}
      case 'mode': return {at: o.at, vm: o.vm, op: 'mode', mode: o.mode}
      case 'migrate': return {at: o.at, vm: o.vm, op: 'migrate', to: o.to, strategy: o.strategy}
      case 'suspend': return {at: o.at, vm: o.vm, op: 'suspend'}
      case 'resume': return {at: o.at, vm: o.vm, op: 'resume'}
    }
  })
  operations.sort((a, b) => a.at - b.at) // Array.prototype.sort is stable: equal times keep file order
  return {version: 1, seed: f.seed, pacing: f.pacing, params: f.params, hosts, vms, policies, operations, source}
}
