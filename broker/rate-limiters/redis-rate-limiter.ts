import { RateLimiterRedis } from 'rate-limiter-flexible'
import type { RedisClient } from '../../storage/redis-client.js'
import { FlexibleRateLimiter } from './flexible-rate-limiter.js'
import type { RateLimits } from './rate-limiter.js'

/**
 * The limits of LocalRateLimiter kept in Redis, so that they hold across nodes. One key per kind
 * and key (`{prefix}rl:{kind}:{key}`), updated by one single-key script: works on Redis Cluster.
 * Keys expire with their window.
 */
export class RedisRateLimiter extends FlexibleRateLimiter {
  constructor(redis: RedisClient, prefix: string, limits: RateLimits) {
    super(
      limits,
      (kind, spec) =>
        new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}rl:${kind}`, points: spec.points, duration: spec.durationSeconds })
    )
  }
}
