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
    onUnhandledError(error) {
      const stack = String((error as Error).stack ?? '')
      return !((error as Error).message === 'Connection is closed.' && stack.includes('ioredis'))
    }
  }
})
