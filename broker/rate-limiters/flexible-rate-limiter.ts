import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible'
import {
  LIMIT_KINDS,
  type LimitKind,
  type LimitSpec,
  type RateDecision,
  type RateLimiter,
  type RateLimits,
  unlimited
} from './rate-limiter.js'

/** Builds the rate-limiter-flexible limiter of one kind on a store (memory or Redis). */
export type LimiterFactory = (kind: LimitKind, spec: LimitSpec) => RateLimiterAbstract

/**
 * The RateLimiter on rate-limiter-flexible: one fixed-window limiter per kind. The local and the
 * Redis implementations differ only in the store the factory builds on.
 */
export class FlexibleRateLimiter implements RateLimiter {
  private readonly limiters = new Map<LimitKind, { limiter: RateLimiterAbstract; points: number }>()

  constructor(limits: RateLimits, factory: LimiterFactory) {
    for (const kind of LIMIT_KINDS) {
      const spec = limits[kind]
      if (spec.points <= 0) continue
      const durationSeconds = Math.max(1, Math.round(spec.durationSeconds))
      this.limiters.set(kind, { limiter: factory(kind, { points: spec.points, durationSeconds }), points: spec.points })
    }
  }

  async consume(kind: LimitKind, key: string, points = 1): Promise<RateDecision> {
    const entry = this.limiters.get(kind)
    if (!entry || points <= 0) return unlimited()
    try {
      await entry.limiter.consume(key, points)
      return { allowed: true, retryAfterMs: 0, firstRefusal: false }
    } catch (outcome) {
      // rate-limiter-flexible rejects with a RateLimiterRes when refusing and with an Error when its store fails
      if (!(outcome instanceof RateLimiterRes)) throw outcome
      return {
        allowed: false,
        retryAfterMs: Math.max(0, outcome.msBeforeNext),
        firstRefusal: outcome.consumedPoints - points <= entry.points
      }
    }
  }

  async reset(kind: LimitKind, key: string): Promise<void> {
    await this.limiters.get(kind)?.limiter.delete(key)
  }
}
