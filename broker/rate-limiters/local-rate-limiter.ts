import { RateLimiterMemory } from 'rate-limiter-flexible'
import { FlexibleRateLimiter } from './flexible-rate-limiter.js'
import type { RateLimits } from './rate-limiter.js'

/** In-process limits (single node); a key is forgotten when its window ends. */
export class LocalRateLimiter extends FlexibleRateLimiter {
  constructor(limits: RateLimits) {
    super(limits, (kind, spec) => new RateLimiterMemory({ keyPrefix: kind, points: spec.points, duration: spec.durationSeconds }))
  }
}
