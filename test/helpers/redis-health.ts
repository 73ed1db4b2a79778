import { Registry } from 'prom-client'
import { createLogger } from '../../core/logger.js'
import { RedisHealthMonitor } from '../../storage/redis-health.js'

/** A Redis health monitor for stores built directly in tests: counted in its own registry, logged only at MQCHAT_TEST_LOG_LEVEL. */
export function testRedisHealth(): RedisHealthMonitor {
  return new RedisHealthMonitor(createLogger(process.env.MQCHAT_TEST_LOG_LEVEL ?? 'silent'), new Registry())
}
