import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {RecordBatchFileWriter, tableFromArrays, tableFromIPC} from 'apache-arrow'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {IpcTemplate} from '../../src/trace/ipc.js'
import {EVENT_COLUMNS, FRAME_COLUMNS, type ColumnSpec} from '../../src/trace/schema.js'
import {TableWriter} from '../../src/trace/writer.js'

const s = suite('IPC framing')
const dirs: string[] = []
s.after(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'npa-ipc-'))
  dirs.push(d)
  return d
}

const DICTS = {host: ['h0', 'h1'], vm: ['a', 'b', 'c'], plugin: ['p@1', 'q@2'], target: ['a', 'b', 'c', 'pf', 'uplink', 'external']}

/** `rows` seeded random rows (~30 % nulls) written through row(), rolling files, with either framing. */
function write(dir: string, columns: readonly ColumnSpec[], rows: number, arrowFraming: boolean): string[] {
  const w = new TableWriter(join(dir, 't'), columns, {dictionaries: DICTS, batchRows: 64, maxRowsPerFile: 150, arrowFraming})
  let x = 12345
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32)
  for (let i = 0; i < rows; i++) {
    const r = w.row()
    for (const c of columns) {
      if (c.nullable && rnd() < 0.3) continue // rows start null
      w.cols[c.name][r] = c.type === 'i64' ? Math.floor(rnd() * 2 ** 45) - (c.nullable ? 0 : 2 ** 44) : Math.floor(rnd() * 2)
    }
  }
  return w.close().files
}

const footerStart = (b: Buffer) => b.length - 10 - b.readInt32LE(b.length - 10)

for (const [name, columns] of [['events', EVENT_COLUMNS], ['frames', FRAME_COLUMNS]] as const) {
  s(`${name}: our framing writes apache-arrow's bytes up to the footer, and readers see the same table (several files, ragged batches)`, () => {
    const ours = write(tmp(), columns, 400, false)
    const theirs = write(tmp(), columns, 400, true)
    assert.is(ours.length, 3)
    assert.is(theirs.length, 3)
    ours.forEach((f, i) => {
      const a = readFileSync(f)
      const b = readFileSync(theirs[i])
      assert.is(footerStart(a), footerStart(b), `file ${i}: same length up to the footer`)
      assert.ok(a.subarray(0, footerStart(a)).equals(b.subarray(0, footerStart(b))), `file ${i}: same bytes up to the footer`)
      const ta = tableFromIPC(a)
      const tb = tableFromIPC(b)
      assert.is(ta.numRows, tb.numRows)
      assert.is(ta.batches.length, tb.batches.length)
      assert.equal(ta.toArray().map((r) => r.toJSON()), tb.toArray().map((r) => r.toJSON()))
      assert.equal(ta.schema.metadata, tb.schema.metadata)
    })
  })
}

s('an empty table is still a readable file', () => {
  const [f] = write(tmp(), EVENT_COLUMNS, 0, false)
  const t = tableFromIPC(readFileSync(f))
  assert.is(t.numRows, 0)
  assert.equal(t.schema.fields.map((x) => x.name), EVENT_COLUMNS.map((c) => c.name))
})

s('IpcTemplate refuses a file that is not one record batch of the schema', () => {
  const table = tableFromArrays({a: Int32Array.of(1, 2), b: Float64Array.of(1, 2)})
  const one = RecordBatchFileWriter.writeAll(table).toUint8Array(true)
  assert.ok(new IpcTemplate(one, 2))
  assert.throws(() => new IpcTemplate(one, 3), /nodes and buffers per column/)
  const two = RecordBatchFileWriter.writeAll([...table.batches, ...table.batches]).toUint8Array(true)
  assert.throws(() => new IpcTemplate(two, 2), /end of stream/) // a second batch where the stream should end
  assert.throws(() => new IpcTemplate(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 2), /magic/)
})

s.run()
