import { afterAll, beforeAll, expect, test } from 'vitest'
import { startTestRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js'

let cluster: TestRedisCluster
beforeAll(async () => {
  cluster = await startTestRedisCluster()
}, 60_000)
afterAll(() => cluster?.stop())

test('a Redis Cluster of 3 masters and 3 replicas serves keys of every slot range', async () => {
  expect(await cluster.masters()).toHaveLength(3)
  const client = cluster.client()
  for (let i = 0; i < 30; i++) await client.set(`k${i}`, String(i))
  expect(await client.get('k17')).toBe('17')
})
