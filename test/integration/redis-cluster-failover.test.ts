import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MembershipChange } from '../../broker/membership-feeds/membership-feed.js'
import { RedisMembershipFeed } from '../../broker/membership-feeds/redis-membership-feed.js'
import { connectRedis } from '../../storage/cluster.js'
import { isCluster, type RedisClient } from '../../storage/redis-client.js'
import { startTestRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js'
import { testRedisHealth } from '../helpers/redis-health.js'

const KEYS = 30

/** Writes one key per slot range until every write of a round succeeds. */
async function writeEverywhere(redis: RedisClient, round: number): Promise<void> {
  for (;;) {
    const results = await Promise.allSettled(Array.from({ length: KEYS }, (_, i) => redis.set(`failover:${i}`, String(round))))
    if (results.every((result) => result.status === 'fulfilled')) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Until 3 nodes are replicas in sync with their master: a replica that never synced is not promoted. */
async function replicasInSync(ports: number[]): Promise<void> {
  const connections = ports.map((port) => new Redis({ host: '127.0.0.1', port, lazyConnect: true }))
  try {
    for (;;) {
      const infos = await Promise.all(connections.map((connection) => connection.info('replication')))
      if (infos.filter((info) => info.includes('role:slave') && info.includes('master_link_status:up')).length >= 3) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    for (const connection of connections) connection.disconnect()
  }
}

/**
 * A master killed with SIGKILL: its replica takes over, the node's Cluster client follows it on its
 * own (counting the node's errors in the health metrics), and a feed whose subscriber sat on the dead
 * node moves to another and announces the gap.
 */
describe('a Redis Cluster master killed under a node', () => {
  let cluster: TestRedisCluster
  beforeAll(async () => {
    cluster = await startTestRedisCluster()
  }, 60_000)
  afterAll(() => cluster?.stop())

  it('the client serves every slot again once a replica took over; a feed on the dead node re-subscribes elsewhere', async () => {
    const health = testRedisHealth()
    const redis = await connectRedis(cluster.url, health, { cluster: true })
    const feeds: RedisMembershipFeed[] = []
    try {
      await writeEverywhere(redis, 1)
      if (!isCluster(redis)) throw new Error('not a Cluster client')
      await replicasInSync(cluster.nodes.map((each) => each.port))
      // a master that serves slots (right after creation, nodes still to become replicas are slotless masters)
      const victim = redis.nodes('master')[0]?.options.port
      const node = cluster.nodes.find((each) => each.port === victim)
      if (!node) throw new Error('no master to kill')
      // one feed per node of the Cluster is likely: subscribe until one sits on the victim
      const gaps: number[] = []
      let onVictim: RedisMembershipFeed | undefined
      for (let i = 0; i < 40 && !onVictim; i++) {
        const feed = new RedisMembershipFeed(redis, { prefix: 'failover:', nodeId: `n${i}` }, health)
        feeds.push(feed)
        const index = i
        await feed.subscribe({ change: () => undefined, gap: () => gaps.push(index) })
        const list = (await (redis
          .nodes('all')
          .find((n) => n.options.port === victim)
          ?.call('CLIENT', 'LIST') ?? '')) as string
        if (list.includes(` name=${feed.connectionName} `)) onVictim = feed
      }
      expect(onVictim).toBeDefined()
      const changes: MembershipChange[] = []
      await onVictim!.subscribe({ change: (change) => changes.push(change), gap: () => undefined })

      await node.kill()
      await writeEverywhere(redis, 2)
      expect(await redis.get(`failover:${KEYS - 1}`)).toBe('2')
      const errors = (await health.metrics.errors.get()).values.find((v) => v.labels.role === 'commands')
      expect(errors?.value ?? 0).toBeGreaterThan(0)

      // the feed on the dead node announced its gap once subscribed elsewhere, and hears later changes
      while (!gaps.includes(feeds.indexOf(onVictim!))) await new Promise((resolve) => setTimeout(resolve, 50))
      await feeds[0]!.publish({ roomId: 'r', userId: 'after', isMember: true })
      while (changes.length === 0) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(changes).toEqual([{ roomId: 'r', userId: 'after', isMember: true }])
    } finally {
      for (const feed of feeds) await feed.close()
      redis.disconnect()
    }
  }, 60_000)
})
