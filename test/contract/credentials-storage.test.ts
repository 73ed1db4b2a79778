import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { describeCredentialsContract } from '../../storage/credentials/credentials.contract.js'
import { LevelCredentialsStore } from '../../storage/credentials/level-credentials-store.js'
import { RedisCredentialsStore } from '../../storage/credentials/redis-credentials-store.js'
import { levelHarness } from '../helpers/level-harness.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis.stop()
})

describeCredentialsContract('LevelCredentialsStore', () => levelHarness((db) => new LevelCredentialsStore(db)))

/** Each harness gets its own key prefix; open() after close() is a new connection, as after a restart. */
describeCredentialsContract('RedisCredentialsStore', async () => {
  const prefix = `t${randomUUID()}:`
  let connection: Redis | undefined
  return {
    async open() {
      connection = redis.client()
      const store = new RedisCredentialsStore(connection, prefix)
      const handle = connection
      return Object.assign(store, { close: async () => handle.disconnect() })
    },
    async destroy() {}
  }
})
