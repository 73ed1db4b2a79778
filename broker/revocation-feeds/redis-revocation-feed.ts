import { ChannelSubscriber } from '../../storage/redis-channel-subscriber.js'
import type { RedisClient } from '../../storage/redis-client.js'
import type { RedisHealth } from '../../storage/redis-health.js'
import { publishInOrder } from '../../storage/redis-ordered-publish.js'
import type { Revocation, RevocationFeed } from './revocation-feed.js'

interface Subscriber {
  listener: (revocation: Revocation) => void
  resync: () => void
}

/**
 * Redis pub/sub on `{prefix}revocations`; the subscriber uses its own connection, reported to the
 * node's Redis health monitor. A message missed while that connection was down leaves a
 * connection open that the store already refuses: so after every re-subscription (to another node,
 * on a Redis Cluster; once Redis confirms it) `resync` runs and the broker re-checks its live
 * tokens against the store.
 */
export class RedisRevocationFeed implements RevocationFeed {
  private readonly channel: string
  /** The subscriber's CLIENT SETNAME, so operators (and tests) can find it in CLIENT LIST. */
  readonly connectionName: string
  private subscriber: ChannelSubscriber | null = null
  private readonly subscribers = new Set<Subscriber>()

  constructor(
    private readonly redis: RedisClient,
    options: { prefix: string; nodeId: string },
    private readonly health: RedisHealth
  ) {
    this.channel = `${options.prefix}revocations`
    this.connectionName = `${this.channel}-feed:${options.nodeId}`
  }

  async publish(revocation: Revocation): Promise<void> {
    await publishInOrder(this.redis, this.channel, JSON.stringify(revocation))
  }

  async subscribe(listener: (revocation: Revocation) => void, resync: () => void = () => undefined): Promise<void> {
    this.subscribers.add({ listener, resync })
    if (this.subscriber) return
    this.subscriber = new ChannelSubscriber(
      this.redis,
      {
        channel: this.channel,
        connectionName: this.connectionName,
        role: 'revocation-feed',
        onMessage: (message) => {
          const revocation = JSON.parse(message) as Revocation
          for (const each of this.subscribers) each.listener(revocation)
        },
        onResubscribed: () => {
          for (const each of this.subscribers) each.resync()
        }
      },
      this.health
    )
    await this.subscriber.start()
  }

  async close(): Promise<void> {
    this.subscribers.clear()
    this.subscriber?.close()
  }
}
