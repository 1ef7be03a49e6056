import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {UserError} from '../../src/errors.js'
import {createRunDir, createRunDirAt, isCompleteRun, listRuns, newRunId, resolveRunDir} from '../../src/trace/rundir.js'

const rd = suite('rundir')
const REPO = fileURLToPath(new URL('../..', import.meta.url))
const dirs: string[] = []
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'npa-runs-'))
  dirs.push(d)
  return d
}
rd.after(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

function userError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn()
  } catch (err) {
    assert.instance(err, UserError)
    assert.match((err as Error).message, pattern)
    return
  }
  assert.unreachable(`expected a UserError matching ${pattern}`)
}

rd('newRunId: UTC stamp plus 6 hex digits', () => {
  assert.match(newRunId(new Date(Date.UTC(2026, 10, 27, 22, 45, 1))), /^20261127-224501-[0-9a-f]{6}$/)
  assert.match(newRunId(), /^\d{8}-\d{6}-[0-9a-f]{6}$/)
  assert.is.not(newRunId(), newRunId())
})

rd('commit: partial dir while writing, renamed into place with run.json', () => {
  const root = join(tmp(), 'runs') // created on demand
  const run = createRunDir(root, 'r1')
  assert.is(run.dir, join(root, '.r1.partial'))
  assert.is(run.finalPath, join(root, 'r1'))
  assert.ok(existsSync(run.dir))
  writeFileSync(run.path('events-0000.arrow'), 'x')
  assert.is(run.path('events-0000.arrow'), join(root, '.r1.partial', 'events-0000.arrow'))
  // While being written it is not a run.
  assert.equal(listRuns(root), [])
  assert.not.ok(isCompleteRun(run.dir))
  assert.is(run.commit({run_id: 'r1', counts: {frames: 3}}), join(root, 'r1'))
  assert.not.ok(existsSync(run.dir))
  assert.equal(readdirSync(join(root, 'r1')).sort(), ['events-0000.arrow', 'run.json'])
  assert.equal(JSON.parse(readFileSync(join(root, 'r1', 'run.json'), 'utf8')), {run_id: 'r1', counts: {frames: 3}})
  assert.ok(isCompleteRun(join(root, 'r1')))
  assert.equal(listRuns(root), [{id: 'r1', path: join(root, 'r1')}])
  assert.throws(() => run.commit({}), /already committed/)
  assert.match(run.abort(), /already complete/)
  assert.ok(existsSync(join(root, 'r1')))
})

rd('abort removes the partial directory; nothing is kept', () => {
  const root = tmp()
  const run = createRunDir(root, 'r2')
  writeFileSync(run.path('events-0000.arrow'), 'x')
  assert.match(run.abort('interrupted'), /run r2 stopped \(interrupted\): partial trace removed/)
  assert.not.ok(existsSync(run.dir))
  assert.equal(readdirSync(root), [])
  run.abort() // idempotent
  assert.throws(() => run.commit({}), /already aborted/)
})

rd('an existing run is never overwritten', () => {
  const root = tmp()
  mkdirSync(join(root, 'taken'))
  userError(() => createRunDir(root, 'taken'), /run directory already exists: .*taken/)
  const run = createRunDir(root, 'late')
  writeFileSync(run.path('events-0000.arrow'), 'x')
  mkdirSync(join(root, 'late')) // appears while the replay runs (empty dirs would be replaced by rename)
  userError(() => run.commit({}), /already exists: .*late; this run was left in .*\.late\.partial/)
  assert.ok(existsSync(run.dir))
})

rd('invalid run ids', () => {
  const root = tmp()
  for (const id of ['', '.hidden', 'a/b', '..', 'x.partial', 'sp ace']) userError(() => createRunDir(root, id), /invalid run id/)
})

rd('createRunDirAt: an exact --out directory', () => {
  const base = tmp()
  const run = createRunDirAt(join(base, 'out', 'my-run'))
  assert.is(run.id, 'my-run')
  assert.is(run.finalPath, join(base, 'out', 'my-run'))
  run.abort()
})

rd('resolveRunDir: path or bare id, and errors naming what is missing', () => {
  const root = tmp()
  const run = createRunDir(root, 'good')
  writeFileSync(run.path('events-0000.arrow'), 'x')
  run.commit({})
  assert.is(resolveRunDir('good', root), join(root, 'good'))
  assert.is(resolveRunDir(join(root, 'good'), root), join(root, 'good'))

  userError(() => resolveRunDir('nope', root), /no such run: nope \(looked for nope or .*nope\)/)
  mkdirSync(join(root, 'norunjson'))
  writeFileSync(join(root, 'norunjson', 'events-0000.arrow'), 'x')
  userError(() => resolveRunDir(join(root, 'norunjson'), root), /not a run directory: .*norunjson \(no run\.json\) — was the replay interrupted\?/)
  mkdirSync(join(root, 'noevents'))
  writeFileSync(join(root, 'noevents', 'run.json'), '{}')
  userError(() => resolveRunDir(join(root, 'noevents'), root), /not a run directory: .*noevents \(no events\*\.arrow\)/)
  writeFileSync(join(root, 'afile'), 'x')
  userError(() => resolveRunDir(join(root, 'afile'), root), /not a run directory: .*afile \(not a directory\)/)
  const open = createRunDir(root, 'unfinished')
  userError(() => resolveRunDir('unfinished', root), /run unfinished is not complete: only .*\.unfinished\.partial exists — was the replay interrupted\?/)
  userError(() => resolveRunDir(open.dir, root), /not a run directory: .*\.unfinished\.partial \(an unfinished replay\)/)
  assert.equal(listRuns(root).map((r) => r.id), ['good'])
  open.abort()
})

rd('a replay killed with SIGKILL leaves nothing that looks like a run, and its id can be reused', async () => {
  const root = tmp()
  const rundir = join(REPO, 'src', 'trace', 'rundir.ts')
  const child = join(root, 'child.mts')
  // The child starts a run, writes part of a trace, says so, then waits to be killed.
  writeFileSync(child, [
    `import {createRunDir} from ${JSON.stringify(rundir)}`,
    `import {writeFileSync} from 'node:fs'`,
    `const run = createRunDir(${JSON.stringify(join(root, 'runs'))}, 'killed')`,
    `writeFileSync(run.path('events-0000.arrow'), 'half a file')`,
    `process.stdout.write('ready\\n')`,
    `setInterval(() => {}, 1000)`,
  ].join('\n'))
  const proc = spawn(process.execPath, ['--import', 'tsx', child], {cwd: REPO, stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  proc.stderr.on('data', (b) => (stderr += b))
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (b) => String(b).includes('ready') && resolve())
    proc.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)))
  })
  const runs = join(root, 'runs')
  // While the child lives, its id is taken.
  userError(() => createRunDir(runs, 'killed'), /being written by another replay \(pid \d+\)/)
  const exited = new Promise((resolve) => proc.once('exit', (_code, signal) => resolve(signal)))
  proc.kill('SIGKILL')
  assert.is(await exited, 'SIGKILL')

  assert.equal(readdirSync(runs), ['.killed.partial'])
  assert.equal(listRuns(runs), [])
  assert.not.ok(isCompleteRun(join(runs, '.killed.partial')))
  userError(() => resolveRunDir('killed', runs), /was the replay interrupted\?/)
  // A new replay with the same id takes the dead one's place.
  const again = createRunDir(runs, 'killed')
  assert.equal(readdirSync(again.dir).filter((f) => !f.startsWith('.')), [])
  writeFileSync(again.path('events-0000.arrow'), 'x')
  again.commit({})
  assert.equal(listRuns(runs).map((r) => r.id), ['killed'])
})

rd.run()
