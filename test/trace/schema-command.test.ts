import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CONFIG_COLUMNS, EVENT_COLUMNS, EVENT_NAMES, FRAME_COLUMNS, REASONS, SCHEMA_VERSION} from '../../src/trace/schema.js'

process.env.NODE_ENV ??= 'test' // otherwise oclif runs in prod mode and loads dist/ instead of the TS sources
const config = await Config.load({root: fileURLToPath(new URL('../..', import.meta.url))})
const s = suite('schema command')

const lineStarting = (out: string, word: string) => out.split('\n').some((l) => l.startsWith(word + ' '))

s('lists every event and every column of the three tables', async () => {
  const {error, stdout} = await runCommand(['schema'], config)
  assert.is(error, undefined)
  assert.match(stdout, `version ${SCHEMA_VERSION}`)
  for (const e of EVENT_NAMES) assert.ok(lineStarting(stdout, e), `event ${e}`)
  for (const c of [...EVENT_COLUMNS, ...FRAME_COLUMNS, ...CONFIG_COLUMNS]) assert.ok(lineStarting(stdout, c.name), `column ${c.name}`)
  assert.match(stdout, 'TABLE events (events-NNNN.arrow, 20 columns)')
  assert.match(stdout, 'TABLE frames (frames.arrow,')
  assert.match(stdout, 'TABLE config (config.arrow,')
  // Event components, aux meanings, column types and the fixed dictionaries are shown.
  assert.ok(stdout.split('\n').some((l) => /^wire_tx\s+wire\s+Frame serialized/.test(l)))
  assert.match(stdout, 'aux: serialization ns including preamble+IFG')
  assert.ok(stdout.split('\n').some((l) => /^t_ns\s+int64\s+no\s+Simulated time/.test(l)))
  assert.ok(stdout.split('\n').some((l) => /^vm\s+dictionary\(vm\)\s+yes\s+/.test(l)))
  assert.match(stdout, REASONS.join(', '))
  assert.match(stdout, "per run: from the run's scenario")
})

s('--json carries the same registry', async () => {
  const {error, stdout} = await runCommand(['schema', '--json'], config)
  assert.is(error, undefined)
  const doc = JSON.parse(stdout)
  assert.is(doc.schema_version, SCHEMA_VERSION)
  assert.equal(doc.events.map((e: {name: string}) => e.name), [...EVENT_NAMES])
  assert.equal(doc.events.find((e: {name: string}) => e.name === 'drop').components.length, 8)
  assert.is(doc.events.find((e: {name: string}) => e.name === 'frame_in').aux, null)
  assert.equal(Object.keys(doc.tables), ['events', 'frames', 'config'])
  assert.equal(doc.tables.frames.columns.map((c: {name: string}) => c.name), FRAME_COLUMNS.map((c) => c.name))
  assert.equal(doc.tables.events.columns[0], {name: 't_ns', type: 'int64', nullable: false, description: EVENT_COLUMNS[0].description})
  assert.equal(doc.dictionaries.reason, [...REASONS])
  assert.is(doc.dictionaries.vm, 'per run')
})

s('--table narrows to one table (events also lists the events)', async () => {
  const frames = await runCommand(['schema', '--table', 'frames'], config)
  assert.is(frames.error, undefined)
  assert.match(frames.stdout, 'TABLE frames')
  assert.not.match(frames.stdout, 'TABLE events')
  assert.not.match(frames.stdout, 'EVENTS')
  assert.not.ok(lineStarting(frames.stdout, 'desc_post'))
  const events = await runCommand(['schema', '--table', 'events', '--json'], config)
  const doc = JSON.parse(events.stdout)
  assert.equal(Object.keys(doc.tables), ['events'])
  assert.is(doc.events.length, EVENT_NAMES.length)
  const bad = await runCommand(['schema', '--table', 'nope'], config)
  assert.is(bad.error?.oclif?.exit, 2)
  assert.match(bad.error?.message ?? '', /Expected --table=nope to be one of: events, frames, config/)
})

s.run()
