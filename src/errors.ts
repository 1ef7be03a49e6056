/**
 * The one error type users see. Anything thrown as a UserError becomes a single line on stderr
 * (`npa-trace: <message>` plus an optional hint) and a non-zero exit code; no stack trace unless
 * `--debug`. Anything else is a bug and is shown with its stack.
 */
export class UserError extends Error {
  readonly hint?: string
  readonly exitCode: number

  constructor(message: string, options: {hint?: string; exitCode?: number; cause?: unknown} = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'UserError'
    this.hint = options.hint
    this.exitCode = options.exitCode ?? 1
  }
}

/** A capture file that cannot be read: names the file, the place (record/block and byte offset) and the problem. */
export class CaptureFormatError extends UserError {
  readonly file: string
  readonly offset: number

  constructor(file: string, offset: number, where: string, problem: string, hint?: string) {
    super(`${file}: ${where ? `${where} ` : ''}at byte ${offset}: ${problem}`, {hint})
    this.name = 'CaptureFormatError'
    this.file = file
    this.offset = offset
  }
}

/** One line for a UserError: message, then the hint after an em dash-free separator. */
export function formatUserError(err: UserError): string {
  return err.hint ? `${err.message} (${err.hint})` : err.message
}
