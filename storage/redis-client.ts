import { Cluster, type Redis } from 'ioredis'

/**
 * A connection to the deployment's Redis: a single server (`Redis`) or a Redis Cluster (`Cluster`,
 * with MQCHAT_REDIS_CLUSTER=true). Every store takes either; on a Cluster, each script, MULTI and
 * pipeline must touch keys of one hash slot only (keys of one room share its partition's tag).
 */
export type RedisClient = Redis | Cluster

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster
}

export interface DuplicateOptions {
  /** CLIENT SETNAME of the new connection; on a Cluster its subscriber's is `ioredis-cluster(subscriber):<name>`. */
  connectionName?: string
  /** Connect now instead of at the first command. */
  eager?: boolean
  /** Batch the commands of one tick into one write (ioredis enableAutoPipelining). */
  autoPipelining?: boolean
}

/**
 * A new connection with the same settings. `Cluster.duplicate` takes startup nodes first and keeps
 * the node options under `redisOptions`; a Cluster duplicate has no sharded subscribers (one
 * connection per master that only SSUBSCRIBE needs): the live room feed keeps its own.
 */
export function duplicateClient(client: RedisClient, options: DuplicateOptions = {}): RedisClient {
  const { connectionName, eager, autoPipelining } = options
  const common = {
    ...(eager ? { lazyConnect: false } : {}),
    ...(autoPipelining ? { enableAutoPipelining: true } : {})
  }
  if (!isCluster(client)) return client.duplicate({ ...common, ...(connectionName === undefined ? {} : { connectionName }) })
  return client.duplicate([], {
    ...common,
    shardedSubscribers: false,
    redisOptions: { ...client.options.redisOptions, ...(connectionName === undefined ? {} : { connectionName }) }
  })
}
