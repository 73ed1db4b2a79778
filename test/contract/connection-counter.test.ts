import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { describeConnectionCounterContract } from '../../broker/connection-counters/connection-counter.contract.js'
import type { ConnectionCounter } from '../../broker/connection-counters/connection-counter.js'
import { LocalConnectionCounter } from '../../broker/connection-counters/local-connection-counter.js'
import { RedisConnectionCounter } from '../../broker/connection-counters/redis-connection-counter.js'
import { testRedisHealth } from '../helpers/redis-health.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis.stop()
})

describeConnectionCounterContract('LocalConnectionCounter', async () => ({
  shared: false,
  // one process: its next run is a new counter
  async open() {
    return new LocalConnectionCounter()
  },
  async crash() {},
  async destroy() {}
}))

/** Every node has its own connection (as its own process would); a crash cuts it, so the heartbeat stops. */
describeConnectionCounterContract('RedisConnectionCounter', async () => {
  const prefix = `t${randomUUID()}:`
  const connections = new Map<ConnectionCounter, Redis>()
  return {
    shared: true,
    async open(nodeId) {
      const connection = redis.client()
      const counter = new RedisConnectionCounter(connection, { prefix, nodeId, heartbeatTtlMs: 300 }, testRedisHealth())
      connections.set(counter, connection)
      return counter
    },
    async crash(counter) {
      connections.get(counter)?.disconnect()
    },
    async destroy() {
      // crashed counters' heartbeat timers are still set; their failing close only stops those
      for (const [counter, connection] of connections) {
        if (connection.status === 'end') await counter.close()
        connection.disconnect()
      }
    }
  }
})
