import { Redis } from 'ioredis'
import { MongoClient } from 'mongodb'
import { MongoAccountsStore } from './accounts/mongo-accounts-store.js'
import { RedisChatLog } from './chat-log/redis-chat-log.js'
import { MongoHistoryStore } from './history/mongo-history-store.js'
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
  cursors: RedisSessionCursors
  close(): Promise<void>
}

/** A backing service that cannot be reached at start-up: the message is the one line to print. */
export class ServiceUnreachable extends Error {
  constructor(service: string, url: string, cause: unknown) {
    super(`cannot reach ${service} at ${redact(url)}: ${(cause as Error).message ?? cause}`)
    this.name = 'ServiceUnreachable'
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@')
}

/** Redis with its reconnect-forever behaviour, but the first connection must succeed. */
export async function connectRedis(url: string): Promise<Redis> {
  // while Redis is away, commands fail after a few reconnect attempts (chat sends are then
  // rejected as `unavailable`) instead of waiting indefinitely
  const options = { lazyConnect: true, maxRetriesPerRequest: 3 }
  const redis = url.startsWith('redis+unix://')
    ? new Redis({ ...options, path: url.slice('redis+unix://'.length) })
    : new Redis(url, options)
  redis.on('error', () => {}) // reconnects are logged by whoever owns the process; never crash on them
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
    await client.close().catch(() => undefined)
    throw new ServiceUnreachable('MongoDB', url, error)
  }
}

/** Opens the cluster stores: chat log on Redis, history and accounts on MongoDB. */
export async function openClusterStorage(options: ClusterStorageOptions): Promise<ClusterStorage> {
  const redis = await connectRedis(options.redisUrl)
  let mongo: MongoClient
  try {
    mongo = await connectMongo(options.mongoUrl)
  } catch (error) {
    redis.disconnect()
    throw error
  }
  const db = mongo.db(options.mongoDatabase)
  const [history, accounts] = await Promise.all([MongoHistoryStore.open(db), MongoAccountsStore.open(db)])
  const chatLog = new RedisChatLog(redis, { prefix: options.redisPrefix, claimIdleMs: options.claimIdleMs })
  return {
    redis,
    mongo,
    chatLog,
    history,
    accounts,
    cursors: new RedisSessionCursors(redis, options.redisPrefix),
    async close() {
      await chatLog.close()
      await mongo.close()
      redis.disconnect()
    }
  }
}
