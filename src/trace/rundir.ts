/**
 * Run directories: `traces/runs/<run-id>/` holding events-NNNN.arrow, frames.arrow, config.arrow and
 * run.json (DESIGN.md §3). A run is written under `<root>/.<run-id>.partial/` and renamed into place
 * by commit(), so a directory that looks like a run is whole: a replay killed with SIGKILL leaves only
 * a dot-named `.partial` directory without run.json, which listRuns() and resolveRunDir() never
 * take for a run. run.json is written last, just before the rename.
 */
import {randomBytes} from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {UserError} from '../errors.js'

export const DEFAULT_RUNS_ROOT = 'traces/runs'
export const RUN_JSON = 'run.json'
const PARTIAL_SUFFIX = '.partial'
/** Inside a partial directory: the writer's pid, so a later replay can tell a live writer from a dead one. */
const OWNER_FILE = '.owner-pid'
const EVENTS_FILE = /^events(-\d+)?\.arrow$/

export interface RunDir {
  readonly id: string
  readonly root: string
  /** The partial directory being written. */
  readonly dir: string
  /** Where commit() puts the run. */
  readonly finalPath: string
  /** A file inside the partial directory. */
  path(name: string): string
  /** Write run.json, then rename the partial directory to finalPath; returns finalPath. */
  commit(runJson: unknown): string
  /** Remove the partial directory (errors, Ctrl-C); returns a one-line account for the user. Idempotent. */
  abort(reason?: string): string
}

export interface RunInfo {
  id: string
  path: string
}

/** `20261127-224501-1a2b3c`: UTC wall time of the start plus 24 random bits (sorts by start time). */
export function newRunId(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`
  return `${stamp}-${randomBytes(3).toString('hex')}`
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

function checkRunId(id: string): void {
  if (!RUN_ID.test(id) || id.endsWith(PARTIAL_SUFFIX) || id.length > 200) {
    throw new UserError(`invalid run id "${id}": use letters, digits, '.', '_' and '-', not starting with '.'`, {
      hint: 'the run id is the last component of --out',
    })
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // exists, owned by someone else
  }
}

/**
 * Start a run: creates `<root>/.<runId>.partial/` (root is created if needed). Fails with a UserError
 * if `<root>/<runId>` already exists or another live process is writing the same run id; a partial
 * directory left by a dead replay of the same id is removed and reused.
 */
export function createRunDir(root: string = DEFAULT_RUNS_ROOT, runId: string = newRunId()): RunDir {
  checkRunId(runId)
  const finalPath = path.join(root, runId)
  const dir = path.join(root, `.${runId}${PARTIAL_SUFFIX}`)
  if (fs.existsSync(finalPath)) {
    throw new UserError(`run directory already exists: ${finalPath}`, {hint: 'choose another --out or delete the old run'})
  }
  try {
    fs.mkdirSync(root, {recursive: true})
  } catch (err) {
    throw new UserError(`cannot create the runs directory ${root}: ${(err as Error).message}`, {cause: err})
  }
  try {
    fs.mkdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new UserError(`cannot create ${dir}: ${(err as Error).message}`, {cause: err})
    }
    const owner = readOwner(dir)
    if (owner !== null && owner !== process.pid && pidAlive(owner)) {
      throw new UserError(`run ${runId} is being written by another replay (pid ${owner}) in ${dir}`, {hint: 'wait for it or choose another --out'})
    }
    // Left behind by a replay that died (SIGKILL, power loss): nothing in it is a run.
    fs.rmSync(dir, {recursive: true, force: true})
    fs.mkdirSync(dir)
  }
  fs.writeFileSync(path.join(dir, OWNER_FILE), `${process.pid}\n`)

  let state: 'open' | 'committed' | 'aborted' = 'open'
  return {
    id: runId,
    root,
    dir,
    finalPath,
    path: (name: string) => path.join(dir, name),
    commit(runJson: unknown): string {
      if (state !== 'open') throw new Error(`RunDir.commit: run ${runId} is already ${state}`)
      if (fs.existsSync(finalPath)) {
        throw new UserError(`run directory already exists: ${finalPath}; this run was left in ${dir}`, {
          hint: `move it into place yourself: mv ${dir} <new name>`,
        })
      }
      const json = path.join(dir, RUN_JSON)
      const fd = fs.openSync(json, 'w')
      try {
        fs.writeSync(fd, JSON.stringify(runJson, null, 2) + '\n')
        fs.fsyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
      fs.rmSync(path.join(dir, OWNER_FILE), {force: true})
      fs.renameSync(dir, finalPath)
      state = 'committed'
      return finalPath
    },
    abort(reason?: string): string {
      const why = reason ? ` (${reason})` : ''
      if (state === 'committed') return `run ${runId} was already complete in ${finalPath}; nothing removed${why}`
      if (state === 'open') {
        fs.rmSync(dir, {recursive: true, force: true})
        state = 'aborted'
      }
      return `run ${runId} stopped${why}: partial trace removed, nothing kept`
    },
  }
}

/** createRunDir for an exact directory (`--out path/to/run`): root = its parent, id = its name. */
export function createRunDirAt(out: string): RunDir {
  const resolved = path.resolve(out)
  return createRunDir(path.dirname(resolved), path.basename(resolved))
}

function readOwner(dir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory()
  } catch {
    return false
  }
}

/** A complete run: a directory (not a .partial one) with run.json and at least one events*.arrow. */
export function isCompleteRun(dir: string): boolean {
  return missingPart(dir) === null
}

/** What keeps `dir` from being a run, or null if it is one. */
function missingPart(dir: string): string | null {
  if (!isDir(dir)) return 'not a directory'
  if (path.basename(path.resolve(dir)).endsWith(PARTIAL_SUFFIX)) return 'an unfinished replay (.partial)'
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch (err) {
    return `unreadable: ${(err as Error).message}`
  }
  if (!names.includes(RUN_JSON)) return 'no run.json'
  if (!names.some((f) => EVENTS_FILE.test(f))) return 'no events*.arrow'
  return null
}

/** Complete runs under root, sorted by id (ids from newRunId sort by start time). A missing root has none. */
export function listRuns(root: string = DEFAULT_RUNS_ROOT): RunInfo[] {
  let names: string[]
  try {
    names = fs.readdirSync(root)
  } catch {
    return []
  }
  return names
    .filter((n) => !n.startsWith('.'))
    .sort()
    .map((id) => ({id, path: path.join(root, id)}))
    .filter((r) => isCompleteRun(r.path))
}

/**
 * A run directory from a user argument: a path to the directory, or a bare run id under root.
 * Throws a UserError naming what is missing.
 */
export function resolveRunDir(arg: string, root: string = DEFAULT_RUNS_ROOT): string {
  const candidates = [arg]
  if (!arg.includes('/') && !arg.includes(path.sep) && !path.isAbsolute(arg)) candidates.push(path.join(root, arg))
  const existing = candidates.find((c) => fs.existsSync(c))
  if (existing === undefined) {
    const partial = path.join(root, `.${path.basename(arg)}${PARTIAL_SUFFIX}`)
    if (fs.existsSync(partial)) {
      throw new UserError(`run ${arg} is not complete: only ${partial} exists — was the replay interrupted?`, {
        hint: 'replay the capture again',
      })
    }
    const looked = candidates.length > 1 ? `${candidates[0]} or ${candidates[1]}` : candidates[0]
    throw new UserError(`no such run: ${arg} (looked for ${looked})`, {hint: `runs are directories under ${root}; list them with: ls ${root}`})
  }
  const missing = missingPart(existing)
  if (missing === 'no run.json') {
    throw new UserError(`not a run directory: ${existing} (no run.json) — was the replay interrupted?`)
  }
  if (missing === 'an unfinished replay (.partial)') {
    throw new UserError(`not a run directory: ${existing} (an unfinished replay) — was the replay interrupted?`)
  }
  if (missing !== null) throw new UserError(`not a run directory: ${existing} (${missing})`)
  return existing
}
