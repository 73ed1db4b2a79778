import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalRateLimiter } from '../../broker/rate-limiters/local-rate-limiter.js'
import { describeRateLimiterContract, limitsWith } from '../../broker/rate-limiters/rate-limiter.contract.js'
import { RedisRateLimiter } from '../../broker/rate-limiters/redis-rate-limiter.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

let redis: TestRedis
beforeAll(async () => {
  redis = await startTestRedis()
})
afterAll(async () => {
  await redis.stop()
})

describeRateLimiterContract('LocalRateLimiter', async (limits) => new LocalRateLimiter(limits))
describeRateLimiterContract('RedisRateLimiter', async (limits) => new RedisRateLimiter(redis.client(), `t${randomUUID()}:`, limits))

describe('RedisRateLimiter across nodes', () => {
  it('two nodes on one Redis share one budget', async () => {
    const prefix = `t${randomUUID()}:`
    const limits = limitsWith({ chat: { points: 5, durationSeconds: 60 } })
    const nodes = [new RedisRateLimiter(redis.client(), prefix, limits), new RedisRateLimiter(redis.client(), prefix, limits)]
    const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => nodes[i % 2]!.consume('chat', 'alice')))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5)
  })

  it('keeps nothing of a key once its window has passed', async () => {
    const prefix = `t${randomUUID()}:`
    const client = redis.client()
    const limiter = new RedisRateLimiter(client, prefix, limitsWith({ signal: { points: 1, durationSeconds: 1 } }))
    await limiter.consume('signal', 'alice')
    expect(await client.keys(`${prefix}*`)).toHaveLength(1)
    expect(await client.pttl(`${prefix}rl:signal:alice`)).toBeGreaterThan(0)
  })

  it('a Redis that is away is an error, never a refusal', async () => {
    const client = redis.client()
    const limiter = new RedisRateLimiter(client, `t${randomUUID()}:`, limitsWith({ chat: { points: 5, durationSeconds: 60 } }))
    client.disconnect()
    await expect(limiter.consume('chat', 'alice')).rejects.toBeInstanceOf(Error)
  })
})
