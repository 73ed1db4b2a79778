import { Redis } from 'ioredis'
import { duplicateClient, isCluster, type RedisClient } from './redis-client.js'
import type { RedisHealth } from './redis-health.js'

export interface ChannelSubscriberOptions {
  channel: string
  /** CLIENT SETNAME of its connection, so operators (and tests) can find it in CLIENT LIST. */
  connectionName: string
  /** Its role for the health monitor; a failed re-subscription is reported as `<role>-resubscribe`. */
  role: string
  onMessage(message: string): void
  /** Subscribed again after its connection was lost: what was published meanwhile never arrives. */
  onResubscribed(): void
}

/**
 * One channel of plain pub/sub on a connection of its own, telling when it is subscribed again after
 * its connection was lost. On a single Redis: a duplicate connection, which ioredis reconnects and
 * re-subscribes. On a Redis Cluster a PUBLISH reaches every node, so one connection to any node hears
 * the channel; once that connection ends (its node failed), another node is tried until one answers.
 * ioredis's own cluster subscriber moves to another node too, but tells no one that it did.
 */
export class ChannelSubscriber {
  private connection: Redis | null = null
  private closed = false

  constructor(
    private readonly client: RedisClient,
    private readonly options: ChannelSubscriberOptions,
    private readonly health: RedisHealth
  ) {}

  /** Resolves once subscribed. */
  async start(): Promise<void> {
    if (isCluster(this.client)) {
      // the Cluster client knows its nodes once connected
      await this.client.ping()
      const connection = this.nodeConnection()
      await connection.subscribe(this.options.channel)
      this.adopt(connection)
      return
    }
    const connection = duplicateClient(this.client, { connectionName: this.options.connectionName }) as Redis
    this.health.watch(connection, this.options.role)
    this.adopt(connection)
    let subscribed = false
    connection.on('ready', () => {
      if (!subscribed || this.closed) return
      // ioredis re-subscribes on its own; subscribing again returns once Redis confirms it
      connection.subscribe(this.options.channel).then(() => this.resubscribed(), this.failed)
    })
    await connection.subscribe(this.options.channel)
    subscribed = true
  }

  close(): void {
    this.closed = true
    this.connection?.disconnect()
  }

  private adopt(connection: Redis): void {
    this.connection = connection
    connection.on('message', (channel: string, message: string) => {
      if (channel === this.options.channel) this.options.onMessage(message)
    })
    if (isCluster(this.client)) connection.once('end', () => void this.replace())
  }

  /** A connection to a node of the Cluster (any: each hears every PUBLISH), never reconnecting itself. */
  private nodeConnection(): Redis {
    if (!isCluster(this.client)) throw new Error('not a Redis Cluster')
    const nodes = this.client.nodes('all')
    const node = nodes[Math.floor(Math.random() * nodes.length)]
    if (!node) throw new Error('the Redis Cluster client knows no node yet')
    const { host, port, username, password, tls } = node.options
    const connection = new Redis({
      host,
      port,
      username,
      password,
      tls,
      connectionName: this.options.connectionName,
      lazyConnect: true,
      retryStrategy: () => null
    })
    // watched from the start: a node that does not answer reports its error there
    return this.health.watch(connection, this.options.role)
  }

  private async replace(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 1000)))
      if (this.closed) return
      let connection: Redis | null = null
      try {
        connection = this.nodeConnection()
        await connection.subscribe(this.options.channel)
      } catch (error) {
        connection?.disconnect()
        this.failed(error)
        continue
      }
      if (this.closed) {
        connection.disconnect()
        return
      }
      this.adopt(connection)
      this.resubscribed()
      return
    }
  }

  private resubscribed(): void {
    this.health.succeeded(`${this.options.role}-resubscribe`)
    this.options.onResubscribed()
  }

  private readonly failed = (error: unknown): void => this.health.failed(`${this.options.role}-resubscribe`, error)
}
