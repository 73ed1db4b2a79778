import type { Response } from 'express'
import type { LimitKind, RateLimiter } from '../broker/rate-limiters/rate-limiter.js'
import { MqchatError } from '../core/errors.js'

/**
 * Spends `points` of a key's budget of one kind, or answers 429 `rate_limited` with `Retry-After`
 * (seconds). A limiter whose store is away answers 503 `unavailable`: nothing passes unlimited.
 */
export async function spend(limiter: RateLimiter, res: Response, kind: LimitKind, key: string, points = 1): Promise<void> {
  let decision: Awaited<ReturnType<RateLimiter['consume']>>
  try {
    decision = await limiter.consume(kind, key, points)
  } catch (error) {
    throw new MqchatError('unavailable', 'the rate limiter is unavailable; retry', error)
  }
  if (decision.allowed) return
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000))
  res.set('Retry-After', String(seconds))
  throw new MqchatError('rate_limited', `too many requests; retry in ${seconds} s`)
}

/** The client's address as the socket sees it (behind a proxy, every client shares the proxy's). */
export function clientAddress(req: { socket: { remoteAddress?: string } }): string {
  return req.socket.remoteAddress ?? 'unknown'
}
