/**
 * Charts of notebook cells: a short spec (YAML/JSON in a ```chart block) → a Vega-Lite spec → SVG,
 * rendered in Node with vega's headless renderer (`renderer: 'none'` + toSVG), so the report holds
 * plain SVG: no script, no network, nothing to load when it is opened.
 *
 *   type:   line | bar | area | point | rule | tick | rect | cdf
 *   x, y, x2, y2, color, offset (grouped bars: xOffset), column, row, order, size, shape: column names
 *   x_type, y_type, color_type: quantitative | nominal | ordinal | temporal (default: from the SQL type)
 *   title, x_title, y_title, color_title; width, height (px); log: x | y | xy; zero: false
 *   stack: true | false | normalize;  sort: <column> (order of the nominal axis) | none;  horizontal: true
 *   interpolate: step-after | monotone | ...;  points: true (line with points)
 *   vega_lite: {...}   merged into the generated spec last (escape hatch for anything else)
 *
 * `cdf` draws the empirical CDF of column `x` per `color` (and `column`/`row`) group: the values are
 * sorted in JS and reduced to at most CDF_POINTS points per group (nearest-rank quantiles), so a cell
 * may return every latency of a run without making the SVG huge.
 */

export const CHART_TYPES = ['line', 'bar', 'area', 'point', 'rule', 'tick', 'rect', 'cdf'] as const
export type ChartType = (typeof CHART_TYPES)[number]
const FIELD_KEYS = ['x', 'y', 'x2', 'y2', 'color', 'offset', 'column', 'row', 'order', 'size', 'shape'] as const
type FieldKey = (typeof FIELD_KEYS)[number]
const MEASURE_TYPES = ['quantitative', 'nominal', 'ordinal', 'temporal'] as const
type MeasureType = (typeof MEASURE_TYPES)[number]

export interface ChartSpec {
  type: ChartType
  fields: Partial<Record<FieldKey, string>>
  types: Partial<Record<'x' | 'y' | 'color', MeasureType>>
  title?: string
  xTitle?: string
  yTitle?: string
  colorTitle?: string
  width?: number
  height?: number
  log?: 'x' | 'y' | 'xy'
  zero?: boolean
  stack?: boolean | 'normalize'
  sort?: string
  horizontal?: boolean
  interpolate?: string
  points?: boolean
  vegaLite?: Record<string, unknown>
}

/** Rows a chart takes at most (a cdf reduces its input first): past it the cell should aggregate in SQL. */
export const MAX_CHART_ROWS = 20_000
/** Points per group of a cdf chart. */
export const CDF_POINTS = 500
const DEFAULT_WIDTH = 640
const DEFAULT_HEIGHT = 240
const FACET_WIDTH = 280

const KNOWN_KEYS = new Set<string>(['type', ...FIELD_KEYS, 'x_type', 'y_type', 'color_type', 'title', 'x_title', 'y_title', 'color_title',
  'width', 'height', 'log', 'zero', 'stack', 'sort', 'horizontal', 'interpolate', 'points', 'vega_lite'])

/** Validate a parsed chart block. Throws Error with a one-line message (the parser adds file:line). */
export function parseChartSpec(raw: unknown): ChartSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('expected a mapping such as {type: line, x: t_ms, y: frames}')
  const o = raw as Record<string, unknown>
  for (const k of Object.keys(o)) if (!KNOWN_KEYS.has(k)) throw new Error(`unknown key "${k}" (known: ${[...KNOWN_KEYS].join(', ')})`)
  const type = o.type
  if (typeof type !== 'string' || !(CHART_TYPES as readonly string[]).includes(type)) {
    throw new Error(`type must be one of ${CHART_TYPES.join(', ')}, got ${JSON.stringify(type)}`)
  }
  const str = (k: string): string | undefined => {
    const v = o[k]
    if (v === undefined) return undefined
    if (v === '' && k.endsWith('title')) return '' // an empty title: no title
    if (typeof v !== 'string' || v === '') throw new Error(`${k} must be a non-empty string, got ${JSON.stringify(v)}`)
    return v
  }
  const num = (k: string): number | undefined => {
    const v = o[k]
    if (v === undefined) return undefined
    if (typeof v !== 'number' || !(v > 0) || v > 4000) throw new Error(`${k} must be a number of pixels (1..4000), got ${JSON.stringify(v)}`)
    return v
  }
  const bool = (k: string): boolean | undefined => {
    const v = o[k]
    if (v === undefined) return undefined
    if (typeof v !== 'boolean') throw new Error(`${k} must be true or false, got ${JSON.stringify(v)}`)
    return v
  }
  const fields: ChartSpec['fields'] = {}
  for (const k of FIELD_KEYS) {
    const v = str(k)
    if (v !== undefined) fields[k] = v
  }
  const types: ChartSpec['types'] = {}
  for (const k of ['x', 'y', 'color'] as const) {
    const v = str(`${k}_type`)
    if (v === undefined) continue
    if (!(MEASURE_TYPES as readonly string[]).includes(v)) throw new Error(`${k}_type must be one of ${MEASURE_TYPES.join(', ')}, got "${v}"`)
    types[k] = v as MeasureType
  }
  if (!fields.x) throw new Error('x is required (the column on the x axis; for cdf, the values)')
  if (type !== 'cdf' && !fields.y && type !== 'rule' && type !== 'tick') throw new Error(`y is required for a ${type} chart`)
  const log = str('log')
  if (log !== undefined && !['x', 'y', 'xy'].includes(log)) throw new Error(`log must be x, y or xy, got "${log}"`)
  const stack = o.stack
  if (stack !== undefined && typeof stack !== 'boolean' && stack !== 'normalize') throw new Error(`stack must be true, false or normalize, got ${JSON.stringify(stack)}`)
  const vl = o.vega_lite
  if (vl !== undefined && (vl === null || typeof vl !== 'object' || Array.isArray(vl))) throw new Error('vega_lite must be a mapping (merged into the Vega-Lite spec)')
  return {
    type: type as ChartType,
    fields,
    types,
    title: str('title'),
    xTitle: str('x_title'),
    yTitle: str('y_title'),
    colorTitle: str('color_title'),
    width: num('width'),
    height: num('height'),
    log: log as ChartSpec['log'],
    zero: bool('zero'),
    stack: stack as ChartSpec['stack'],
    sort: str('sort'),
    horizontal: bool('horizontal'),
    interpolate: str('interpolate'),
    points: bool('points'),
    vegaLite: vl as Record<string, unknown> | undefined,
  }
}

/** The measure type of a DuckDB column type: numbers are quantitative, timestamps temporal, the rest nominal. */
export function measureOf(duckType: string): MeasureType {
  const t = duckType.toUpperCase()
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL|REAL)/.test(t)) return 'quantitative'
  if (/^(TIMESTAMP|DATE)/.test(t)) return 'temporal'
  return 'nominal'
}

/** A value as a chart datum: numbers stay numbers, big integers (strings from the session) become numbers, lists become JSON. */
function datum(v: unknown, quantitative: boolean): unknown {
  if (v === null || v === undefined) return null
  if (typeof v === 'number' || typeof v === 'boolean') return v
  if (typeof v === 'string') return quantitative && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v) ? Number(v) : v
  if (v instanceof Date) return v.toISOString()
  return JSON.stringify(v)
}

/** Reduce rows to the empirical CDF of `x` per group: {group fields..., x, fraction}. */
export function cdfRows(rows: Record<string, unknown>[], x: string, groupBy: string[], maxPoints = CDF_POINTS): Record<string, unknown>[] {
  const groups = new Map<string, {key: Record<string, unknown>; values: number[]}>()
  for (const r of rows) {
    const raw = r[x]
    if (raw === null || raw === undefined) continue
    const v = Number(raw)
    if (!Number.isFinite(v)) continue
    const k = JSON.stringify(groupBy.map((g) => r[g] ?? null))
    let g = groups.get(k)
    if (!g) {
      const key: Record<string, unknown> = {}
      for (const f of groupBy) key[f] = datum(r[f], false)
      g = {key, values: []}
      groups.set(k, g)
    }
    g.values.push(v)
  }
  const out: Record<string, unknown>[] = []
  for (const g of groups.values()) {
    const vs = Float64Array.from(g.values).sort()
    const n = vs.length
    const pts = Math.min(n, maxPoints)
    // nearest rank: the point at fraction f = k/pts is the ceil(f*n)-th smallest value
    out.push({...g.key, [x]: vs[0], fraction: 0})
    for (let k = 1; k <= pts; k++) {
      const rank = Math.ceil((k / pts) * n)
      out.push({...g.key, [x]: vs[rank - 1], fraction: rank / n})
    }
  }
  return out
}

export interface ChartInput {
  columns: string[]
  types: string[]
  rows: Record<string, unknown>[]
}

export interface BuiltChart {
  /** The Vega-Lite spec, data inlined. */
  spec: Record<string, unknown>
  /** Data rows handed to Vega-Lite (after the cdf reduction). */
  points: number
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {...a}
  for (const [k, v] of Object.entries(b)) {
    const av = out[k]
    out[k] = av && typeof av === 'object' && !Array.isArray(av) && v && typeof v === 'object' && !Array.isArray(v)
      ? deepMerge(av as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out
}

function distinctOf(values: Record<string, unknown>[], field: string): number {
  return new Set(values.map((v) => v[field])).size
}

function markTypeOf(chart: ChartSpec): string {
  return chart.type === 'cdf' ? 'line' : chart.type
}

/** Build the Vega-Lite spec of a chart over a query result. Throws Error with a one-line message. */
export function buildVegaLite(chart: ChartSpec, input: ChartInput): BuiltChart {
  const colType = new Map(input.columns.map((c, i) => [c, input.types[i]]))
  for (const [k, f] of Object.entries(chart.fields)) {
    if (!colType.has(f)) throw new Error(`${k}: "${f}" is not a column of the result (columns: ${input.columns.join(', ')})`)
  }
  if (chart.sort && chart.sort !== 'none' && !colType.has(chart.sort)) {
    throw new Error(`sort: "${chart.sort}" is not a column of the result (columns: ${input.columns.join(', ')})`)
  }
  const f = chart.fields
  const isCdf = chart.type === 'cdf'
  if (!isCdf && input.rows.length > MAX_CHART_ROWS) {
    throw new Error(`${input.rows.length} rows is more than a chart takes (${MAX_CHART_ROWS}); aggregate in SQL (time buckets, quantiles) or use type: cdf`)
  }
  const measure = (k: 'x' | 'y' | 'color', field: string): MeasureType =>
    chart.types[k] ?? measureOf(colType.get(field) ?? 'VARCHAR')

  let values: Record<string, unknown>[]
  const enc: Record<string, Record<string, unknown>> = {}
  const title = (fallback: string, t?: string): string | null => (t === '' ? null : t ?? fallback)
  if (isCdf) {
    const groupBy = [f.color, f.column, f.row].filter((g): g is string => g !== undefined)
    values = cdfRows(input.rows, f.x!, groupBy)
    enc.x = {field: f.x, type: 'quantitative', title: title(f.x!, chart.xTitle)}
    enc.y = {field: 'fraction', type: 'quantitative', title: title('fraction ≤ x', chart.yTitle), scale: {domain: [0, 1]}}
  } else {
    const quant = new Set(input.columns.filter((c) => measureOf(colType.get(c)!) === 'quantitative'))
    values = input.rows.map((r) => {
      const o: Record<string, unknown> = {}
      for (const c of input.columns) o[c] = datum(r[c], quant.has(c))
      return o
    })
    const xm = measure('x', f.x!)
    enc.x = {field: f.x, type: xm, title: title(f.x!, chart.xTitle)}
    if (f.y) enc.y = {field: f.y, type: measure('y', f.y), title: title(f.y, chart.yTitle)}
    if (f.x2) enc.x2 = {field: f.x2}
    if (f.y2) enc.y2 = {field: f.y2}
    if (f.offset) enc[chart.horizontal ? 'yOffset' : 'xOffset'] = {field: f.offset, type: 'nominal', sort: null}
    if (f.order) enc.order = {field: f.order, type: 'quantitative'}
    if (f.size) enc.size = {field: f.size, type: 'quantitative'}
    if (f.shape) enc.shape = {field: f.shape, type: 'nominal'}
    if (chart.stack !== undefined && enc.y && chart.type !== 'rect') enc.y.stack = chart.stack === true ? 'zero' : chart.stack === false ? null : 'normalize'
    if (chart.horizontal && enc.y) [enc.x, enc.y] = [enc.y, enc.x]
  }
  if (f.color) enc.color = {field: f.color, type: isCdf ? 'nominal' : measure('color', f.color), title: title(f.color, chart.colorTitle)}
  // nominal axes keep the SQL order unless told otherwise: the cell's ORDER BY is the author's intent
  for (const ch of ['x', 'y', 'color'] as const) {
    const e = enc[ch]
    if (!e || e.type === 'quantitative' || e.type === 'temporal') continue
    e.sort = chart.sort && chart.sort !== 'none' ? {field: chart.sort, op: 'min'} : null
  }
  // more series than category10 has colours: tableau20, so no two series share one
  if (enc.color && enc.color.type === 'nominal' && distinctOf(values, f.color!) > 10) enc.color.scale = {scheme: 'tableau20'}
  if (chart.log) {
    for (const ch of chart.log.split('') as ('x' | 'y')[]) {
      const axis = chart.horizontal && !isCdf ? (ch === 'x' ? 'y' : 'x') : ch
      if (!enc[axis]) continue
      enc[axis].scale = {...(enc[axis].scale as object | undefined), type: 'log'}
      // bars and areas stack from zero, which a log scale cannot show: draw them unstacked from the smallest value
      if (markTypeOf(chart) === 'bar' || markTypeOf(chart) === 'area') enc[axis].stack = null
    }
  }
  if (chart.zero === false) {
    for (const ch of ['x', 'y'] as const) if (enc[ch]?.type === 'quantitative') enc[ch].scale = {...(enc[ch].scale as object | undefined), zero: false}
  }
  const faceted = Boolean(f.column || f.row)
  // a band (nominal) axis gets a size from its categories, so two bars do not each fill 300 px
  const distinct = (field: string | undefined): number => (field ? distinctOf(values, field) : 1)
  const bandSize = (axisField: string | undefined): number => distinct(axisField) * distinct(f.offset) * 22 + 40
  const xBand = !isCdf && enc.x && enc.x.type !== 'quantitative' && enc.x.type !== 'temporal'
  const yBand = !isCdf && enc.y && enc.y.type !== 'quantitative' && enc.y.type !== 'temporal'
  const autoWidth = xBand ? Math.min(DEFAULT_WIDTH, Math.max(160, bandSize(enc.x.field as string))) : f.column ? FACET_WIDTH : DEFAULT_WIDTH
  const autoHeight = yBand ? Math.min(720, Math.max(80, bandSize(enc.y.field as string))) : DEFAULT_HEIGHT
  const markType = isCdf ? 'line' : chart.type
  const mark: Record<string, unknown> = {type: markType}
  if (markType === 'line' || markType === 'area') {
    if (chart.interpolate || isCdf) mark.interpolate = chart.interpolate ?? 'step-after'
    if (chart.points) mark.point = true
  }
  if (markType === 'point') mark.filled = true
  let spec: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: {values},
    mark,
    encoding: enc,
    width: chart.width ?? autoWidth,
    height: chart.height ?? autoHeight,
    config: {font: 'system-ui, sans-serif', view: {stroke: '#ddd'}, axis: {labelLimit: 320}, legend: {labelLimit: 320}, header: {labelLimit: 320}},
  }
  if (chart.title) spec.title = chart.title
  if (faceted) {
    const facet: Record<string, unknown> = {}
    if (f.column) facet.column = {field: f.column, type: 'nominal', sort: null}
    if (f.row) facet.row = {field: f.row, type: 'nominal', sort: null}
    const {data, width, height, title: t, config, $schema} = spec
    spec = {$schema, data, facet, spec: {mark, encoding: enc, width, height}, config, ...(t ? {title: t} : {})}
    // each small multiple shows only its own categories on a band axis
    const scale: Record<string, string> = {}
    if (xBand) scale.x = 'independent'
    if (yBand) scale.y = 'independent'
    if (f.offset && (xBand || yBand)) scale[chart.horizontal ? 'yOffset' : 'xOffset'] = 'independent'
    if (Object.keys(scale).length) spec.resolve = {scale}
  }
  if (chart.vegaLite) spec = deepMerge(spec, chart.vegaLite)
  return {spec, points: values.length}
}

export interface RenderedChart {
  svg: string
  points: number
  warnings: string[]
}

/**
 * Render a chart to SVG. `idPrefix` makes the SVG's internal ids (clip paths, gradients) unique
 * within the page: several charts in one HTML file would otherwise share `clip1`.
 */
export async function renderChart(chart: ChartSpec, input: ChartInput, idPrefix: string): Promise<RenderedChart> {
  const {spec, points} = buildVegaLite(chart, input)
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')])
  const warnings: string[] = []
  const logger = collectingLogger(warnings)
  // the types of vega-lite's spec are very deep; the spec was built and checked above
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0], {logger: logger as never}).spec
  const view = new vega.View(vega.parse(compiled), {renderer: 'none', logger: logger as never})
  try {
    const svg = await view.toSVG()
    return {svg: uniqueIds(svg, idPrefix), points, warnings: [...new Set(warnings)]}
  } finally {
    view.finalize()
  }
}

/** A vega/vega-lite logger that keeps warnings and errors instead of printing them. */
function collectingLogger(sink: string[]): Record<string, unknown> {
  let level = 2
  const logger: Record<string, unknown> = {
    level(l?: number) {
      if (l === undefined) return level
      level = l
      return logger
    },
    error(...args: unknown[]) {
      sink.push(args.map(String).join(' '))
      return logger
    },
    warn(...args: unknown[]) {
      sink.push(args.map(String).join(' '))
      return logger
    },
    info() {
      return logger
    },
    debug() {
      return logger
    },
  }
  return logger
}

/** Prefix every id="..." of an SVG and its url(#...) / href="#..." references. */
export function uniqueIds(svg: string, prefix: string): string {
  const ids = new Set<string>()
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1])
  if (ids.size === 0) return svg
  const p = prefix.replace(/[^\w-]/g, '_')
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_m, a: string, id: string, b: string) => `${a}${p}-${id}${b}`)
    .replace(/url\(#([^)]+)\)/g, (m, id: string) => (ids.has(id) ? `url(#${p}-${id})` : m))
    .replace(/(href=")#([^"]+)(")/g, (m, a: string, id: string, b: string) => (ids.has(id) ? `${a}#${p}-${id}${b}` : m))
}
