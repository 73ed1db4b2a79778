import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import { testRedisHealth } from './redis-health.js'
import { startTestRedis } from './redis-server.js'

export interface TestRedisChatLog {
  /** A plain client on the same server, to look at or age the log's keys. */
  connection: Redis
  log: RedisChatLog
  /** The log's key prefix (unique per call). */
  prefix: string
  stop(): Promise<void>
}

/** A RedisChatLog on a private redis-server, for tests of the Redis log's own edge cases. */
export async function startTestRedisChatLog(): Promise<TestRedisChatLog> {
  const redis = await startTestRedis()
  const connection = redis.client()
  const prefix = `t${randomUUID()}:`
  const log = new RedisChatLog(connection, { prefix }, testRedisHealth())
  return {
    connection,
    log,
    prefix,
    async stop() {
      await log.close()
      connection.disconnect()
      await redis.stop()
    }
  }
}
