/** Scenarios: the YAML format (schema.ts), loading (load.ts), derivation from a capture (derive.ts), YAML output (format.ts). */
export type {HostSpec, Mode, NicModel, OperationSpec, Pacing, PolicySpec, Scenario, VmSpec} from './types.js'
export {
  DEFAULT_HOST,
  DEFAULT_POLICY,
  DEFAULT_VFS,
  MAX_VFS,
  MODES,
  NIC_MODELS,
  VF_MAX_MC_HASHES,
  formatMac,
  formatTimeNs,
  parseMacText,
  parseTimeNs,
} from './schema.js'
export {formatKeyPath, loadScenario, parseScenario} from './load.js'
export {deriveScenario, deriveScenarioDetailed, derivationHeader, type DeriveOptions, type DeriveStats} from './derive.js'
export {scenarioToYaml, type YamlOptions} from './format.js'
