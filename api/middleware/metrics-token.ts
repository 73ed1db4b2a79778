import { createHash, timingSafeEqual } from 'node:crypto'
import type { RequestHandler } from 'express'
import { MqchatError } from '../../core/errors.js'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** With MQCHAT_METRICS_TOKEN set, /metrics needs `Authorization: Bearer <token>`; without, it stays open. */
export function requireMetricsToken(token: string | undefined): RequestHandler {
  const expected = token === undefined ? null : digest(token)
  return (req, _res, next) => {
    if (expected) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? ''
      if (!timingSafeEqual(digest(given), expected)) throw new MqchatError('unauthenticated', 'the metrics token is required')
    }
    next()
  }
}
