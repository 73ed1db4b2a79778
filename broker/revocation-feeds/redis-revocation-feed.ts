import type { Redis } from 'ioredis'
import type { RedisHealth } from '../../storage/redis-health.js'
import type { Revocation, RevocationFeed } from './revocation-feed.js'

interface Subscriber {
  listener: (revocation: Revocation) => void
  resync: () => void
}

/**
 * Redis pub/sub on `{prefix}revocations`; the subscriber uses its own connection, reported to the
 * node's Redis health monitor. A message missed while that connection was down leaves a
 * connection open that the store already refuses: so after every re-subscription (once Redis
 * confirms it) `resync` runs and the broker re-checks its live tokens against the store.
 */
export class RedisRevocationFeed implements RevocationFeed {
  private readonly channel: string
  /** The subscriber's CLIENT SETNAME, so operators (and tests) can find it in CLIENT LIST. */
  readonly connectionName: string
  private subscriber: Redis | null = null
  private readonly subscribers = new Set<Subscriber>()
  private closed = false

  constructor(
    private readonly redis: Redis,
    options: { prefix: string; nodeId: string },
    private readonly health: RedisHealth
  ) {
    this.channel = `${options.prefix}revocations`
    this.connectionName = `${this.channel}-feed:${options.nodeId}`
  }

  async publish(revocation: Revocation): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(revocation))
  }

  async subscribe(listener: (revocation: Revocation) => void, resync: () => void = () => undefined): Promise<void> {
    this.subscribers.add({ listener, resync })
    if (this.subscriber) return
    const subscriber = this.health.watch(this.redis.duplicate({ connectionName: this.connectionName }), 'revocation-feed')
    this.subscriber = subscriber
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return
      const revocation = JSON.parse(message) as Revocation
      for (const each of this.subscribers) each.listener(revocation)
    })
    let connected = false
    subscriber.on('ready', () => {
      if (!connected || this.closed) return
      // ioredis re-subscribes on its own; subscribing again returns once Redis confirms it
      subscriber.subscribe(this.channel).then(
        () => {
          this.health.succeeded('revocation-resubscribe')
          for (const each of this.subscribers) each.resync()
        },
        (error: unknown) => this.health.failed('revocation-resubscribe', error)
      )
    })
    await subscriber.subscribe(this.channel)
    connected = true
  }

  async close(): Promise<void> {
    this.closed = true
    this.subscribers.clear()
    this.subscriber?.disconnect()
  }
}
