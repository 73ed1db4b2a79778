import type { Cluster } from 'ioredis'
import { isCluster, type RedisClient } from '../../storage/redis-client.js'

type Key = string | Buffer

/**
 * The connection aedes-persistence-redis 12 gets as `conn`. Given a `conn` it takes the server for a
 * single Redis (its cluster path is only for `opts.cluster`, a list of nodes it connects to itself,
 * with none of our settings), and that path writes a stored packet and its count with one MSET and
 * drops them with one DEL of both keys: two slots, refused as CROSSSLOT by a Redis Cluster. On a
 * Cluster those two commands are split into one command per key, as its own cluster path does;
 * every other command it sends names one key. Checked by test/integration/redis-cluster-sessions.test.ts.
 */
export function sessionConnection(client: RedisClient): RedisClient {
  if (!isCluster(client)) return client
  const overrides: Record<PropertyKey, unknown> = {
    mset: async (...args: Key[]) => {
      const writes: Promise<unknown>[] = []
      for (let i = 0; i + 1 < args.length; i += 2) writes.push(client.set(args[i] as Key, args[i + 1] as Key))
      await Promise.all(writes)
      return 'OK'
    },
    del: async (...keys: (Key | Key[])[]) => {
      const counts = await Promise.all(keys.flat().map((key) => client.del(key)))
      return counts.reduce((sum, n) => sum + n, 0)
    }
  }
  const bound = new Map<PropertyKey, unknown>()
  return new Proxy(client, {
    get(target: Cluster, property: PropertyKey) {
      if (property in overrides) return overrides[property]
      const value: unknown = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      let method = bound.get(property)
      if (method === undefined) {
        method = value.bind(target)
        bound.set(property, method)
      }
      return method
    }
  })
}
