import {Flags} from '@oclif/core'
import {BaseCommand} from '../src/base-command.js'
import {
  CONFIG_COLUMNS,
  EVENT_COLUMNS,
  EVENT_SPECS,
  FIXED_DICTIONARIES,
  FRAME_COLUMNS,
  RUN_DICTIONARIES,
  SCHEMA_VERSION,
  type ColumnSpec,
} from '../src/trace/schema.js'

const TABLES = {events: EVENT_COLUMNS, frames: FRAME_COLUMNS, config: CONFIG_COLUMNS} as const
type TableName = keyof typeof TABLES
const FILES: Record<TableName, string> = {events: 'events-NNNN.arrow', frames: 'frames.arrow', config: 'config.arrow'}

export interface SchemaDoc {
  schema_version: string
  events?: {name: string; components: string[]; description: string; aux: string | null}[]
  tables: Partial<Record<TableName, {file: string; columns: {name: string; type: string; nullable: boolean; description: string}[]}>>
  dictionaries: Record<string, readonly string[] | 'per run'>
}

export default class Schema extends BaseCommand {
  static override description = 'Print the trace schema: every event and every column of the events, frames and config tables'
  static override examples = ['<%= config.bin %> schema', '<%= config.bin %> schema --table frames', '<%= config.bin %> schema --json']
  static override flags = {
    json: Flags.boolean({description: 'Print the schema as one JSON object'}),
    table: Flags.string({description: 'Only this table (events also lists the events)', options: Object.keys(TABLES)}),
  }

  async run(): Promise<SchemaDoc> {
    const {flags} = await this.parse(Schema)
    const only = flags.table as TableName | undefined
    const doc = schemaDoc(only)
    this.log(flags.json ? JSON.stringify(doc, null, 2) : schemaText(doc))
    return doc
  }
}

function typeName(t: ColumnSpec['type']): string {
  return t.startsWith('dict:') ? `dictionary(${t.slice(5)})` : t === 'i64' ? 'int64' : t === 'i32' ? 'int32' : t === 'i16' ? 'int16' : t === 'u32' ? 'uint32' : t === 'u16' ? 'uint16' : t === 'u8' ? 'uint8' : t
}

function schemaDoc(only?: TableName): SchemaDoc {
  const names = only ? [only] : (Object.keys(TABLES) as TableName[])
  const doc: SchemaDoc = {schema_version: SCHEMA_VERSION, tables: {}, dictionaries: {}}
  if (names.includes('events')) {
    doc.events = EVENT_SPECS.map((e) => ({
      name: e.name,
      components: ([] as string[]).concat(e.component),
      description: e.description,
      aux: 'aux' in e ? e.aux : null,
    }))
  }
  const dicts = new Set<string>()
  for (const t of names) {
    doc.tables[t] = {
      file: FILES[t],
      columns: TABLES[t].map((c) => {
        if (c.type.startsWith('dict:')) dicts.add(c.type.slice(5))
        return {name: c.name, type: typeName(c.type), nullable: c.nullable, description: c.description}
      }),
    }
  }
  for (const d of [...dicts].sort()) {
    doc.dictionaries[d] = (RUN_DICTIONARIES as readonly string[]).includes(d) ? 'per run' : FIXED_DICTIONARIES[d]
  }
  return doc
}

function pad(s: string, n: number): string {
  return s.length >= n ? s + ' ' : s.padEnd(n)
}

function schemaText(doc: SchemaDoc): string {
  const out: string[] = [`npa-trace trace schema, version ${doc.schema_version} (Arrow metadata npa_trace.schema_version)`]
  if (doc.events) {
    const w = Math.max(...doc.events.map((e) => e.name.length)) + 2
    // Component lists longer than the column (drop: eight emitters) get a line of their own.
    const cw = Math.min(18, Math.max(...doc.events.map((e) => e.components.join(',').length)) + 2)
    const indent = ' '.repeat(w + cw)
    out.push('', `EVENTS (${doc.events.length}; column events.event)`, pad('name', w) + pad('component', cw) + 'description')
    for (const e of doc.events) {
      const comps = e.components.join(',')
      if (comps.length < cw) out.push(pad(e.name, w) + pad(comps, cw) + e.description)
      else out.push(pad(e.name, w) + comps, indent + e.description)
      if (e.aux) out.push(indent + `aux: ${e.aux}`)
    }
  }
  for (const [name, t] of Object.entries(doc.tables)) {
    const w = Math.max(...t.columns.map((c) => c.name.length)) + 2
    const tw = Math.max(...t.columns.map((c) => c.type.length)) + 2
    out.push('', `TABLE ${name} (${t.file}, ${t.columns.length} columns)`, pad('column', w) + pad('type', tw) + pad('null', 6) + 'description')
    for (const c of t.columns) out.push(pad(c.name, w) + pad(c.type, tw) + pad(c.nullable ? 'yes' : 'no', 6) + c.description)
  }
  const dicts = Object.entries(doc.dictionaries)
  if (dicts.length > 0) {
    out.push('', 'DICTIONARIES')
    const w = Math.max(...dicts.map(([d]) => d.length)) + 2
    for (const [d, v] of dicts) out.push(pad(d, w) + (v === 'per run' ? "per run: from the run's scenario" : v.join(', ')))
  }
  return out.join('\n')
}
