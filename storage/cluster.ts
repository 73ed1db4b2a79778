import { Cluster, Redis } from 'ioredis'
import { MongoClient } from 'mongodb'
import { ServiceFailed, ServiceUnreachable } from '../core/errors.js'
import { MongoAccountsStore } from './accounts/mongo-accounts-store.js'
import { RedisChatLog, type RedisChatLogOptions } from './chat-log/redis-chat-log.js'
import { migrateLegacyChatLog } from './chat-log/redis-log-migration.js'
import { MongoHistoryStore } from './history/mongo-history-store.js'
import { migrateLegacyReadState } from './read-pointers/redis-read-state-migration.js'
import { RedisReadStateStore } from './read-pointers/redis-read-state-store.js'
import type { RedisClient } from './redis-client.js'
import type { RedisHealth } from './redis-health.js'
import { MongoRoomSettingsStore } from './room-settings/mongo-room-settings-store.js'
import { RedisSessionCursors } from './session-cursors/redis-session-cursors.js'

export interface ClusterStorageOptions {
  redisUrl: string
  mongoUrl: string
  mongoDatabase: string
  redisPrefix: string
  /** Chat log entries a dead persister left unacknowledged this long are taken over by another. */
  claimIdleMs: number
  /** REDIS_URL is a seed node of a Redis Cluster (MQCHAT_REDIS_CLUSTER). */
  redisCluster?: boolean
  /** MQCHAT_LOG_PARTITIONS: decides every room key's hash tag (RedisKeyspace). */
  partitions: number
  /** MQCHAT_ROOM_STREAM_LENGTH: the room streams' cap, and how many of a room's newest seqs unread counts are exact over. */
  roomStreamLength: number
  /** The chat log's other settings (idempotency window, replicas to wait for); its defaults otherwise. */
  chatLog?: Partial<Pick<RedisChatLogOptions, 'idempotencyWindow' | 'waitReplicas' | 'waitTimeoutMs' | 'groupMaxLagMs'>>
}

export interface ClusterStorage {
  redis: RedisClient
  mongo: MongoClient
  chatLog: RedisChatLog
  history: MongoHistoryStore
  accounts: MongoAccountsStore
  roomSettings: MongoRoomSettingsStore
  readState: RedisReadStateStore
  cursors: RedisSessionCursors
  close(): Promise<void>
}

export interface RedisConnectOptions {
  /** REDIS_URL names one seed node of a Redis Cluster; the other nodes are discovered from it. */
  cluster?: boolean
}

/** Redis with its reconnect-forever behaviour, but the first connection must succeed. */
export async function connectRedis(url: string, health: RedisHealth, options: RedisConnectOptions = {}): Promise<RedisClient> {
  // while Redis is away, commands fail after a few reconnect attempts (chat sends are then
  // rejected as `unavailable`) instead of waiting indefinitely
  const commandOptions = { maxRetriesPerRequest: 3 }
  let redis: RedisClient
  if (options.cluster) {
    if (url.startsWith('redis+unix://'))
      throw new ServiceUnreachable('Redis', url, new Error('a Redis Cluster is reached over TCP, not a unix socket'))
    redis = new Cluster([seedOf(url)], {
      lazyConnect: true,
      clusterRetryStrategy: failQueuedCommands,
      // SSUBSCRIBE per room (the live feed) goes to the master of the room's slot
      shardedSubscribers: true,
      redisOptions: { ...commandOptions, ...credentialsOf(url) }
    })
  } else {
    redis = url.startsWith('redis+unix://')
      ? new Redis({ ...commandOptions, lazyConnect: true, path: url.slice('redis+unix://'.length) })
      : new Redis(url, { ...commandOptions, lazyConnect: true })
  }
  health.watch(redis, 'commands')
  try {
    await redis.connect()
    return redis
  } catch (error) {
    redis.disconnect()
    throw new ServiceUnreachable('Redis', url, error)
  }
}

/**
 * While no node of the Cluster answers, ioredis keeps every command in the Cluster's offline queue until
 * one does (maxRetriesPerRequest only counts a node connection's attempts): a send would wait as long as
 * the outage. From the third reconnect attempt on, what is queued fails, as on a single server after
 * three attempts (the send is refused as `unavailable`). `flushQueue` is not in ioredis's types.
 */
function failQueuedCommands(this: Cluster, times: number): number {
  if (times >= 3)
    (this as unknown as { flushQueue(error: Error): void }).flushQueue(
      new Error(`no Redis Cluster node answered ${times} reconnect attempts`)
    )
  return Math.min(100 + times * 2, 2000)
}

function seedOf(url: string): { host: string; port: number } {
  const parsed = new URL(url)
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 6379) }
}

/** What a node connection of the Cluster needs from the seed's URL (a Cluster has no databases). */
function credentialsOf(url: string): { username?: string; password?: string; tls?: object } {
  const parsed = new URL(url)
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {})
  }
}

export async function connectMongo(url: string): Promise<MongoClient> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 })
  try {
    await client.connect()
    await client.db('admin').command({ ping: 1 })
    return client
  } catch (error) {
    // the failure to reach it is the one to report; one to close it too goes along as its cause
    const closeError = await client.close().then(
      () => null,
      (failure: unknown) => failure
    )
    throw new ServiceUnreachable('MongoDB', url, closeError ? new AggregateError([error, closeError], (error as Error).message) : error)
  }
}

/** Opens the cluster stores: chat log on Redis, history and accounts on MongoDB. */
export async function openClusterStorage(options: ClusterStorageOptions, health: RedisHealth): Promise<ClusterStorage> {
  const redis = await connectRedis(options.redisUrl, health, { cluster: options.redisCluster ?? false })
  let mongo: MongoClient
  try {
    mongo = await connectMongo(options.mongoUrl)
  } catch (error) {
    redis.disconnect()
    throw error
  }
  const db = mongo.db(options.mongoDatabase)
  const [history, accounts, roomSettings] = await Promise.all([
    MongoHistoryStore.open(db),
    MongoAccountsStore.open(db),
    MongoRoomSettingsStore.open(db)
  ]).catch(async (error: unknown) => {
    await mongo.close()
    redis.disconnect()
    throw new ServiceFailed('MongoDB', 'preparing collections and indexes', error)
  })
  const chatLog = new RedisChatLog(
    redis,
    {
      ...options.chatLog,
      prefix: options.redisPrefix,
      claimIdleMs: options.claimIdleMs,
      partitions: options.partitions,
      roomStreamLength: options.roomStreamLength
    },
    health
  )
  // a single Redis may hold the chat log of a version before partitions (a Cluster cannot: that version did not run on one)
  if (!(redis instanceof Cluster)) {
    await migrateLegacyChatLog(redis, chatLog.keyspace).catch(async (error: unknown) => {
      await mongo.close()
      redis.disconnect()
      throw new ServiceFailed('Redis', 'moving the chat log to partitioned keys', error)
    })
    await migrateLegacyReadState(redis, chatLog.keyspace).catch(async (error: unknown) => {
      await mongo.close()
      redis.disconnect()
      throw new ServiceFailed('Redis', 'moving the read state to partitioned keys', error)
    })
  }
  return {
    redis,
    mongo,
    chatLog,
    history,
    accounts,
    roomSettings,
    readState: new RedisReadStateStore(redis, chatLog.keyspace, options.roomStreamLength),
    cursors: new RedisSessionCursors(redis, options.redisPrefix),
    async close() {
      await chatLog.close()
      await mongo.close()
      redis.disconnect()
    }
  }
}
