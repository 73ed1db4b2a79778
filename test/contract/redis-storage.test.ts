import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { CLAIM_IDLE_MS, describeChatLogContract } from '../../storage/chat-log/chat-log.contract.js'
import { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import { CLIENT_OWNER_TTL_SECONDS, describeClientOwnersContract } from '../../storage/client-owners/client-owners.contract.js'
import { RedisClientOwners } from '../../storage/client-owners/redis-client-owners.js'
import { describeReadStateContract } from '../../storage/read-pointers/read-state.contract.js'
import { RedisReadStateStore } from '../../storage/read-pointers/redis-read-state-store.js'
import { RedisSessionCursors } from '../../storage/session-cursors/redis-session-cursors.js'
import { describeSessionCursorsContract } from '../../storage/session-cursors/session-cursors.contract.js'
import { testRedisHealth } from '../helpers/redis-health.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis.stop()
})

/** Each harness gets its own key prefix; open() after close() is a new connection, as after a restart. */
async function redisChatLogHarness() {
  const prefix = `t${randomUUID()}:`
  let connection: Redis | undefined
  return {
    async open() {
      connection = redis.client()
      const log = new RedisChatLog(connection, { prefix, blockSliceMs: 200, claimIdleMs: CLAIM_IDLE_MS }, testRedisHealth())
      const handle = connection
      const close = log.close.bind(log)
      return Object.assign(log, {
        close: async () => {
          await close()
          handle.disconnect()
        }
      })
    },
    async destroy() {}
  }
}

describeChatLogContract('RedisChatLog', redisChatLogHarness)

describeSessionCursorsContract('RedisSessionCursors', async () => {
  const prefix = `t${randomUUID()}:`
  let connection: Redis | undefined
  return {
    async open() {
      connection = redis.client()
      const store = new RedisSessionCursors(connection, prefix)
      const handle = connection
      return Object.assign(store, { close: async () => handle.disconnect() })
    },
    async destroy() {}
  }
})

describeClientOwnersContract('RedisClientOwners', async () => {
  const prefix = `t${randomUUID()}:`
  return {
    async open() {
      const connection = redis.client()
      const store = new RedisClientOwners(connection, prefix, CLIENT_OWNER_TTL_SECONDS)
      return Object.assign(store, { close: async () => connection.disconnect() })
    },
    async destroy() {}
  }
})

describeReadStateContract('RedisReadStateStore', async () => {
  const prefix = `t${randomUUID()}:`
  return {
    async open() {
      const connection = redis.client()
      const store = new RedisReadStateStore(connection, prefix)
      return Object.assign(store, { close: async () => connection.disconnect() })
    },
    async destroy() {}
  }
})
