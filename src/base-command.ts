import {Command, Flags} from '@oclif/core'
import {UserError, formatUserError} from './errors.js'

/**
 * Base for every npa-trace command: adds `--debug` and maps a UserError to one line on stderr
 * and its exit code. Other errors are bugs: with `--debug` (or NPA_TRACE_DEBUG=1) they keep their stack.
 */
export abstract class BaseCommand extends Command {
  static baseFlags = {
    debug: Flags.boolean({description: 'Show stack traces for errors', helpGroup: 'GLOBAL'}),
  }

  protected get debugging(): boolean {
    return this.argv.includes('--debug') || process.env.NPA_TRACE_DEBUG === '1'
  }

  protected async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof UserError) {
      if (this.debugging && err.stack) process.stderr.write(err.stack + '\n')
      this.logToStderr(`npa-trace: ${formatUserError(err)}`)
      return this.exit(err.exitCode)
    }
    // oclif's own parse errors (unknown flag, missing arg) already read well; keep them.
    if (!this.debugging && err.oclif) return super.catch(err)
    if (!this.debugging) {
      this.logToStderr(`npa-trace: internal error: ${err.message} (re-run with --debug for the stack; this is a bug)`)
      return this.exit(70)
    }
    return super.catch(err)
  }
}
