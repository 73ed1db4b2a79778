import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { createAdmin } from '../../server/admin-command.js'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { connectClient, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'
import { closed, connectRefusal } from '../helpers/tokens.js'

const SECRET = 'cluster-test-secret-cluster-test-secret'
const PASSWORD = 'correct horse battery'

describe('cluster: revocations, bans and API keys hold on every node', () => {
  let cluster: TestCluster
  let brokers: Awaited<ReturnType<TestCluster['start']>>[]
  let bridges: Awaited<ReturnType<TestCluster['start']>>[]
  let rests: ReturnType<typeof restClient>[]
  let admin: string
  const clients: TestClient[] = []
  /** How long each revocation took to close a connection on another node (reported, not asserted). */
  const closings: Record<string, number> = {}

  const connect = async (url: string, token: string) => {
    const client = await connectClient(url, token)
    clients.push(client)
    return client
  }
  const rooms = (rest: ReturnType<typeof restClient>, token: string) => rest.call('GET', '/v1/rooms', undefined, token)

  beforeAll(async () => {
    cluster = await startTestCluster({ MQCHAT_JWT_SECRET: SECRET })
    brokers = [await cluster.start('broker'), await cluster.start('broker')]
    bridges = [await cluster.start('bridge'), await cluster.start('bridge')]
    rests = bridges.map((bridge) => restClient(bridge.httpUrl))
    // `mqchat admin create` against the running cluster's stores
    const config = parseConfig({
      REDIS_URL: cluster.redis.url,
      MONGODB_URL: cluster.mongo.url,
      MQCHAT_MONGODB_DATABASE: cluster.database,
      MQCHAT_JWT_SECRET: SECRET,
      MQCHAT_LOG_LEVEL: 'silent'
    })
    const created = await createAdmin(config, createLogger('silent'), 'root')
    admin = (await rests[1]!.call('POST', '/v1/auth/login', { username: 'root', password: created.password })).body.token
  }, 60_000)
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await cluster.stop()
    console.log('revocation -> connection closed on another node (ms):', JSON.stringify(closings))
  })

  it('logout on one bridge closes the token’s MQTT connection on a broker node and the token is refused everywhere', async () => {
    const alice = await rests[0]!.register('alice')
    const onBroker = await connect(brokers[1]!.mqttUrl, alice.token)
    const onOtherBridge = await connect(bridges[1]!.wsUrl, alice.token)
    const started = Date.now()
    expect((await rests[0]!.call('POST', '/v1/auth/logout', undefined, alice.token)).status).toBe(204)
    await Promise.all([closed(onBroker), closed(onOtherBridge)])
    closings.logout = Date.now() - started
    for (const broker of brokers) expect((await connectRefusal(broker.mqttUrl, alice.token))?.code).toBe(4)
    for (const rest of rests) expect((await rooms(rest, alice.token)).status).toBe(401)
  })

  it('a password change on one bridge closes the user’s connections on both brokers', async () => {
    const bob = await rests[1]!.register('bob')
    const a = await connect(brokers[0]!.mqttUrl, bob.token)
    const b = await connect(brokers[1]!.mqttUrl, bob.token)
    const started = Date.now()
    const changed = await rests[1]!.call('PUT', '/v1/auth/password', { current: PASSWORD, new: 'another long password' }, bob.token)
    expect(changed.status).toBe(200)
    await Promise.all([closed(a), closed(b)])
    closings.password = Date.now() - started
    expect((await connectRefusal(brokers[0]!.mqttUrl, bob.token))?.code).toBe(4)
    expect(await connectRefusal(brokers[1]!.mqttUrl, changed.body.token)).toBeNull()
  })

  it('an admin ban closes the user’s connections on every node; her tokens and logins are refused on every bridge', async () => {
    const carol = await rests[0]!.register('carol')
    const connections = [
      await connect(brokers[0]!.mqttUrl, carol.token),
      await connect(brokers[1]!.mqttUrl, carol.token),
      await connect(bridges[0]!.wsUrl, carol.token)
    ]
    const started = Date.now()
    expect((await rests[1]!.call('POST', '/v1/admin/users/carol/ban', undefined, admin)).status).toBe(200)
    await Promise.all(connections.map((c) => closed(c)))
    closings.ban = Date.now() - started
    for (const rest of rests) {
      expect((await rooms(rest, carol.token)).status).toBe(401)
      expect((await rest.call('POST', '/v1/auth/login', { username: 'carol', password: PASSWORD })).status).toBe(403)
    }
  })

  it('an API key revoked on one bridge is refused on every bridge', async () => {
    const created = await rests[0]!.call('POST', '/v1/admin/keys', { name: 'reporter', scopes: ['history:read'] }, admin)
    expect(created.status).toBe(201)
    const dave = await rests[0]!.register('dave')
    const room = await rests[0]!.createRoom(dave.token, 'reports')
    for (const rest of rests)
      expect((await rest.call('GET', `/v1/rooms/${room.id}/messages`, undefined, created.body.key)).status).toBe(200)
    expect((await rests[1]!.call('DELETE', `/v1/admin/keys/${created.body.id}`, undefined, admin)).status).toBe(204)
    for (const rest of rests)
      expect((await rest.call('GET', `/v1/rooms/${room.id}/messages`, undefined, created.body.key)).status).toBe(401)
  })
})
