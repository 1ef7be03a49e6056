import {existsSync, statSync} from 'node:fs'
import {resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {UserError} from '../errors.js'
import {SHELL_API_VERSION, pluginId, type PluginDefinition, type PluginManifest} from './api.js'
import {acmeVf} from './builtin/acme.js'
import {ixgbevf100, ixgbevf110} from './builtin/ixgbevf.js'
import {vmxnet3} from './builtin/vmxnet3.js'

/** Plugins packaged with the hypervisor (RFC: "the plugin image is provided by the IHVs ... packaged in the hypervisor"). */
export const BUILTIN_PLUGINS: readonly PluginDefinition[] = [vmxnet3, ixgbevf100, ixgbevf110, acmeVf]

/** The catalogue of plugins a run can use: built-ins plus user plugins from --plugin-path. */
export class PluginCatalog {
  private readonly byId = new Map<string, PluginDefinition>()
  private readonly latest = new Map<string, PluginDefinition>()

  constructor(defs: readonly PluginDefinition[] = BUILTIN_PLUGINS) {
    for (const d of defs) this.add(d)
  }

  add(def: PluginDefinition): void {
    const id = pluginId(def.manifest)
    this.byId.set(id, def)
    const cur = this.latest.get(def.manifest.name)
    if (!cur || compareVersions(def.manifest.version, cur.manifest.version) > 0) this.latest.set(def.manifest.name, def)
  }

  /** `name@version` or bare `name` (newest version). Undefined when unknown. */
  get(ref: string): PluginDefinition | undefined {
    return ref.includes('@') ? this.byId.get(ref) : this.latest.get(ref)
  }

  ids(): string[] {
    return [...this.byId.keys()].sort()
  }

  /** Like get() but a UserError naming what exists. */
  require(ref: string, where: string): PluginDefinition {
    const d = this.get(ref)
    if (!d) throw new UserError(`${where}: unknown plugin ${ref}`, {hint: `known plugins: ${this.ids().join(', ')}; load your own with --plugin-path`})
    return d
  }
}

/** Compare dotted numeric versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/**
 * Licence strings the shell accepts: the GPL-compatible module licences of the Linux kernel
 * (include/linux/license.h) and the SPDX ids of the GPL family. The RFC requires IHV plugins under GPL.
 */
const GPL_COMPATIBLE = new Set([
  'GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL',
  'GPL-2.0', 'GPL-2.0-only', 'GPL-2.0-or-later', 'GPL-3.0', 'GPL-3.0-only', 'GPL-3.0-or-later',
])

export type RejectReason = 'licence' | 'shell_api' | 'nic_unsupported'

/** The shell's verification of a plugin before it loads it. Returns null when the plugin may be loaded. */
export function verifyPlugin(m: PluginManifest, nic: string): {reason: RejectReason; message: string} | null {
  if (!GPL_COMPATIBLE.has(m.licence)) return {reason: 'licence', message: `licence "${m.licence}" is not GPL-compatible`}
  if (major(m.shellApi) !== major(SHELL_API_VERSION))
    return {reason: 'shell_api', message: `Shell API ${m.shellApi}, the shell speaks ${SHELL_API_VERSION}`}
  if (!m.nics.includes(nic)) return {reason: 'nic_unsupported', message: `supports ${m.nics.join(', ')}, not ${nic}`}
  return null
}

function major(v: string): string {
  return String(v).split('.')[0]
}

/** Load a user plugin module (ESM, default export a PluginDefinition) and check its shape. */
export async function loadPluginFile(path: string): Promise<PluginDefinition> {
  const abs = resolve(path)
  if (!existsSync(abs)) throw new UserError(`${path}: plugin file not found`, {hint: 'give --plugin-path a .js/.mjs module'})
  if (statSync(abs).isDirectory()) throw new UserError(`${path}: is a directory, expected a plugin module file`)
  let mod: {default?: unknown}
  try {
    mod = (await import(pathToFileURL(abs).href)) as {default?: unknown}
  } catch (err) {
    throw new UserError(`${path}: cannot load plugin module: ${(err as Error).message.split('\n')[0]}`)
  }
  const def = mod.default as Partial<PluginDefinition> | undefined
  const m = def?.manifest as Partial<PluginManifest> | undefined
  if (!def || typeof def.create !== 'function' || !m)
    throw new UserError(`${path}: not a plugin module`, {hint: 'default-export {manifest, create(api)}; see src/plugins/api.ts'})
  for (const k of ['name', 'version', 'vendor', 'licence', 'shellApi'] as const)
    if (typeof m[k] !== 'string' || !m[k]) throw new UserError(`${path}: manifest.${k} must be a non-empty string`)
  if (!Array.isArray(m.nics) || !m.nics.every((n) => typeof n === 'string'))
    throw new UserError(`${path}: manifest.nics must be a list of NIC model names`)
  return def as PluginDefinition
}
