import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {RecordBatchFileReader, tableFromIPC, type Table} from 'apache-arrow'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {UserError} from '../../src/errors.js'
import {COMP, CONFIG_COLUMNS, EV, EVENT_COLUMNS, MODE, REASON, REASONS, SCHEMA_VERSION, type ColumnSpec} from '../../src/trace/schema.js'
import {allocColumnArrays, TableWriter, type ColumnArray} from '../../src/trace/writer.js'

const w = suite('TableWriter')
const dirs: string[] = []
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'npa-writer-'))
  dirs.push(d)
  return d
}
w.after(() => {
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

const RUN = {host: ['h0', 'h1'], vm: ['web', 'db', 'cache'], plugin: ['vmxnet3@1.0.0', 'ixgbevf@1.1.0'], target: ['web', 'db', 'cache', 'pf']}
const read = (file: string): Table => tableFromIPC(readFileSync(file))
const col = (t: Table, name: string): unknown[] => [...t.getChild(name)!].map((v) => (typeof v === 'bigint' ? Number(v) : v))

/** 50 event rows over 4 batches of 16: every 5th row has a VM, every 7th a drop reason. */
function writeEvents(target: string, opts: {batchRows?: number; maxRowsPerFile?: number; rows?: number} = {}) {
  const tw = new TableWriter(target, EVENT_COLUMNS, {dictionaries: RUN, metadata: {'npa_trace.run_id': 'r1'}, batchRows: opts.batchRows ?? 16, maxRowsPerFile: opts.maxRowsPerFile})
  const c = tw.cols
  for (let i = 0; i < (opts.rows ?? 50); i++) {
    const r = tw.row()
    c.t_ns[r] = 2 ** 40 + i * 1000 // above 2^32: both int64 words used
    c.event[r] = i % 7 === 0 ? EV.drop : EV.wire_rx
    c.component[r] = COMP.wire
    c.packet_id[r] = i
    if (i % 5 === 0) c.vm[r] = i % 3
    if (i % 7 === 0) c.reason[r] = REASON.rx_ring_full
    if (i % 2 === 0) c.len[r] = 60 + i
    c.cpu_ns[r] = i * 10
    if (i === 3) c.aux[r] = -(2 ** 40) // negative int64 through the word split
  }
  return tw.close()
}

w('round trip: values, nulls, dictionaries, metadata, several batches', () => {
  const d = tmp()
  const res = writeEvents(join(d, 'events'))
  assert.equal(res.files, [join(d, 'events-0000.arrow')])
  assert.is(res.rows, 50)
  assert.is(res.bytes, readFileSync(res.files[0]).byteLength)

  const reader = RecordBatchFileReader.from(readFileSync(res.files[0]))
  const batches = [...reader].map((b) => b.numRows)
  assert.equal(batches, [16, 16, 16, 2])

  const t = read(res.files[0])
  assert.is(t.numRows, 50)
  assert.is(t.schema.metadata.get('npa_trace.schema_version'), SCHEMA_VERSION)
  assert.is(t.schema.metadata.get('npa_trace.table'), 'events')
  assert.is(t.schema.metadata.get('npa_trace.run_id'), 'r1')
  assert.equal(t.schema.fields.map((f) => f.name), EVENT_COLUMNS.map((c) => c.name))
  assert.equal(t.schema.fields.map((f) => f.nullable), EVENT_COLUMNS.map((c) => c.nullable))
  assert.is(String(t.schema.fields[1].type), 'Dictionary<Int8, Utf8>')
  assert.is(String(t.schema.fields[0].type), 'Int64')

  const i50 = Array.from({length: 50}, (_, i) => i)
  assert.equal(col(t, 't_ns'), i50.map((i) => 2 ** 40 + i * 1000))
  assert.equal(col(t, 'packet_id'), i50)
  assert.equal(col(t, 'event'), i50.map((i) => (i % 7 === 0 ? 'drop' : 'wire_rx')))
  assert.equal(col(t, 'component'), i50.map(() => 'wire'))
  assert.equal(col(t, 'vm'), i50.map((i) => (i % 5 === 0 ? RUN.vm[i % 3] : null)))
  assert.equal(col(t, 'reason'), i50.map((i) => (i % 7 === 0 ? 'rx_ring_full' : null)))
  assert.equal(col(t, 'len'), i50.map((i) => (i % 2 === 0 ? 60 + i : null)))
  assert.equal(col(t, 'cpu_ns'), i50.map((i) => i * 10))
  assert.equal(col(t, 'aux'), i50.map((i) => (i === 3 ? -(2 ** 40) : null)))
  // Columns never set are null in every row, also after a batch was flushed (no stale values).
  for (const name of ['replica', 'host', 'mode', 'plugin', 'queue', 'ring', 'desc_idx', 'vlan', 'target', 'detail', 'side']) {
    assert.equal(col(t, name), i50.map(() => null), name)
  }
  // The declared dictionaries, whole, whichever codes are used.
  assert.equal([...t.getChild('vm')!.data[0].dictionary!].map(String), RUN.vm)
  assert.equal([...t.getChild('reason')!.data[0].dictionary!].map(String), [...REASONS])
})

w('same rows give byte-identical files; different metadata does not', () => {
  const a = writeEvents(join(tmp(), 'events'))
  const b = writeEvents(join(tmp(), 'events'))
  assert.ok(readFileSync(a.files[0]).equals(readFileSync(b.files[0])))
  const d = tmp()
  const c = new TableWriter(join(d, 'events'), EVENT_COLUMNS, {dictionaries: RUN, metadata: {'npa_trace.run_id': 'r2'}, batchRows: 16})
  c.close()
  const e = new TableWriter(join(d, 'other'), EVENT_COLUMNS, {dictionaries: RUN, metadata: {'npa_trace.run_id': 'r2'}, batchRows: 16, table: 'events'})
  e.close()
  assert.ok(readFileSync(join(d, 'events-0000.arrow')).equals(readFileSync(join(d, 'other-0000.arrow'))))
  assert.not.ok(readFileSync(a.files[0]).equals(readFileSync(join(d, 'events-0000.arrow'))))
})

w('rolls files at maxRowsPerFile, batches never straddle files', () => {
  const d = tmp()
  const res = writeEvents(join(d, 'events'), {batchRows: 16, maxRowsPerFile: 20})
  assert.equal(res.files.map((f) => f.slice(d.length + 1)), ['events-0000.arrow', 'events-0001.arrow', 'events-0002.arrow'])
  const perFile = res.files.map((f) => [...RecordBatchFileReader.from(readFileSync(f))].map((b) => b.numRows))
  assert.equal(perFile, [[16, 4], [16, 4], [10]])
  const ids = res.files.flatMap((f) => col(read(f), 'packet_id'))
  assert.equal(ids, Array.from({length: 50}, (_, i) => i))
  // Each file is complete on its own: schema, metadata, dictionaries.
  const last = read(res.files[2])
  assert.is(last.schema.metadata.get('npa_trace.table'), 'events')
  assert.equal(col(last, 'vm').slice(0, 1), ['db']) // row 40: vm index 40 % 3 = 1

  // Exactly at the boundary: no empty trailing file.
  const d2 = tmp()
  const res2 = writeEvents(join(d2, 'events'), {batchRows: 16, maxRowsPerFile: 25, rows: 50})
  assert.is(res2.files.length, 2)
  assert.equal(res2.files.map((f) => read(f).numRows), [25, 25])
})

w('an empty table is one file with the schema and no rows', () => {
  const d = tmp()
  const tw = new TableWriter(join(d, 'events'), EVENT_COLUMNS, {dictionaries: RUN})
  const res = tw.close()
  assert.is(res.rows, 0)
  assert.equal(res.files, [join(d, 'events-0000.arrow')])
  const t = read(res.files[0])
  assert.is(t.numRows, 0)
  assert.is(t.schema.fields.length, EVENT_COLUMNS.length)
  assert.is(t.schema.metadata.get('npa_trace.schema_version'), SCHEMA_VERSION)
})

const ALL: ColumnSpec[] = (['i64', 'i32', 'i16', 'u32', 'u16', 'u8', 'bool', 'utf8', 'dict:mode'] as const).flatMap((type) => [
  {name: `${type.replace(':', '_')}_n`, type, nullable: true, description: 'nullable'},
  {name: `${type.replace(':', '_')}_v`, type, nullable: false, description: 'not nullable'},
])

w('every column type: null sentinels, extremes and append()', () => {
  const d = tmp()
  const tw = new TableWriter(join(d, 'all.arrow'), ALL, {batchRows: 8})
  // Row 0 through the arrays: -1 everywhere (null in nullable columns, and for unsigned arrays
  // the stored maximum), extremes in the others.
  const r = tw.row()
  for (const name of Object.keys(tw.cols)) tw.cols[name][r] = -1
  tw.strings.utf8_v[r] = 'héllo'
  tw.cols.i64_v[r] = Number.MAX_SAFE_INTEGER
  tw.cols.bool_v[r] = 1
  tw.cols.dict_mode_v[r] = MODE.emulated
  // Row 1 through append: values; -1/null/missing make nullable columns null.
  tw.append({i64_n: 2 ** 33, i64_v: -5, i32_n: -2, i32_v: 7, i16_n: -1, i16_v: -32768, u32_n: 4294967294, u32_v: 4294967295,
    u16_n: null, u16_v: 65535, u8_n: 254, u8_v: 255, bool_n: false, bool_v: true, utf8_n: '', utf8_v: 'x', dict_mode_n: 'passthrough', dict_mode_v: 1})
  // Rows 2..9: cross a batch boundary with a nullable column left unset.
  for (let i = 0; i < 8; i++) tw.append({i64_v: i, i32_v: i, i16_v: i, u32_v: i, u16_v: i, u8_v: i, bool_v: i % 2 === 1, utf8_v: `r${i}`, dict_mode_v: 'emulated'})
  const res = tw.close()
  assert.equal(res.files, [join(d, 'all.arrow')])
  const t = read(res.files[0])
  assert.is(t.numRows, 10)
  const row = (i: number) => Object.fromEntries(t.schema.fields.map((f) => [f.name, col(t, f.name)[i]]))
  assert.equal(row(0), {
    i64_n: null, i64_v: Number.MAX_SAFE_INTEGER, i32_n: null, i32_v: -1, i16_n: null, i16_v: -1, u32_n: null, u32_v: 4294967295,
    u16_n: null, u16_v: 65535, u8_n: null, u8_v: 255, bool_n: null, bool_v: true, utf8_n: null, utf8_v: 'héllo', dict_mode_n: null, dict_mode_v: 'emulated',
  })
  assert.equal(row(1), {
    i64_n: 2 ** 33, i64_v: -5, i32_n: -2, i32_v: 7, i16_n: null, i16_v: -32768, u32_n: 4294967294, u32_v: 4294967295,
    u16_n: null, u16_v: 65535, u8_n: 254, u8_v: 255, bool_n: false, bool_v: true, utf8_n: '', utf8_v: 'x', dict_mode_n: 'passthrough', dict_mode_v: 'emulated',
  })
  assert.equal(row(9), {
    i64_n: null, i64_v: 7, i32_n: null, i32_v: 7, i16_n: null, i16_v: 7, u32_n: null, u32_v: 7,
    u16_n: null, u16_v: 7, u8_n: null, u8_v: 7, bool_n: null, bool_v: true, utf8_n: null, utf8_v: 'r7', dict_mode_n: null, dict_mode_v: 'emulated',
  })
  assert.equal(col(t, 'bool_v'), [true, true, false, true, false, true, false, true, false, true])
})

w('validity bitmaps (word-at-a-time for 8/16-bit columns): random nulls, ragged tails, aligned and unaligned arrays', () => {
  const d = tmp()
  const spec: ColumnSpec[] = (['u8', 'i16', 'u16', 'dict:mode', 'i32', 'u32'] as const).map((type) => ({name: type.replace(':', '_'), type, nullable: true, description: ''}))
  let seed = 7
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
  for (const n of [8, 61, 64, 203]) {
    for (const shift of [0, 1]) {
      const tw = new TableWriter(join(d, `v${n}-${shift}.arrow`), spec, {batchRows: 256})
      // Arrays as a producer on another thread may hand them: same types, here at a 1-element offset (not word-aligned).
      const arrays: Record<string, ColumnArray> = {}
      for (const [name, a] of Object.entries(tw.cols)) {
        const Ctor = a.constructor as new (b: ArrayBuffer, o: number, l: number) => typeof a
        arrays[name] = new Ctor(new ArrayBuffer((256 + 1) * a.BYTES_PER_ELEMENT), shift * a.BYTES_PER_ELEMENT, 256)
      }
      const want: Record<string, (number | null)[]> = {}
      for (const c of spec) {
        want[c.name] = []
        for (let i = 0; i < n; i++) {
          // Values next to the sentinel and at lane edges (0x7f/0x80, 0xfe/0xfffe/-2) as well as random ones.
          const edges = {u8: [0, 1, 0x7f, 0x80, 0xfe], u16: [0, 1, 0x7fff, 0x8000, 0xfffe], u32: [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe]}[c.type as string] ??
            [0, 1, -2, 0x7fff, -32768]
          const v = rnd() < 0.4 ? null : c.type === 'dict:mode' ? (rnd() < 0.5 ? 0 : 1) : rnd() < 0.5 ? edges[Math.floor(rnd() * 5)] : Math.floor(rnd() * 250)
          arrays[c.name][i] = v === null ? -1 : v
          want[c.name].push(v)
        }
      }
      tw.writeBatchFrom(arrays, n)
      tw.close()
      const t = read(join(d, `v${n}-${shift}.arrow`))
      for (const c of spec) {
        const got = col(t, c.name)
        const exp = c.type === 'dict:mode' ? want[c.name].map((v) => (v === null ? null : v === 0 ? 'passthrough' : 'emulated')) : want[c.name]
        assert.equal(got, exp, `${c.name} n=${n} shift=${shift}`)
        assert.is(t.getChild(c.name)!.nullCount, want[c.name].filter((v) => v === null).length, `${c.name} null count`)
        // Null slots are written as 0 (reproducible files whatever the producer left there).
        for (let i = 0; i < n; i++) if (want[c.name][i] === null) assert.is(arrays[c.name][i], 0, `${c.name}[${i}] zeroed`)
      }
    }
  }
})

w('writeBatchFrom: a batch that crosses a file boundary is split across the two files, rows in order', () => {
  const d = tmp()
  const tw = new TableWriter(join(d, 'events'), EVENT_COLUMNS, {dictionaries: RUN, batchRows: 64, maxRowsPerFile: 100})
  const arrays = allocColumnArrays(EVENT_COLUMNS, RUN, 64)
  let row = 0
  for (const n of [40, 40, 40, 40, 7]) {
    for (const a of Object.values(arrays)) a.fill(-1, 0, n)
    for (let i = 0; i < n; i++) {
      arrays.t_ns[i] = row
      arrays.event[i] = EV.wire_rx
      arrays.component[i] = COMP.wire
      arrays.packet_id[i] = row++
      arrays.cpu_ns[i] = 0
    }
    tw.writeBatchFrom(arrays, n)
  }
  const res = tw.close()
  assert.equal(res.files, [join(d, 'events-0000.arrow'), join(d, 'events-0001.arrow')])
  assert.is(res.rows, 167)
  const batches = res.files.map((f) => [...RecordBatchFileReader.from(readFileSync(f))].map((b) => b.numRows))
  assert.equal(batches, [[40, 40, 20], [20, 40, 7]])
  const ids = res.files.flatMap((f) => col(read(f), 'packet_id'))
  assert.equal(ids, Array.from({length: 167}, (_, i) => i))
})

w('append() refuses what the column cannot hold and keeps the table consistent', () => {
  const d = tmp()
  const tw = new TableWriter(join(d, 'all.arrow'), ALL)
  const ok = {i64_v: 1, i32_v: 1, i16_v: 1, u32_v: 1, u16_v: 1, u8_v: 1, bool_v: true, utf8_v: 'a', dict_mode_v: 'emulated'}
  assert.throws(() => tw.append({...ok, nope: 1}), /unknown column nope/)
  assert.throws(() => tw.append({...ok, i32_v: null}), /i32_v is not nullable/)
  assert.throws(() => tw.append({...ok, u8_v: 256}), /cannot hold 256/)
  assert.throws(() => tw.append({...ok, u16_n: 65535}), /null sentinel/)
  assert.throws(() => tw.append({...ok, i16_v: 1.5}), /not an integer/)
  assert.throws(() => tw.append({...ok, dict_mode_v: 'bogus'}), /"bogus" is not in the dictionary/)
  assert.throws(() => tw.append({...ok, dict_mode_v: 7}), /outside its dictionary/)
  assert.throws(() => tw.append({...ok, utf8_v: 3}), /takes a string/)
  assert.is(tw.rows, 0) // every failed append took its row back
  tw.append(ok)
  assert.is(tw.close().rows, 1)
  assert.is(read(join(d, 'all.arrow')).numRows, 1)
})

w('config table through append()', () => {
  const d = tmp()
  const tw = new TableWriter(join(d, 'config.arrow'), CONFIG_COLUMNS, {dictionaries: RUN})
  tw.append({vm: 'db', host: 'h1', mac: 0x020000000001, vlan: 100, vlans: '100,200', multicast: '*', promiscuous: false, mode: 'passthrough',
    plugin: 'ixgbevf@1.1.0', port: 'vf0', valid_from_ns: 0, valid_to_ns: 5000})
  tw.append({vm: 0, host: 0, mac: 0x020000000002, vlans: '', multicast: '', promiscuous: true, mode: MODE.emulated, plugin: -1, port: 'pf',
    valid_from_ns: 5000, valid_to_ns: null})
  tw.close()
  const t = read(join(d, 'config.arrow'))
  assert.is(t.schema.metadata.get('npa_trace.table'), 'config')
  assert.equal(col(t, 'vm'), ['db', 'web'])
  assert.equal(col(t, 'mac'), [0x020000000001, 0x020000000002])
  assert.equal(col(t, 'vlan'), [100, null])
  assert.equal(col(t, 'vlans'), ['100,200', ''])
  assert.equal(col(t, 'promiscuous'), [false, true])
  assert.equal(col(t, 'plugin'), ['ixgbevf@1.1.0', null])
  assert.equal(col(t, 'valid_to_ns'), [5000, null])
})

w('dictionaries above 32767 entries get Int32 codes', () => {
  const d = tmp()
  const targets = Array.from({length: 40000}, (_, i) => `ext:${i}`)
  const spec: ColumnSpec[] = [{name: 'target', type: 'dict:target', nullable: true, description: 't'}]
  const tw = new TableWriter(join(d, 't.arrow'), spec, {dictionaries: {target: targets}})
  assert.instance(tw.cols.target, Int32Array)
  tw.cols.target[tw.row()] = 39999
  tw.cols.target[tw.row()] = tw.code('target', 'ext:3')
  tw.close()
  const t = read(join(d, 't.arrow'))
  assert.is(String(t.schema.fields[0].type), 'Dictionary<Int32, Utf8>')
  assert.equal(col(t, 'target'), ['ext:39999', 'ext:3'])
})

w('configuration errors', () => {
  const d = tmp()
  assert.throws(() => new TableWriter(join(d, 'events'), EVENT_COLUMNS, {}), /needs dictionary "host"/)
  assert.throws(() => new TableWriter(join(d, 'events'), EVENT_COLUMNS, {dictionaries: {...RUN, vm: ['a', 'a']}}), /lists "a" twice/)
  assert.throws(() => new TableWriter(join(d, 'f.arrow'), CONFIG_COLUMNS, {dictionaries: RUN, maxRowsPerFile: 10}), /needs a prefix/)
  assert.throws(() => new TableWriter(join(d, 'f.arrow'), CONFIG_COLUMNS, {dictionaries: RUN, rolling: true}), /need a prefix/)
  assert.throws(() => new TableWriter(join(d, 'events'), EVENT_COLUMNS, {dictionaries: RUN, batchRows: 10}), /multiple of 8/)
  const tw = new TableWriter(join(d, 'c.arrow'), CONFIG_COLUMNS, {dictionaries: RUN})
  assert.throws(() => tw.code('vm', 'nobody'), /not in the dictionary of column vm/)
  assert.throws(() => tw.code('mac', 'x'), /not dictionary-encoded/)
  tw.close()
  assert.throws(() => tw.close(), /already closed/)
  assert.throws(() => tw.row(), /after close/)
  // Unwritable place: a UserError naming the file.
  const bad = new TableWriter(join(d, 'missing-dir', 'c.arrow'), CONFIG_COLUMNS, {dictionaries: RUN})
  try {
    bad.close()
    assert.unreachable('should have thrown')
  } catch (err) {
    assert.instance(err, UserError)
    assert.match((err as Error).message, /cannot write trace file .*missing-dir\/c\.arrow/)
  }
})

w('destroy() closes the file unfinished and refuses further rows', () => {
  const d = tmp()
  const tw = new TableWriter(join(d, 'events'), EVENT_COLUMNS, {dictionaries: RUN, batchRows: 8})
  for (let i = 0; i < 20; i++) tw.cols.t_ns[tw.row()] = i // two batches reach the file
  tw.destroy()
  assert.throws(() => tw.row(), /after close/)
  const bytes = readFileSync(join(d, 'events-0000.arrow'))
  assert.ok(bytes.byteLength > 0)
  assert.throws(() => tableFromIPC(bytes)) // no footer: not a readable Arrow file
})

w.run()
