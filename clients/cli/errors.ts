/**
 * Errors a user can act on. The CLI prints `mqchat: <message>` on one line and exits 1 (as it does
 * for the SDK's `ChatError`: a problem+json answer, an unreachable server); anything else is a bug
 * and keeps its stack trace.
 */
export class CliError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CliError'
  }
}
