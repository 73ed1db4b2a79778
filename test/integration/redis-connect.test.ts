import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis } from '../../storage/cluster.js'
import { isCluster } from '../../storage/redis-client.js'
import { startTestRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js'
import { testRedisHealth } from '../helpers/redis-health.js'

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('connectRedis with MQCHAT_REDIS_CLUSTER', () => {
  let cluster: TestRedisCluster
  beforeAll(async () => {
    cluster = await startTestRedisCluster()
  }, 60_000)
  afterAll(() => cluster?.stop())

  it('discovers every master from one seed and serves keys of every slot', async () => {
    const health = testRedisHealth()
    const redis = await connectRedis(cluster.url, health, { cluster: true })
    try {
      expect(isCluster(redis)).toBe(true)
      if (!isCluster(redis)) return
      expect(redis.nodes('master')).toHaveLength(3)
      for (let i = 0; i < 20; i++) await redis.set(`connect-test:${i}`, String(i))
      expect(await redis.get('connect-test:13')).toBe('13')
      const up = (await health.metrics.up.get()).values.find((v) => v.labels.role === 'commands')
      expect(up?.value).toBe(1)
    } finally {
      redis.disconnect()
    }
  })

  it('with every node away, a command fails after a few reconnect attempts instead of waiting for the Cluster', async () => {
    const redis = await connectRedis(cluster.url, testRedisHealth(), { cluster: true })
    try {
      await redis.set('outage:before', '1')
      await Promise.all(cluster.nodes.map((node) => node.kill()))
      await expect(redis.set('outage:during', '1')).rejects.toThrow(/reconnect attempts|Connection is closed|max retries/i)
    } finally {
      redis.disconnect()
    }
  })

  it('a seed nobody answers at fails start-up with one ServiceUnreachable line', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`
    const failure = await connectRedis(url, testRedisHealth(), { cluster: true }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(Error)
    expect((failure as Error).name).toBe('ServiceUnreachable')
    expect((failure as Error).message).toMatch(new RegExp(`^cannot reach Redis at ${url}: .+`))
    expect((failure as Error).message).not.toContain('\n')
  })

  it('a unix socket is refused for a Cluster, before any connection', async () => {
    const failure = await connectRedis('redis+unix:///tmp/none.sock', testRedisHealth(), { cluster: true }).catch((error: unknown) => error)
    expect((failure as Error).name).toBe('ServiceUnreachable')
    expect((failure as Error).message).toContain('over TCP, not a unix socket')
  })
})
