/**
 * `replay --repeat n`: the same capture and scenario replayed n times with seeds s, s+1, …, s+n−1 (the
 * seed moves the model's DMA latency tail and guest CPU spread), so `compare` can tell noise from change.
 * Layout: `<group>/r01 … rNN` (each a complete run) and `<group>/repeat.json`, written last, which marks
 * the group complete. An interrupted or failed group is removed whole.
 */
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {UserError} from '../errors.js'
import {DEFAULT_RUNS_ROOT, newRunId} from '../trace/rundir.js'
import {replay, resolveReplayInputs, type ReplayOptions, type ReplaySummary} from './replay.js'

export const REPEAT_JSON = 'repeat.json'

export interface RepeatSummary {
  group: string
  seeds: number[]
  runs: ReplaySummary[]
}

export async function replayRepeated(opts: ReplayOptions, n: number): Promise<RepeatSummary> {
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UserError(`--repeat ${n}: expected an integer 1..1000`)
  const {scenario} = await resolveReplayInputs(opts)
  const base = opts.seed ?? scenario.seed
  const group = opts.out ?? join(opts.runsRoot ?? DEFAULT_RUNS_ROOT, newRunId())
  if (existsSync(group)) throw new UserError(`${group}: already exists`, {hint: 'choose another --out; runs are never overwritten'})
  const partial = `${group}.partial-group`
  rmSync(partial, {recursive: true, force: true})
  mkdirSync(partial, {recursive: true})
  const runs: ReplaySummary[] = []
  const seeds: number[] = []
  try {
    for (let i = 0; i < n; i++) {
      const seed = (base + i) >>> 0
      const name = `r${String(i + 1).padStart(String(n).length < 2 ? 2 : String(n).length, '0')}`
      runs.push(await replay({...opts, seed, out: join(partial, name)}))
      seeds.push(seed)
    }
    writeFileSync(join(partial, REPEAT_JSON), JSON.stringify({runs: runs.map((r) => r.runId), seeds, capture: opts.capture}, null, 2) + '\n')
    renameSync(partial, group)
  } catch (err) {
    rmSync(partial, {recursive: true, force: true})
    throw err
  }
  for (const r of runs) r.runDir = join(group, r.runId)
  return {group, seeds, runs}
}

/** The run directories of a repeat group, or null when `dir` is not one. */
export function repeatGroupRuns(dir: string): string[] | null {
  const f = join(dir, REPEAT_JSON)
  if (!existsSync(f)) return null
  const j = JSON.parse(readFileSync(f, 'utf8')) as {runs: string[]}
  return j.runs.map((r) => join(dir, r))
}
