/**
 * Start one of our worker threads from its module next to the caller: the compiled `.js` when it
 * exists (npx npa-trace, benches), else the TypeScript source through tsx (tests, bin/dev.js). tsx's
 * ESM hooks are not active in a worker on Node 20, so the source is started as CommonJS with tsx's
 * require hook, which compiles the .ts.
 *
 * The compiled worker gets no execArgv: a parent started with `--import tsx` (a bench) would otherwise
 * load tsx into every worker too.
 */
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

/** `js` is the worker module's URL with a .js extension (`new URL('./x-worker.js', import.meta.url)`). */
export function startWorker(js: URL, workerData: unknown): Worker {
  if (existsSync(fileURLToPath(js))) return new Worker(js, {workerData, execArgv: []})
  const tsxCjs = fileURLToPath(import.meta.resolve('tsx/cjs'))
  const ts = fileURLToPath(js).replace(/\.js$/, '.ts')
  return new Worker(`require(${JSON.stringify(tsxCjs)}); require(${JSON.stringify(ts)})`, {eval: true, workerData})
}
