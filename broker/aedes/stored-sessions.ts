import type { ClassicLevel } from 'classic-level'
import type { RedisClient } from '../../storage/redis-client.js'

/** Client ids that have a persistent session stored, in batches; read from the persistence's own keys. */
export type StoredSessions = () => AsyncIterable<string[]>

/**
 * aedes-persistence-redis 12 keeps the ids of clients with stored subscriptions in its `clients` set
 * (no key prefix: its keys are its own). Read with SSCAN, so a large set never blocks Redis.
 */
export function redisStoredSessions(redis: RedisClient, batchSize = 500): StoredSessions {
  return async function* () {
    let cursor = '0'
    do {
      const [next, ids] = await redis.sscan('clients', cursor, 'COUNT', batchSize)
      cursor = next
      if (ids.length > 0) yield ids
    } while (cursor !== '0')
  }
}

/**
 * aedes-persistence-level 11 keys each stored subscription `subscriptions:{encodeURIComponent(clientId)}:{topic}`;
 * a client's keys are adjacent, so each id is taken once.
 */
export function levelStoredSessions(db: ClassicLevel, batchSize = 500): StoredSessions {
  const prefix = 'subscriptions:'
  return async function* () {
    let batch: string[] = []
    let last: string | null = null
    // ';' is the byte after ':': the range is exactly the keys under the prefix
    for await (const key of db.keys({ gte: prefix, lt: 'subscriptions;' })) {
      const encoded = String(key).slice(prefix.length, String(key).indexOf(':', prefix.length))
      if (encoded === last) continue
      last = encoded
      batch.push(decodeURIComponent(encoded))
      if (batch.length >= batchSize) {
        yield batch
        batch = []
      }
    }
    if (batch.length > 0) yield batch
  }
}
