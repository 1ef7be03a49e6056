/**
 * Scenario loading: YAML text → validated, resolved Scenario. Every problem becomes ONE line
 * `<file>:<line>:<col>: <key path>: <problem>` (a UserError); when there are several, the first by
 * position in the file is reported with "(+N more)".
 */
import {readFileSync} from 'node:fs'
import {isMap, isScalar, isSeq, LineCounter, parseDocument, type Document} from 'yaml'
import type {core as zcore} from 'zod'
import {UserError} from '../errors.js'
import {closeNames, crossCheck, knownKeys, resolveScenario, ScenarioFileSchema, type ScenarioIssue} from './schema.js'
import type {Scenario} from './types.js'

/** Reads and validates a scenario file (Scenario.source = path). */
export function loadScenario(path: string): Scenario {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UserError(`${path}: no such scenario file`)
    if (code === 'EISDIR') throw new UserError(`${path}: is a directory; expected a YAML scenario file`)
    throw new UserError(`${path}: cannot read the scenario file (${code ?? (error as Error).message})`)
  }
  return parseScenario(text, path)
}

/** Validates scenario YAML; `fileName` is used in messages and as Scenario.source. */
export function parseScenario(text: string, fileName: string): Scenario {
  const lc = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lc, prettyErrors: true})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0])
    // prettyErrors appends " at line L, column C:" and a source excerpt; keep the first sentence.
    const problem = e.code === 'MULTIPLE_DOCS'
      ? 'a scenario file holds one YAML document; remove the second "---" and what follows or merge them'
      : e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').replace(/\s+/g, ' ').trim()
    throw new UserError(`${fileName}:${pos.line}:${pos.col}: YAML syntax: ${problem}${more(doc.errors.length - 1)}`)
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw new UserError(`${fileName}:1:1: (root): empty scenario; expected a mapping starting with version: 1`)
  }
  const raw: unknown = doc.toJS({maxAliasCount: 10_000})
  const parsed = ScenarioFileSchema.safeParse(raw, {reportInput: true})
  if (!parsed.success) throw issuesError(fileName, doc, lc, parsed.error.issues.flatMap(fromZod))
  const cross = crossCheck(parsed.data)
  if (cross.length > 0) throw issuesError(fileName, doc, lc, cross)
  return resolveScenario(parsed.data, fileName)
}

function more(n: number): string {
  return n > 0 ? ` (+${n} more)` : ''
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 37) + '...' : v}"`
  return `${typeof v} ${String(v)}`
}

/** zod issue → our issue(s). Messages we wrote in schema.ts start lower-case and are kept; zod's defaults are rephrased. */
function fromZod(issue: zcore.$ZodIssue): ScenarioIssue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
  const input = (issue as {input?: unknown}).input
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(path, input)
      return issue.keys.map((key) => {
        const close = closeNames(key, known)
        const tail = close.length ? `did you mean ${close.join(' or ')}?` : `expected one of: ${known.join(', ')}`
        return {path: [...path, key], at: 'key' as const, message: `unknown key '${key}' (${tail})`}
      })
    }
    case 'invalid_union':
      if (issue.discriminator) {
        const options = ((issue as {options?: unknown[]}).options ?? []).map(String).join(' | ')
        const given = (input as Record<string, unknown> | undefined)?.[issue.discriminator]
        const p = path[path.length - 1] === issue.discriminator ? path : [...path, issue.discriminator]
        return [{path: p, message: given === undefined ? `required key is missing (${options})` : `unknown ${issue.discriminator} ${describe(given)} (expected ${options})`}]
      }
      break
    case 'custom':
      return [{path, message: issue.message, at: (issue.params as {at?: 'key'} | undefined)?.at}]
    default:
      break
  }
  if (/^[a-z"]/.test(issue.message)) return [{path, message: input === undefined ? `required key is missing; ${issue.message}` : issue.message}]
  switch (issue.code) {
    case 'invalid_type':
      return [{path, message: input === undefined ? `required key is missing (${issue.expected})` : `expected ${issue.expected}, got ${describe(input)}`}]
    case 'invalid_value':
      return [{path, message: `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${describe(input)}`}]
    case 'too_small':
      return [{path, message: `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${describe(input)}`}]
    case 'too_big':
      return [{path, message: `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, got ${describe(input)}`}]
    default:
      return [{path, message: issue.message.charAt(0).toLowerCase() + issue.message.slice(1)}]
  }
}

/** `vms[0].mac`; `(root)` for the top. */
export function formatKeyPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)'
  let s = ''
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`
  return s
}

/** Source offset of the node at `path`, or of the deepest existing ancestor (a missing key points at its mapping). */
function locate(doc: Document, path: readonly (string | number)[], at: 'key' | 'value' | undefined): number {
  let node: unknown = doc.contents
  let offset = rangeStart(node) ?? 0
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg))
      if (!pair) break
      const keyStart = rangeStart(pair.key)
      if ((i === path.length - 1 && at === 'key') || pair.value === null) {
        offset = keyStart ?? offset
        break
      }
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg]
      if (item === undefined) break
      node = item
    } else break
    offset = rangeStart(node) ?? offset
  }
  return offset
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as {range?: [number, number, number]} | null)?.range
  return r ? r[0] : undefined
}

function issuesError(fileName: string, doc: Document, lc: LineCounter, issues: ScenarioIssue[]): UserError {
  const placed = issues.map((issue, i) => ({issue, i, offset: locate(doc, issue.path, issue.at)}))
  placed.sort((a, b) => a.offset - b.offset || a.i - b.i)
  const first = placed[0]
  const {line, col} = lc.linePos(first.offset)
  return new UserError(`${fileName}:${line}:${col}: ${formatKeyPath(first.issue.path)}: ${first.issue.message}${more(placed.length - 1)}`)
}
