import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { LocalRevocationFeed } from '../../broker/revocation-feeds/local-revocation-feed.js'
import { RedisRevocationFeed } from '../../broker/revocation-feeds/redis-revocation-feed.js'
import { describeRevocationFeedContract } from '../../broker/revocation-feeds/revocation-feed.contract.js'
import type { Revocation } from '../../broker/revocation-feeds/revocation-feed.js'
import type { RedisClient } from '../../storage/redis-client.js'
import { onEachRedis, type RedisBackend } from '../helpers/redis-backends.js'
import { killNamedConnectionAnywhere } from '../helpers/redis-clients.js'
import { testRedisHealth } from '../helpers/redis-health.js'

describeRevocationFeedContract('LocalRevocationFeed', async () => ({
  shared: false,
  async open() {
    return new LocalRevocationFeed()
  },
  async interrupt(_feed, publisher, revocation) {
    await publisher.publish(revocation)
    return false
  },
  async destroy() {}
}))

/** One deployment (one prefix); every node has its own connection, as its own process would. */
function redisFeeds(backend: RedisBackend) {
  const prefix = `t${randomUUID()}:`
  const connections: RedisClient[] = []
  const client = () => {
    const connection = backend.client()
    connections.push(connection)
    return connection
  }
  let nodes = 0
  const health = testRedisHealth()
  return {
    /** The health monitor every feed of this deployment reports its connection to. */
    health,
    open: async () => new RedisRevocationFeed(client(), { prefix, nodeId: `n${++nodes}` }, health),
    /** Kills the feed's subscriber connection and publishes `revocation` while it is gone. */
    async interrupt(feed: RedisRevocationFeed, revocation: Revocation): Promise<boolean> {
      const killed = await killNamedConnectionAnywhere(client(), feed.connectionName, (meanwhile) =>
        meanwhile.publish(`${prefix}revocations`, JSON.stringify(revocation))
      )
      return killed === 1
    },
    async destroy() {
      for (const connection of connections) connection.disconnect()
    }
  }
}

onEachRedis((backend) => {
  describeRevocationFeedContract(backend.label('RedisRevocationFeed'), async () => {
    const feeds = redisFeeds(backend)
    return {
      shared: true,
      open: feeds.open,
      interrupt: (feed, _publisher, revocation) => feeds.interrupt(feed as RedisRevocationFeed, revocation),
      destroy: feeds.destroy
    }
  })

  describe(backend.label('RedisRevocationFeed after its subscriber connection was killed'), () => {
    it('misses the revocation published meanwhile, resyncs once subscribed again, and hears later ones', async () => {
      const feeds = redisFeeds(backend)
      try {
        const feed = await feeds.open()
        const publisher = await feeds.open()
        const heard: Revocation[] = []
        let resyncs = 0
        let heardAtResync = -1
        await feed.subscribe(
          (revocation) => heard.push(revocation),
          () => {
            resyncs += 1
            heardAtResync = heard.length
          }
        )
        expect(await feeds.interrupt(feed, { userId: 'missed', reason: 'banned' })).toBe(true)
        while (resyncs === 0) await new Promise((resolve) => setTimeout(resolve, 10))
        // the resync is called only once the subscription is back: this one must arrive
        await publisher.publish({ userId: 'after', jti: 'j', reason: 'logout' })
        while (heard.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
        expect(heard).toEqual([{ userId: 'after', jti: 'j', reason: 'logout' }])
        expect([resyncs, heardAtResync]).toEqual([1, 0])
        // the subscriber connection is watched by the node's one Redis health monitor
        const upValue = async () => (await feeds.health.metrics.up.get()).values.find((v) => v.labels.role === 'revocation-feed')?.value
        expect(await upValue()).toBe(1)
        await feed.close()
        while ((await upValue()) !== 0) await new Promise((resolve) => setTimeout(resolve, 10))
        await publisher.close()
      } finally {
        await feeds.destroy()
      }
    })
  })
})
