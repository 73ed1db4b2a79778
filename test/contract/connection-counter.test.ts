import { randomUUID } from 'node:crypto'
import { describeConnectionCounterContract } from '../../broker/connection-counters/connection-counter.contract.js'
import type { ConnectionCounter } from '../../broker/connection-counters/connection-counter.js'
import { LocalConnectionCounter } from '../../broker/connection-counters/local-connection-counter.js'
import { RedisConnectionCounter } from '../../broker/connection-counters/redis-connection-counter.js'
import type { RedisClient } from '../../storage/redis-client.js'
import { onEachRedis } from '../helpers/redis-backends.js'
import { testRedisHealth } from '../helpers/redis-health.js'

describeConnectionCounterContract('LocalConnectionCounter', async () => ({
  shared: false,
  // one process: its next run is a new counter
  async open() {
    return new LocalConnectionCounter()
  },
  async crash() {},
  async destroy() {}
}))

onEachRedis((backend) => {
  /** Every node has its own connection (as its own process would); a crash cuts it, so the heartbeat stops. */
  describeConnectionCounterContract(backend.label('RedisConnectionCounter'), async () => {
    const prefix = `t${randomUUID()}:`
    const connections = new Map<ConnectionCounter, RedisClient>()
    return {
      shared: true,
      async open(nodeId) {
        const connection = backend.client()
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
})
