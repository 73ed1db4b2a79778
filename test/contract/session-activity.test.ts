import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import type { RedisClient } from '../../storage/redis-client.js'
import { LevelSessionActivity } from '../../storage/session-activity/level-session-activity.js'
import { RedisSessionActivity } from '../../storage/session-activity/redis-session-activity.js'
import { describeSessionActivityContract } from '../../storage/session-activity/session-activity.contract.js'
import { levelHarness } from '../helpers/level-harness.js'
import { startTestRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

let redis: TestRedis
let cluster: TestRedisCluster
beforeAll(async () => {
  ;[redis, cluster] = await Promise.all([startTestRedis(), startTestRedisCluster()])
}, 60_000)
afterAll(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()])
})

/** A fresh key prefix per test; open() after close() is a new connection, as after a restart. */
function redisHarness(connect: () => RedisClient) {
  return async () => {
    const prefix = `t${randomUUID()}:`
    return {
      async open() {
        const connection = connect()
        const store = new RedisSessionActivity(connection, prefix)
        return Object.assign(store, { close: async () => connection.disconnect() })
      },
      async destroy() {}
    }
  }
}

describeSessionActivityContract('LevelSessionActivity', () => levelHarness((db) => new LevelSessionActivity(db)))
describeSessionActivityContract(
  'RedisSessionActivity',
  redisHarness(() => redis.client())
)
describeSessionActivityContract(
  'RedisSessionActivity on a Redis Cluster',
  redisHarness(() => cluster.client())
)
