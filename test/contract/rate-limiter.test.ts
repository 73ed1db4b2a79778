import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { LocalRateLimiter } from '../../broker/rate-limiters/local-rate-limiter.js'
import { describeRateLimiterContract, limitsWith } from '../../broker/rate-limiters/rate-limiter.contract.js'
import { RedisRateLimiter } from '../../broker/rate-limiters/redis-rate-limiter.js'
import { isCluster, type RedisClient } from '../../storage/redis-client.js'
import { onEachRedis } from '../helpers/redis-backends.js'

describeRateLimiterContract('LocalRateLimiter', async (limits) => new LocalRateLimiter(limits))
onEachRedis((backend) => {
  describeRateLimiterContract(
    backend.label('RedisRateLimiter'),
    async (limits) => new RedisRateLimiter(backend.client(), `t${randomUUID()}:`, limits)
  )

  describe(backend.label('RedisRateLimiter across nodes'), () => {
    it('two nodes on one Redis share one budget', async () => {
      const prefix = `t${randomUUID()}:`
      const limits = limitsWith({ chat: { points: 5, durationSeconds: 60 } })
      const nodes = [new RedisRateLimiter(backend.client(), prefix, limits), new RedisRateLimiter(backend.client(), prefix, limits)]
      const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => nodes[i % 2]!.consume('chat', 'alice')))
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5)
    })

    it('keeps nothing of a key once its window has passed', async () => {
      const prefix = `t${randomUUID()}:`
      const client = backend.client()
      const limiter = new RedisRateLimiter(client, prefix, limitsWith({ signal: { points: 1, durationSeconds: 1 } }))
      await limiter.consume('signal', 'alice')
      expect(await keysOf(client, prefix)).toHaveLength(1)
      expect(await client.pttl(`${prefix}rl:signal:alice`)).toBeGreaterThan(0)
    })

    it('a Redis that is away is an error, never a refusal', async () => {
      const client = backend.client()
      const limiter = new RedisRateLimiter(client, `t${randomUUID()}:`, limitsWith({ chat: { points: 5, durationSeconds: 60 } }))
      // connected, then gone (a Cluster client still connecting would queue the command)
      await client.ping()
      client.disconnect()
      await expect(limiter.consume('chat', 'alice')).rejects.toBeInstanceOf(Error)
    })
  })
})

/** Every key under `prefix`: on a Cluster, from every master. */
async function keysOf(client: RedisClient, prefix: string): Promise<string[]> {
  const servers = isCluster(client) ? client.nodes('master') : [client]
  return (await Promise.all(servers.map((server) => server.keys(`${prefix}*`)))).flat()
}
