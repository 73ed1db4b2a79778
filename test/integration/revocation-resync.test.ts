import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisCredentialsStore } from '../../storage/credentials/redis-credentials-store.js'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { connectClient, type TestClient } from '../helpers/mqtt.js'
import { killNamedConnection } from '../helpers/redis-clients.js'
import { restClient } from '../helpers/rest.js'
import { closed } from '../helpers/tokens.js'

const PREFIX = 'revresync:'

const claimsOf = (token: string): { jti: string; exp: number } =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))

/**
 * The Redis revocation feed is pub/sub, which keeps nothing for a subscriber that is away. A
 * logout announced while a broker's feed connection is down must still close that token's live
 * connection there: after re-subscribing, the broker re-checks its live tokens against the store.
 */
describe('revocation feed resync after a missed logout (cluster)', () => {
  let cluster: TestCluster
  let broker: Awaited<ReturnType<TestCluster['start']>>
  let rest: ReturnType<typeof restClient>
  const clients: TestClient[] = []

  beforeAll(async () => {
    cluster = await startTestCluster({ MQCHAT_REDIS_PREFIX: PREFIX })
    broker = await cluster.start('broker')
    rest = restClient((await cluster.start('bridge')).httpUrl)
  }, 60_000)
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await cluster.stop()
  })

  it('a token logged out while the broker was not listening closes once the feed reconnects; other tokens stay', async () => {
    const alice = await rest.register('alice')
    const login = await rest.call('POST', '/v1/auth/login', { username: 'alice', password: 'correct horse battery' })
    expect(login.status).toBe(200)
    const revoked = await connectClient(broker.mqttUrl, alice.token)
    const kept = await connectClient(broker.mqttUrl, login.body.token)
    clients.push(revoked, kept)

    // the logout as POST /v1/auth/logout makes it: stored, then announced on the feed, here
    // while the broker's feed connection is gone, so the announcement never reaches it
    const { jti, exp } = claimsOf(alice.token)
    const admin = cluster.redis.client()
    try {
      await new RedisCredentialsStore(admin, PREFIX).revokeToken(alice.id, jti, exp * 1000)
      const announcement = JSON.stringify({ userId: alice.id, jti, reason: 'logout' })
      const killed = await killNamedConnection(admin, `${PREFIX}revocations-feed:broker-1`, (meanwhile) =>
        meanwhile.publish(`${PREFIX}revocations`, announcement)
      )
      expect(killed).toBe(1)
    } finally {
      admin.disconnect()
    }

    await closed(revoked, 10_000)
    expect((await rest.call('GET', '/v1/rooms', undefined, alice.token)).status).toBe(401)
    // the other token's connection was re-checked too, and is still served
    expect(kept.client.connected).toBe(true)
    await kept.client.subscribeAsync(`users/${alice.id}/inbox`, { qos: 1 })
    expect(kept.client.connected).toBe(true)
  })
})
