import type { Redis } from 'ioredis'
import type { ConnectionCounter } from './connection-counter.js'

const DECREMENT_FLOORED = `
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) return 0 end
return n
`

/**
 * One counter key per user, shared by all nodes. A node that dies keeps its users counted
 * until they reconnect and disconnect again (not yet reclaimed).
 */
export class RedisConnectionCounter implements ConnectionCounter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string
  ) {}

  increment(userId: string): Promise<number> {
    return this.redis.incr(`${this.prefix}connections:${userId}`)
  }

  async decrement(userId: string): Promise<number> {
    return Number(await this.redis.eval(DECREMENT_FLOORED, 1, `${this.prefix}connections:${userId}`))
  }
}
