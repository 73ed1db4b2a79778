import { afterAll, beforeAll, describe } from 'vitest'
import type { RedisClient } from '../../storage/redis-client.js'
import { startTestRedisCluster, type TestRedisCluster } from './redis-cluster.js'
import { startTestRedis, type TestRedis } from './redis-server.js'

/** The Redis a test of one variant runs on: a new client each call, disconnected at the end of the file. */
export interface RedisBackend {
  readonly kind: 'single' | 'cluster'
  client(): RedisClient
  /** `name`, marked with the kind of Redis it runs on. */
  label(name: string): string
}

/**
 * Defines the same suites twice: on a private redis-server and on a private Redis Cluster
 * (3 masters + 3 replicas), each started once for its describe block. `define` runs at collection
 * time: it may only capture `backend`, whose clients exist once the block's beforeAll has run.
 */
export function onEachRedis(define: (backend: RedisBackend) => void): void {
  describe('on a single Redis', () => {
    let redis: TestRedis
    beforeAll(async () => {
      redis = await startTestRedis()
    })
    afterAll(() => redis?.stop())
    define({ kind: 'single', client: () => redis.client(), label: (name) => name })
  })
  describe('on a Redis Cluster', () => {
    let cluster: TestRedisCluster
    beforeAll(async () => {
      cluster = await startTestRedisCluster()
    }, 60_000)
    afterAll(() => cluster?.stop())
    define({ kind: 'cluster', client: () => cluster.client(), label: (name) => `${name} on a Redis Cluster` })
  })
}
