import type { Redis } from 'ioredis'
import type { ClientOwners } from './client-owners.js'

/** Set or renew when free or ours; answer the holder. KEYS[1] the id's key, ARGV owner, ttl seconds. */
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return holder end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]
`

/** One key per client id, `{prefix}client-owner:{clientId}`, expiring `ttlSeconds` after the last claim. */
export class RedisClientOwners implements ClientOwners {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number
  ) {}

  async claim(clientId: string, owner: string): Promise<string> {
    const key = `${this.prefix}client-owner:${clientId}`
    return (await this.redis.eval(CLAIM, 1, key, owner, String(this.ttlSeconds))) as string
  }

  async close(): Promise<void> {}
}
