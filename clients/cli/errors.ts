/**
 * Errors a user can act on. The CLI prints `mqchat: <message>` on one line and exits 1;
 * anything else is a bug and keeps its stack trace.
 */
export class CliError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CliError'
  }
}

/** A problem+json answer from the REST API (docs/protocol.md, "Rejection reasons and REST error codes"). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string
  ) {
    super(`${code}: ${detail}`)
    this.name = 'ApiError'
  }
}

/** The server did not answer: refused, unknown host, timed out. */
export class Unreachable extends CliError {
  constructor(url: string, reason: string) {
    super(`cannot reach ${url} (${reason})`)
    this.name = 'Unreachable'
  }
}
