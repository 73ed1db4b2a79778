import { Redis } from 'ioredis'
import { MongoClient } from 'mongodb'
import { ServiceFailed, ServiceUnreachable } from '../core/errors.js'
import { MongoAccountsStore } from './accounts/mongo-accounts-store.js'
import { RedisChatLog } from './chat-log/redis-chat-log.js'
import { MongoHistoryStore } from './history/mongo-history-store.js'
import { RedisReadStateStore } from './read-pointers/redis-read-state-store.js'
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
}

export interface ClusterStorage {
  redis: Redis
  mongo: MongoClient
  chatLog: RedisChatLog
  history: MongoHistoryStore
  accounts: MongoAccountsStore
  roomSettings: MongoRoomSettingsStore
  readState: RedisReadStateStore
  cursors: RedisSessionCursors
  close(): Promise<void>
}

/** Redis with its reconnect-forever behaviour, but the first connection must succeed. */
export async function connectRedis(url: string, health: RedisHealth): Promise<Redis> {
  // while Redis is away, commands fail after a few reconnect attempts (chat sends are then
  // rejected as `unavailable`) instead of waiting indefinitely
  const options = { lazyConnect: true, maxRetriesPerRequest: 3 }
  const redis = url.startsWith('redis+unix://')
    ? new Redis({ ...options, path: url.slice('redis+unix://'.length) })
    : new Redis(url, options)
  health.watch(redis, 'commands')
  try {
    await redis.connect()
    return redis
  } catch (error) {
    redis.disconnect()
    throw new ServiceUnreachable('Redis', url, error)
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
  const redis = await connectRedis(options.redisUrl, health)
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
  const chatLog = new RedisChatLog(redis, { prefix: options.redisPrefix, claimIdleMs: options.claimIdleMs }, health)
  return {
    redis,
    mongo,
    chatLog,
    history,
    accounts,
    roomSettings,
    readState: new RedisReadStateStore(redis, options.redisPrefix),
    cursors: new RedisSessionCursors(redis, options.redisPrefix),
    async close() {
      await chatLog.close()
      await mongo.close()
      redis.disconnect()
    }
  }
}
