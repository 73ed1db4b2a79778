import type { Redis } from 'ioredis'
import type { RedisHealth } from '../../storage/redis-health.js'
import type { MembershipChange, MembershipFeed, MembershipListener } from './membership-feed.js'

/**
 * Redis pub/sub on `{prefix}membership`; the subscriber uses its own connection. Pub/sub keeps
 * nothing for a subscriber that is away, so every reconnect of that connection is reported as a
 * gap, once the subscription is confirmed again.
 */
export class RedisMembershipFeed implements MembershipFeed {
  private readonly channel: string
  /** The subscriber's CLIENT SETNAME, so operators (and tests) can find it in CLIENT LIST. */
  readonly connectionName: string
  private subscriber: Redis | null = null
  private readonly listeners = new Set<MembershipListener>()
  private closed = false

  constructor(
    private readonly redis: Redis,
    options: { prefix: string; nodeId: string },
    private readonly health: RedisHealth
  ) {
    this.channel = `${options.prefix}membership`
    this.connectionName = `${this.channel}-feed:${options.nodeId}`
  }

  async publish(change: MembershipChange): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(change))
  }

  async subscribe(listener: MembershipListener): Promise<void> {
    this.listeners.add(listener)
    if (this.subscriber) return
    const subscriber = this.health.watch(this.redis.duplicate({ connectionName: this.connectionName }), 'membership-feed')
    this.subscriber = subscriber
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return
      const change = JSON.parse(message) as MembershipChange
      for (const each of this.listeners) each.change(change)
    })
    let connected = false
    subscriber.on('ready', () => {
      if (!connected || this.closed) return
      // ioredis re-subscribes on its own; subscribing again returns once Redis confirms it
      subscriber.subscribe(this.channel).then(
        () => {
          this.health.succeeded('membership-resubscribe')
          for (const each of this.listeners) each.gap()
        },
        (error: unknown) => this.health.failed('membership-resubscribe', error)
      )
    })
    await subscriber.subscribe(this.channel)
    connected = true
  }

  async close(): Promise<void> {
    this.closed = true
    this.listeners.clear()
    this.subscriber?.disconnect()
  }
}
