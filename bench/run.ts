/**
 * `npm run bench`: every hot-path benchmark in turn (each prints its own figures). Benchmarks, not
 * tests: nothing here passes or fails. Run one alone with `npm run bench:<name>`.
 */
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const benches = ['capture', 'queue', 'eswitch', 'trace', 'replay', 'analysis']
for (const b of benches) {
  const file = fileURLToPath(new URL(`${b}.bench.ts`, import.meta.url))
  if (!existsSync(file)) continue
  console.log(`\n=== bench:${b} ===`)
  execFileSync(process.execPath, ['--import', 'tsx', file], {stdio: 'inherit'})
}
