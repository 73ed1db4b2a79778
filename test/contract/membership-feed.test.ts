import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { LocalMembershipFeed } from '../../broker/membership-feeds/local-membership-feed.js'
import { describeMembershipFeedContract } from '../../broker/membership-feeds/membership-feed.contract.js'
import type { MembershipChange } from '../../broker/membership-feeds/membership-feed.js'
import { RedisMembershipFeed } from '../../broker/membership-feeds/redis-membership-feed.js'
import type { RedisClient } from '../../storage/redis-client.js'
import { onEachRedis, type RedisBackend } from '../helpers/redis-backends.js'
import { killNamedConnectionAnywhere } from '../helpers/redis-clients.js'
import { testRedisHealth } from '../helpers/redis-health.js'

describeMembershipFeedContract('LocalMembershipFeed', async () => ({
  shared: false,
  async open() {
    return new LocalMembershipFeed()
  },
  async interrupt(_feed, publisher, change) {
    await publisher.publish(change)
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
  return {
    prefix,
    client,
    open: async () => new RedisMembershipFeed(client(), { prefix, nodeId: `n${++nodes}` }, testRedisHealth()),
    /** Kills the feed's subscriber connection and publishes `change` while it is gone. */
    async interrupt(feed: RedisMembershipFeed, change: MembershipChange): Promise<boolean> {
      const killed = await killNamedConnectionAnywhere(client(), feed.connectionName, (meanwhile) =>
        meanwhile.publish(`${prefix}membership`, JSON.stringify(change))
      )
      return killed === 1
    },
    async destroy() {
      for (const connection of connections) connection.disconnect()
    }
  }
}

onEachRedis((backend) => {
  describeMembershipFeedContract(backend.label('RedisMembershipFeed'), async () => {
    const feeds = redisFeeds(backend)
    return {
      shared: true,
      open: feeds.open,
      interrupt: (feed, _publisher, change) => feeds.interrupt(feed as RedisMembershipFeed, change),
      destroy: feeds.destroy
    }
  })

  describe(backend.label('RedisMembershipFeed after its subscriber connection was killed'), () => {
    it('announces a gap for the change it missed, once it is subscribed again, and hears later changes', async () => {
      const feeds = redisFeeds(backend)
      try {
        const feed = await feeds.open()
        const publisher = await feeds.open()
        const changes: MembershipChange[] = []
        let gaps = 0
        let changesAtGap = -1
        await feed.subscribe({
          change: (change) => changes.push(change),
          gap: () => {
            gaps += 1
            changesAtGap = changes.length
          }
        })
        expect(await feeds.interrupt(feed, { roomId: 'r', userId: 'missed', isMember: false })).toBe(true)
        while (gaps === 0) await new Promise((resolve) => setTimeout(resolve, 10))
        // the gap is announced only once the subscription is back: this change must arrive
        await publisher.publish({ roomId: 'r', userId: 'after', isMember: true })
        while (changes.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
        expect(changes).toEqual([{ roomId: 'r', userId: 'after', isMember: true }])
        expect([gaps, changesAtGap]).toEqual([1, 0])
        await feed.close()
        await publisher.close()
      } finally {
        await feeds.destroy()
      }
    })
  })
})
