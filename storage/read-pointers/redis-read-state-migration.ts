import type { Redis } from 'ioredis'
import type { RedisKeyspace } from '../chat-log/redis-keyspace.js'

/** KEYS: the old key, the new one. Never overwrites a new key (the old one stays for an operator to look at). */
const MOVE = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
return 1
`

/** The key that says the read state of this prefix is in the partitioned layout. */
export function readStateLayoutMarker(keyspace: RedisKeyspace): string {
  return `${keyspace.prefix}read-state-layout`
}

/**
 * Start-up upgrade of a single Redis written before partitions (SPEC §10): every read state key
 * `rs:{<room>}:<rest>` (recorded seq, pointers, counted sets) moves to `rs:<room>:<rest>` under
 * the room's partition tag, where RedisReadStateStore reads it, so read pointers and unread counts
 * survive the upgrade. Sets are not trimmed here: the next record of the room trims them.
 * Idempotent (a marker skips the SCAN on later starts); run it with every node of the old version
 * stopped. Returns how many keys moved.
 */
export async function migrateLegacyReadState(redis: Redis, keyspace: RedisKeyspace): Promise<number> {
  const marker = readStateLayoutMarker(keyspace)
  if ((await redis.get(marker)) === 'partitioned') return 0
  const start = `${keyspace.prefix}rs:{`
  const pattern = `${start.replace(/[*?[\]\\]/g, '\\$&')}*`
  let moved = 0
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    for (const key of keys) {
      const rest = key.slice(start.length)
      // room ids never hold `}`: the old tag ends at the first one
      const end = rest.indexOf('}:')
      if (end < 1) continue
      const room = rest.slice(0, end)
      const target = `${keyspace.partitionBase(keyspace.partitionOf(room))}rs:${room}:${rest.slice(end + 2)}`
      moved += Number(await redis.eval(MOVE, 2, key, target))
    }
  } while (cursor !== '0')
  await redis.set(marker, 'partitioned')
  return moved
}
