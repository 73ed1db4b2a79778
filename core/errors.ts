/**
 * The error codes mqchat answers with. The REST API maps them to problem+json
 * (status below); the broker maps send errors to rejection notices on the inbox.
 */
export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_message: 400,
  invalid_request: 400,
  too_large: 413,
  unauthenticated: 401,
  forbidden: 403,
  not_author: 403,
  unknown_room: 404,
  not_found: 404,
  conflict: 409,
  id_taken: 409,
  cannot_add: 422,
  bad_target: 422,
  rate_limited: 429,
  unavailable: 503
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export class MqchatError extends Error {
  readonly code: ErrorCode
  readonly details: unknown

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message)
    this.name = 'MqchatError'
    this.code = code
    this.details = details
  }

  get status(): number {
    return ERROR_STATUS[this.code]
  }
}

/**
 * A room the caller cannot see: one answer whether it does not exist or the caller is not a
 * member, so that a stranger learns neither (issue 6, item 8; direct-room ids are derivable).
 */
export function unknownRoom(roomId: string): MqchatError {
  return new MqchatError('unknown_room', `room ${roomId} not found`)
}

/** A configuration problem found at start-up: lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
    this.name = 'ConfigError'
  }
}

/** A listener could not bind its port. */
export class AddressInUse extends Error {
  constructor(what: string, host: string, port: number, code: string) {
    super(`${what} port ${host}:${port} is ${code === 'EACCES' ? 'not permitted' : 'already in use'}`)
    this.name = 'AddressInUse'
  }
}

/** A backing service that cannot be reached at start-up: the message is the one line to print. */
export class ServiceUnreachable extends Error {
  constructor(service: string, url: string, cause: unknown) {
    super(`cannot reach ${service} at ${redactUrl(url)}: ${messageOf(cause)}`, { cause })
    this.name = 'ServiceUnreachable'
  }
}

/** A backing service that was reached but refused what start-up asked of it (e.g. creating indexes). */
export class ServiceFailed extends Error {
  constructor(service: string, action: string, cause: unknown) {
    super(`${service} failed ${action}: ${messageOf(cause)}`, { cause })
    this.name = 'ServiceFailed'
  }
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}

/** Hides the credentials of a service URL. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@')
}
