import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    // In-process cluster nodes share the test process: when one is closed, a command some library
    // queued on an ioredis connection being torn down is rejected with "Connection is closed." and
    // nobody awaits it. The servers log such rejections (server/main.ts); here they
    // would fail an otherwise green run. Every other unhandled error still fails it.
    // ioredis 5.11 can throw "Command queue state error" from its sharded subscriber's reply handler when a
    // SUNSUBSCRIBE reply crosses a Cluster failover (redis/ioredis#1981, open): seen once in
    // test/integration/redis-room-feed-failover.test.ts, whose in-process node unfollows rooms while the
    // master is killed. Only that exact error is let through; the README (On a Redis Cluster) says what it
    // does to a node.
    onUnhandledError(error) {
      const { message, stack = '' } = error as Error
      if (!stack.includes('ioredis')) return true
      if (message === 'Connection is closed.') return false
      return !(message.startsWith('Command queue state error') && message.includes('Last reply: sunsubscribe'))
    }
  }
})
