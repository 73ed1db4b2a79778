import type { ErrorRequestHandler, RequestHandler } from 'express'
import { ERROR_STATUS, type ErrorCode, MqchatError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'

/** Errors as RFC 9457 problem+json, with our stable `code`. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const problem = toProblem(error)
    if (problem.status >= 500) logger.error({ err: error, path: req.path }, 'request failed')
    if (problem.status === 401) res.set('WWW-Authenticate', 'Bearer')
    res.status(problem.status).type('application/problem+json').json(problem)
  }
}

export const notFound: RequestHandler = (req) => {
  throw new MqchatError('not_found', `no route for ${req.method} ${req.path}`)
}

function toProblem(error: unknown) {
  if (error instanceof MqchatError) return body(error.code, error.status, error.message, error.details)
  const status = (error as { status?: number; type?: string }).status
  const type = (error as { type?: string }).type
  if (type === 'entity.parse.failed') return body('invalid_json', 400, 'request body is not valid JSON')
  if (type === 'entity.too.large') return body('too_large', 413, 'request body is too large')
  if (status && status >= 400 && status < 500) return body('invalid_request', status, (error as Error).message)
  // anything else is a failure on our side, almost always a store that did not answer: logged above
  // as an error, answered as the documented `unavailable` (503, retry) and never with its details
  return body('unavailable', ERROR_STATUS.unavailable, 'the service failed to answer; retry')
}

function body(code: ErrorCode, status: number, detail: string, details?: unknown) {
  return {
    type: `urn:mqchat:problem:${code}`,
    title: code.replaceAll('_', ' '),
    status,
    code,
    detail,
    ...(details ? { errors: details } : {})
  }
}
