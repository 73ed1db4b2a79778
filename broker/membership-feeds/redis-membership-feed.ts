import { ChannelSubscriber } from '../../storage/redis-channel-subscriber.js'
import type { RedisClient } from '../../storage/redis-client.js'
import type { RedisHealth } from '../../storage/redis-health.js'
import { publishInOrder } from '../../storage/redis-ordered-publish.js'
import type { MembershipChange, MembershipFeed, MembershipListener } from './membership-feed.js'

/**
 * Redis pub/sub on `{prefix}membership`; the subscriber uses its own connection. Pub/sub keeps
 * nothing for a subscriber that is away, so every reconnect of that connection (to another node,
 * on a Redis Cluster) is reported as a gap, once the subscription is confirmed again.
 */
export class RedisMembershipFeed implements MembershipFeed {
  private readonly channel: string
  /** The subscriber's CLIENT SETNAME, so operators (and tests) can find it in CLIENT LIST. */
  readonly connectionName: string
  private subscriber: ChannelSubscriber | null = null
  private readonly listeners = new Set<MembershipListener>()

  constructor(
    private readonly redis: RedisClient,
    options: { prefix: string; nodeId: string },
    private readonly health: RedisHealth
  ) {
    this.channel = `${options.prefix}membership`
    this.connectionName = `${this.channel}-feed:${options.nodeId}`
  }

  async publish(change: MembershipChange): Promise<void> {
    await publishInOrder(this.redis, this.channel, JSON.stringify(change))
  }

  async subscribe(listener: MembershipListener): Promise<void> {
    this.listeners.add(listener)
    if (this.subscriber) return
    this.subscriber = new ChannelSubscriber(
      this.redis,
      {
        channel: this.channel,
        connectionName: this.connectionName,
        role: 'membership-feed',
        onMessage: (message) => {
          const change = JSON.parse(message) as MembershipChange
          for (const each of this.listeners) each.change(change)
        },
        onResubscribed: () => {
          for (const each of this.listeners) each.gap()
        }
      },
      this.health
    )
    await this.subscriber.start()
  }

  async close(): Promise<void> {
    this.listeners.clear()
    this.subscriber?.close()
  }
}
