import type { Redis } from 'ioredis'
import type { Logger } from '../../core/logger.js'
import type { Revocation, RevocationFeed } from './revocation-feed.js'

/**
 * Redis pub/sub on `{prefix}revocations`; the subscriber uses its own connection. A message
 * missed while that connection was down leaves a connection open that the store already
 * refuses: so after every re-subscription `resync` runs (the broker re-checks its live
 * tokens against the store).
 */
export class RedisRevocationFeed implements RevocationFeed {
  private readonly channel: string
  private subscriber: Redis | null = null

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly logger: Logger
  ) {
    this.channel = `${prefix}revocations`
  }

  async publish(revocation: Revocation): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(revocation))
  }

  async subscribe(listener: (revocation: Revocation) => void, resync: () => void = () => undefined): Promise<void> {
    this.subscriber ??= this.redis.duplicate()
    const subscriber = this.subscriber
    let down = false
    subscriber.on('error', (err: Error) => this.logger.debug({ err: err.message }, 'revocation feed: Redis subscriber error'))
    subscriber.on('close', () => {
      if (!down) this.logger.warn('revocation feed: Redis subscriber connection lost')
      down = true
    })
    subscriber.on('ready', () => {
      if (!down) return
      down = false
      this.logger.info('revocation feed: Redis subscriber connection restored')
      resync()
    })
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return
      try {
        listener(JSON.parse(message) as Revocation)
      } catch (err) {
        this.logger.error({ err }, 'revocation feed: bad message')
      }
    })
    await subscriber.subscribe(this.channel)
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect()
  }
}
