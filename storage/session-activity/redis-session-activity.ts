import type { RedisClient } from '../redis-client.js'
import type { SessionActivity } from './session-activity.js'

/** Forget the session only if it was last seen at or before the cutoff. KEYS[1] the set; ARGV id, cutoff. */
const CLAIM_EXPIRED = `
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if at and tonumber(at) <= tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
`

/** Take the lease when free, renew it when ours. KEYS[1] the lease; ARGV holder, ms. */
const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`

/**
 * One sorted set `{prefix}session-activity` (session id scored by the ms it was last seen) and a
 * lease key. Every command names one key, so each runs on one slot of a Redis Cluster; neither
 * key is on the send path (only CONNECT, disconnect and the periodic refresh and sweep write them).
 */
export class RedisSessionActivity implements SessionActivity {
  private readonly key: string
  private readonly leaseKey: string

  constructor(
    private readonly redis: RedisClient,
    prefix: string
  ) {
    this.key = `${prefix}session-activity`
    this.leaseKey = `${prefix}session-sweep-lease`
  }

  async seen(sessionIds: readonly string[], at: number): Promise<void> {
    if (sessionIds.length === 0) return
    await this.redis.zadd(this.key, ...sessionIds.flatMap((id) => [at, id]))
  }

  async adopt(sessionIds: readonly string[], at: number): Promise<void> {
    if (sessionIds.length === 0) return
    await this.redis.zadd(this.key, 'NX', ...sessionIds.flatMap((id) => [at, id]))
  }

  idleSince(cutoff: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.key, '-inf', cutoff, 'LIMIT', 0, limit)
  }

  async claimExpired(sessionId: string, cutoff: number): Promise<boolean> {
    return (await this.redis.eval(CLAIM_EXPIRED, 1, this.key, sessionId, String(cutoff))) === 1
  }

  async forget(sessionId: string): Promise<void> {
    await this.redis.zrem(this.key, sessionId)
  }

  async lease(holder: string, ms: number): Promise<boolean> {
    return (await this.redis.eval(LEASE, 1, this.leaseKey, holder, String(ms))) === 1
  }

  async close(): Promise<void> {}
}
