import type { RequestHandler } from 'express'
import { MqchatError } from '../../core/errors.js'
import type { TokenService } from '../../core/tokens.js'

/** Requires `Authorization: Bearer <token>`; sets `res.locals.userId`. */
export function requireUser(tokens: TokenService): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    const userId = match?.[1] ? await tokens.verify(match[1]) : null
    if (!userId) throw new MqchatError('unauthenticated', 'a valid Bearer token is required')
    res.locals.userId = userId
    next()
  }
}

export function currentUser(locals: Record<string, unknown>): string {
  return locals.userId as string
}
