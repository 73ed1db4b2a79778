import { Cluster, type Redis } from 'ioredis'
import type { Registry } from 'prom-client'
import { createLogger, type Logger } from '../../core/logger.js'
import type { Envelope } from '../../core/message.js'
import type { RedisClient } from '../redis-client.js'
import type { RedisHealth } from '../redis-health.js'
import type { TailEntry } from './chat-log.js'
import { FeedRoom, type FeedRoomDeps, type FeedRoomOptions } from './feed-room.js'
import { createRoomFeedMetrics, type RoomFeedMetrics, registerRoomFeedMetrics } from './room-feed-metrics.js'

export interface RedisRoomFeedDeps {
  /**
   * The chat log's connection: the feed's subscriber is a new connection with its settings,
   * made at the first `follow` (a persister-only process has none).
   */
  client: RedisClient
  /** The room's sharded pub/sub channel (RedisKeyspace.room(room).feed: in the room's slot). */
  channelOf(room: string): string
  /** ChatLog.read: the room's stream, tombstones in place of deleted entries. */
  read(room: string, afterSeq: number, limit: number): Promise<Envelope[]>
  /** ChatLog.lastSeq: the room's seq counter. */
  lastSeq(room: string): Promise<number>
  health: RedisHealth
}

export interface RedisRoomFeedOptions extends FeedRoomOptions {
  /**
   * On a Cluster, ioredis resubscribes a shard's channels without waiting for the reply before it
   * reports `subscribersReady`: rooms are caught up then and once more this much later, for what
   * was published between the first catch-up read and the subscription taking effect.
   */
  resubscribeSettleMs: number
}

export const REDIS_ROOM_FEED_DEFAULTS: RedisRoomFeedOptions = { pageSize: 500, retryMs: 200, resubscribeSettleMs: 1000 }

/**
 * A node's live feed of the rooms it follows (SPEC §10, Centrifugo's model): the append script
 * SPUBLISHes each entry on its room's channel, so a node receives a room's entries only while it
 * is subscribed, from the shard that owns the room's slot (Redis 7 sharded pub/sub). Pub/sub may
 * lose entries (a dropped connection, a failover); the room's stream fills every gap (FeedRoom).
 */
export class RedisRoomFeed {
  readonly metrics: RoomFeedMetrics = createRoomFeedMetrics()
  private readonly options: RedisRoomFeedOptions
  /** Made at the first `follow`: a process that follows nothing (a persister) holds no connection. */
  private subscriberConnection: RedisClient | null = null
  private readonly rooms = new Map<string, FeedRoom>()
  private readonly channels = new Map<string, FeedRoom>()
  private readonly listeners = new Set<(entry: TailEntry) => void>()
  private readonly roomDeps: FeedRoomDeps
  private readonly settleTimers = new Set<NodeJS.Timeout>()
  private logger: Logger = createLogger('warn').child({ component: 'room-feed' })
  private connectedBefore = false
  private closed = false

  constructor(
    private readonly deps: RedisRoomFeedDeps,
    options: Partial<RedisRoomFeedOptions> = {}
  ) {
    this.options = { ...REDIS_ROOM_FEED_DEFAULTS, ...options }
    this.roomDeps = {
      read: deps.read,
      deliver: (entry) => this.deliver(entry),
      filled: (_room, count) => this.metrics.gapsFilled.inc(count),
      gaveUp: (room, from, to) => {
        this.metrics.gapsGivenUp.inc()
        this.logger.warn({ room, from, to }, 'live feed gap no longer in the room stream (trimmed): those seqs are not handed out live')
      },
      diverged: (room, seq) => {
        this.metrics.diverged.inc()
        this.logger.warn(
          { room, seq },
          'room stream holds another entry at a seq this node handed out live: a Redis failover lost writes the old master had published; the new entry at that seq is not handed out live (history has it)'
        )
      },
      readFailed: (_room, error) => deps.health.failed('room-feed-read', error),
      readRecovered: () => deps.health.succeeded('room-feed-read')
    }
  }

  /** Adds the feed's metrics to the node's registry and logs with the node's logger. */
  instrument(registry: Registry, logger: Logger): void {
    registerRoomFeedMetrics(this.metrics, registry)
    this.logger = logger.child({ component: 'room-feed' })
  }

  async tail(listener: (entry: TailEntry) => void): Promise<() => void> {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** See ChatLog.follow: resolves once subscribed (retrying while Redis is away) or once unfollowed. */
  follow(room: string): Promise<void> {
    const existing = this.rooms.get(room)
    if (existing) {
      existing.follows += 1
      return existing.ready
    }
    const state = new FeedRoom(room, this.deps.channelOf(room), this.roomDeps, this.options)
    this.rooms.set(room, state)
    this.channels.set(state.channel, state)
    this.metrics.followedRooms.set(this.rooms.size)
    state.ready = this.subscribe(state)
    return state.ready
  }

  unfollow(room: string): void {
    const state = this.rooms.get(room)
    if (!state || --state.follows > 0) return
    this.rooms.delete(room)
    this.channels.delete(state.channel)
    this.metrics.followedRooms.set(this.rooms.size)
    state.stop()
    if (this.closed) return
    // a failed unsubscribe leaves the channel subscribed until the connection drops (it is not
    // resubscribed then); its entries are ignored meanwhile
    this.subscriber.sunsubscribe(state.channel).catch((err: unknown) => this.logger.warn({ err, room }, 'live feed unsubscribe failed'))
  }

  private get subscriber(): RedisClient {
    if (this.subscriberConnection) return this.subscriberConnection
    const { client } = this.deps
    const subscriber = client instanceof Cluster ? this.clusterSubscriber(client) : this.serverSubscriber(client)
    subscriber.on('smessage', (channel: string, payload: string) => this.onMessage(channel, payload))
    this.subscriberConnection = subscriber
    return subscriber
  }

  async close(): Promise<void> {
    this.closed = true
    for (const timer of this.settleTimers) clearTimeout(timer)
    for (const state of this.rooms.values()) state.stop()
    this.rooms.clear()
    this.channels.clear()
    this.subscriberConnection?.disconnect()
  }

  private current(state: FeedRoom): boolean {
    return !this.closed && this.rooms.get(state.room) === state
  }

  /** SSUBSCRIBE, then the room's seq: an entry after it is either received live or read back. */
  private async subscribe(state: FeedRoom): Promise<void> {
    while (this.current(state)) {
      try {
        await this.subscriber.ssubscribe(state.channel)
        const seq = await this.deps.lastSeq(state.room)
        this.deps.health.succeeded('room-feed-follow')
        if (this.current(state)) state.start(seq)
        return
      } catch (error) {
        this.deps.health.failed('room-feed-follow', error)
        await new Promise((resolve) => setTimeout(resolve, this.options.retryMs))
      }
    }
  }

  private onMessage(channel: string, payload: string): void {
    const state = this.channels.get(channel)
    // an entry of a room unfollowed while its SUNSUBSCRIBE is on the way
    if (!state) return
    this.metrics.received.inc()
    let envelope: Envelope
    try {
      envelope = JSON.parse(payload) as Envelope
    } catch (err) {
      this.logger.error({ err, room: state.room }, 'live feed entry is not JSON; the room stream fills it in')
      return
    }
    state.received({ envelope, payload })
  }

  private deliver(entry: TailEntry): void {
    for (const listener of this.listeners) {
      try {
        listener(entry)
      } catch (err) {
        this.logger.error({ err, room: entry.envelope.room, seq: entry.envelope.seq }, 'live feed listener threw')
      }
    }
  }

  /** One server: the feed resubscribes itself after a reconnect and catches up once each SSUBSCRIBE is confirmed. */
  private serverSubscriber(client: Redis): Redis {
    const subscriber = this.deps.health.watch(client.duplicate({ autoResubscribe: false, lazyConnect: true }), 'room-feed')
    subscriber.on('ready', () => {
      if (this.connectedBefore) for (const state of this.rooms.values()) void this.resubscribe(subscriber, state)
      this.connectedBefore = true
    })
    return subscriber
  }

  private async resubscribe(subscriber: Redis, state: FeedRoom): Promise<void> {
    if (!state.started) return // its first subscribe is still retrying
    try {
      await subscriber.ssubscribe(state.channel)
    } catch (error) {
      // the connection dropped again: its next `ready` resubscribes
      this.deps.health.failed('room-feed-resubscribe', error)
      return
    }
    this.deps.health.succeeded('room-feed-resubscribe')
    if (this.current(state)) state.catchUpNow()
  }

  /** A Cluster: one subscriber per master (ioredis ClusterSubscriberGroup), resubscribed by ioredis after failovers and slot moves. */
  private clusterSubscriber(client: Cluster): Cluster {
    const subscriber = client.duplicate([], { shardedSubscribers: true, lazyConnect: true })
    subscriber.on('error', (error: unknown) => this.deps.health.failed('room-feed', error))
    subscriber.on('subscribersReady', () => {
      this.deps.health.succeeded('room-feed')
      this.catchUpAll()
      const timer = setTimeout(() => {
        this.settleTimers.delete(timer)
        this.catchUpAll()
      }, this.options.resubscribeSettleMs)
      this.settleTimers.add(timer)
    })
    return subscriber
  }

  private catchUpAll(): void {
    for (const state of this.rooms.values()) state.catchUpNow()
  }
}
