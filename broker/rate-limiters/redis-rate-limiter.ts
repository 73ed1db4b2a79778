import type { Redis } from 'ioredis'
import type { RateLimiter, RateLimitOptions } from './rate-limiter.js'

/** The token bucket of LocalRateLimiter, kept in Redis so that the limit holds across nodes. */
const TOKEN_BUCKET = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(now - at, 0) / 1000 * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1 allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return allowed
`

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly options: RateLimitOptions
  ) {}

  async consume(key: string): Promise<boolean> {
    if (this.options.perSecond <= 0) return true
    const allowed = await this.redis.eval(
      TOKEN_BUCKET,
      1,
      `${this.prefix}rate:${key}`,
      Date.now(),
      this.options.perSecond,
      this.options.burst
    )
    return Number(allowed) === 1
  }
}
