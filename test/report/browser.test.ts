/**
 * The report in a real browser: Debian's chromium, driven by playwright-core, opens the HTML from
 * file://, with no network. No console errors, every chart's SVG has marks and a size, and a
 * screenshot is saved (its path is printed). Skips with a message when /usr/bin/chromium is absent
 * (.ci/run installs it).
 */
import {existsSync, mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {sharedReports} from './fixtures.js'

const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync']

const browser = suite('report: in headless chromium')

if (!existsSync(CHROMIUM)) {
  browser(`skipped: ${CHROMIUM} is absent (apt-get install chromium; .ci/run does it)`, () => {
    console.log(`  (browser test skipped: ${CHROMIUM} is absent)`)
  })
} else {
  browser('the reports (every bundled notebook) open with no console error, every chart drawn, and a screenshot', async () => {
    const {single, compare} = await sharedReports()
    assert.equal([...single.res.notebooks, ...compare.res.notebooks].filter((n) => n.cells > 0).map((n) => n.name),
      ['latency', 'switching', 'cpu', 'migration', 'compare'])
    const {chromium} = await import('playwright-core')
    const profile = mkdtempSync(join(tmpdir(), 'npa-trace-chromium-'))
    const shots = mkdtempSync(join(tmpdir(), 'npa-trace-screenshot-'))
    const context = await chromium.launchPersistentContext(profile, {executablePath: CHROMIUM, headless: true, args: FLAGS})
    try {
      for (const [name, r] of [['single', single], ['compare', compare]] as const) {
        const charts = r.res.notebooks.reduce((s, n) => s + n.charts, 0)
        assert.ok(charts >= 4, `${name}: ${charts} charts`)
        const page = await context.newPage()
        const problems: string[] = []
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
        })
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
        page.on('requestfailed', (q) => problems.push(`request failed: ${q.url()}`))
        const requests: string[] = []
        page.on('request', (q) => requests.push(q.url()))
        await page.setViewportSize({width: 1280, height: 900})
        await page.goto(pathToFileURL(r.file).href, {waitUntil: 'load'})

        const figures = await page.$$eval('figure.chart', (figs) => figs.map((f) => {
          const svg = f.querySelector('svg')
          const box = svg?.getBoundingClientRect()
          const els = svg ? [...svg.querySelectorAll('g.role-mark > path, g.role-mark > line')] : []
          // data marks only (role-mark; not axes or legend swatches). The thickest bar, line, area or symbol: a chart whose bars collapsed to hairlines has marks but shows nothing
          const biggest = Math.max(0, ...els.filter((e) => e.tagName === 'path').map((e) => {
            const b = e.getBoundingClientRect()
            return Math.min(b.width, b.height)
          }))
          return {cell: f.getAttribute('data-cell'), width: box?.width ?? 0, height: box?.height ?? 0, marks: els.length, biggest}
        }))
        assert.is(figures.length, charts, `${name}: every chart is in the page`)
        for (const f of figures) {
          assert.ok(f.width > 50 && f.height > 50, `${name}: chart ${f.cell} has a size (${f.width}x${f.height})`)
          assert.ok(f.marks > 0, `${name}: chart ${f.cell} has marks`)
          assert.ok(f.biggest >= 3, `${name}: chart ${f.cell} draws something visible (thickest mark ${f.biggest} px)`)
        }
        assert.is(await page.$$eval('.cell-error', (els) => els.length), 0)
        assert.equal(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), [], 'nothing fetched from the network')
        const shot = join(shots, `${name}.png`)
        await page.screenshot({path: shot, fullPage: true})
        assert.ok(statSync(shot).size > 10_000)
        console.log(`  screenshot: ${shot}`)
        assert.equal(problems, [], `${name}: no console errors or warnings`)
        await page.close()
      }
    } finally {
      await context.close()
      rmSync(profile, {recursive: true, force: true})
    }
  })
}

browser.run()
