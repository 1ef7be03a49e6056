#!/usr/bin/env node
// `import 'tsx'` resolves from this file, so it works from any cwd (a `--import tsx` shebang does not).
import 'tsx'
import {execute} from '@oclif/core'
import {existsSync} from 'node:fs'

if (existsSync(new URL('../oclif.manifest.json', import.meta.url))) {
  console.warn('bin/dev.js: oclif.manifest.json present -> oclif would run the compiled dist/ code. Delete it.')
}

await execute({development: true, dir: import.meta.url})
