import type { RedisClient } from '../redis-client.js'
import type { ClientIdClaim, ClientOwners } from './client-owners.js'

/**
 * Set or renew when free or ours; answer {holder, stateKept}. KEYS[1] the id's key; ARGV owner, ttl
 * seconds, keepsState (1|0). The value is `{owner}\0{stateKept}`; a bare owner predates the flag (kept).
 */
const CLAIM = `
local value = redis.call('GET', KEYS[1])
local kept = ARGV[3]
if value then
  local split = string.find(value, '\\0', 1, true)
  local holder = value
  local flag = '1'
  if split then
    holder = string.sub(value, 1, split - 1)
    flag = string.sub(value, split + 1)
  end
  if holder ~= ARGV[1] then return {holder, flag} end
  if flag == '1' then kept = '1' end
end
redis.call('SET', KEYS[1], ARGV[1] .. '\\0' .. kept, 'EX', ARGV[2])
return {ARGV[1], kept}
`

/** One key per client id, `{prefix}client-owner:{clientId}`, expiring `ttlSeconds` after the last claim (one key per command: any slot of a Redis Cluster). */
export class RedisClientOwners implements ClientOwners {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number
  ) {}

  async claim(clientId: string, owner: string, keepsState = false): Promise<ClientIdClaim> {
    const key = `${this.prefix}client-owner:${clientId}`
    const [holder, flag] = (await this.redis.eval(CLAIM, 1, key, owner, String(this.ttlSeconds), keepsState ? '1' : '0')) as [
      string,
      string
    ]
    return { holder, stateKept: flag !== '0' }
  }

  async close(): Promise<void> {}
}
