import type { Redis } from 'ioredis'
import type { MembershipChange, MembershipFeed } from './membership-feed.js'

/** Redis pub/sub on `{prefix}membership`; the subscriber uses its own connection. */
export class RedisMembershipFeed implements MembershipFeed {
  private readonly channel: string
  private subscriber: Redis | null = null

  constructor(
    private readonly redis: Redis,
    prefix: string
  ) {
    this.channel = `${prefix}membership`
  }

  async publish(change: MembershipChange): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(change))
  }

  async subscribe(listener: (change: MembershipChange) => void): Promise<void> {
    this.subscriber ??= this.redis.duplicate()
    this.subscriber.on('error', () => {})
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) listener(JSON.parse(message) as MembershipChange)
    })
    await this.subscriber.subscribe(this.channel)
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect()
  }
}
