import { Cluster } from 'ioredis'
import { Janitor } from '../../bench/services/janitor.js'
import { type RedisCluster, startRedisCluster } from '../../bench/services/redis-cluster.js'
import { makeTempDir } from './temp-dir.js'

export interface TestRedisCluster extends Omit<RedisCluster, 'stop'> {
  /** A cluster client (sharded pub/sub on), disconnected by `stop`. */
  client(): Cluster
  stop(): Promise<void>
}

/** A private Redis Cluster (3 masters + 3 replicas) in its own temp directory, for one test file. */
export async function startTestRedisCluster(): Promise<TestRedisCluster> {
  const dir = await makeTempDir('mqchat-redis-cluster-')
  const janitor = new Janitor()
  janitor.defer(`remove ${dir.path}`, () => dir.remove())
  const clients: Cluster[] = []
  const cluster = await startRedisCluster(dir.path, janitor).catch(async (error: unknown) => {
    await janitor.cleanUp()
    throw error
  })
  return {
    ...cluster,
    client() {
      const client = new Cluster(cluster.seeds, { shardedSubscribers: true, redisOptions: { maxRetriesPerRequest: 3 } })
      clients.push(client)
      return client
    },
    async stop() {
      for (const client of clients) client.disconnect()
      await janitor.cleanUp()
    }
  }
}
