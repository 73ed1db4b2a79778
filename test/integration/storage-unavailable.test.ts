import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { type RestResponse, restClient } from '../helpers/rest.js'

/** docs/protocol.md: `unavailable` is 503 (retry), whatever failed underneath; never a 500 with internals. */
function expectUnavailable(response: RestResponse): void {
  expect(response.status).toBe(503)
  expect(response.contentType).toMatch(/^application\/problem\+json/)
  expect(response.body).toMatchObject({ status: 503, code: 'unavailable' })
  expect(JSON.stringify(response.body)).not.toMatch(/redis|ECONN|stack/i)
}

describe('REST while Redis is down (cluster bridge)', () => {
  let cluster: TestCluster
  let rest: ReturnType<typeof restClient>
  let httpUrl: string
  /** The bridge's mqchat_redis_up for one connection role, from GET /metrics. */
  const redisUp = async (role: string) => {
    const text = await (await fetch(`${httpUrl}/metrics`)).text()
    return text.match(new RegExp(`^mqchat_redis_up\\{role="${role}"\\} (\\d)$`, 'm'))?.[1]
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ MQCHAT_RATE_LIMIT_PER_SECOND: '0' })
    httpUrl = (await cluster.start('bridge')).httpUrl
    rest = restClient(httpUrl)
  }, 60_000)
  afterAll(async () => {
    await cluster.stop()
  })

  it('answers history reads and sends with 503 unavailable, mqchat_redis_up shows the outage, all is served again once Redis is back', async () => {
    const alice = await rest.register('alice')
    const room = await rest.createRoom(alice.token, 'outage')
    const path = `/v1/rooms/${room.id}/messages`
    expect((await rest.call('POST', path, { id: 'm1', body: 'before' }, alice.token)).status).toBe(201)
    expect(await redisUp('commands')).toBe('1')

    await cluster.redis.kill()
    try {
      expectUnavailable(await rest.call('GET', `${path}?after=0`, undefined, alice.token))
      expectUnavailable(await rest.call('POST', path, { id: 'm2', body: 'during' }, alice.token))
      expect(await redisUp('commands')).toBe('0')
    } finally {
      await cluster.redis.restart()
    }

    let sent = await rest.call('POST', path, { id: 'm2', body: 'after' }, alice.token)
    while (sent.status === 503) sent = await rest.call('POST', path, { id: 'm2', body: 'after' }, alice.token)
    expect(sent.status).toBe(201)
    expect((await rest.history(alice.token, room.id, '?after=0')).map((m) => m.id)).toEqual(['m1', 'm2'])
    expect(await redisUp('commands')).toBe('1')
  })
})
