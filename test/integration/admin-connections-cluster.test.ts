import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { createAdmin } from '../../server/admin-command.js'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

const SECRET = 'cluster-test-secret-cluster-test-secret'
const PREFIX = 'conns:'

interface Listed {
  clientId: string
  node: string
  transport: string
}

/** GET /v1/admin/users/{id}/connections on a bridge lists the user's connections on every node. */
describe('cluster: an admin lists a user’s live connections on every node', () => {
  let cluster: TestCluster
  let brokers: Awaited<ReturnType<TestCluster['start']>>[]
  let bridge: Awaited<ReturnType<TestCluster['start']>>
  let rest: ReturnType<typeof restClient>
  let admin: string
  const clients: TestClient[] = []

  const listed = async (userId: string): Promise<Listed[]> => {
    const response = await rest.call('GET', `/v1/admin/users/${userId}/connections`, undefined, admin)
    expect(response.status).toBe(200)
    return response.body.connections.map(({ clientId, node, transport }: Listed) => ({ clientId, node, transport }))
  }
  const byClientId = (a: Listed, b: Listed) => a.clientId.localeCompare(b.clientId)

  beforeAll(async () => {
    cluster = await startTestCluster({ MQCHAT_JWT_SECRET: SECRET, MQCHAT_REDIS_PREFIX: PREFIX })
    brokers = [await cluster.start('broker'), await cluster.start('broker')]
    bridge = await cluster.start('bridge')
    rest = restClient(bridge.httpUrl)
    const config = parseConfig({
      REDIS_URL: cluster.redis.url,
      MONGODB_URL: cluster.mongo.url,
      MQCHAT_MONGODB_DATABASE: cluster.database,
      MQCHAT_REDIS_PREFIX: PREFIX,
      MQCHAT_JWT_SECRET: SECRET,
      MQCHAT_LOG_LEVEL: 'silent'
    })
    const created = await createAdmin(config, createLogger('silent'), 'root')
    admin = (await rest.call('POST', '/v1/auth/login', { username: 'root', password: created.password })).body.token
  }, 60_000)
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await cluster.stop()
  })

  it('lists a user connected to two brokers and the bridge with each node; a closed connection leaves the list', async () => {
    const alice = await rest.register('alice')
    const connect = async (url: string, clientId: string) => {
      const client = await connectClient(url, alice.token, { clientId })
      clients.push(client)
      return client
    }
    await connect(brokers[0]!.mqttUrl, 'alice-one')
    const second = await connect(brokers[1]!.mqttUrl, 'alice-two')
    await connect(bridge.wsUrl, 'alice-web')
    const all = [
      { clientId: 'alice-one', node: 'broker-1', transport: 'tcp' },
      { clientId: 'alice-two', node: 'broker-2', transport: 'tcp' },
      { clientId: 'alice-web', node: 'bridge-3', transport: 'websocket' }
    ]
    expect(
      (
        await eventually(
          () => listed(alice.id),
          (list) => list.length === 3
        )
      ).sort(byClientId)
    ).toEqual(all)
    const detail = await rest.call('GET', `/v1/admin/users/${alice.id}`, undefined, admin)
    expect(detail.body.connections.map((c: Listed) => c.node).sort()).toEqual(['bridge-3', 'broker-1', 'broker-2'])

    await second.client.endAsync()
    const left = await eventually(
      () => listed(alice.id),
      (list) => list.length === 2
    )
    expect(left.sort(byClientId)).toEqual([all[0], all[2]])
  })

  it('ignores and removes entries of a node without a heartbeat and of an earlier run of a live node id', async () => {
    const bob = await rest.register('bob')
    clients.push(await connectClient(brokers[0]!.mqttUrl, bob.token, { clientId: 'bob-live' }))
    await eventually(
      () => listed(bob.id),
      (list) => list.length === 1
    )
    // what a crashed node and a restarted node id's previous run leave behind
    const redis = cluster.redis.client()
    try {
      const key = `${PREFIX}live-connections:${bob.id}`
      const entry = (clientId: string) =>
        JSON.stringify({ clientId, userId: bob.id, transport: 'tcp', address: null, connectedAt: 1, tokenExpiresAt: null })
      await redis.hset(key, 'crashed-node|run|1', entry('bob-crashed'), 'broker-1|earlier-run|1', entry('bob-earlier'))
      expect(await listed(bob.id)).toEqual([{ clientId: 'bob-live', node: 'broker-1', transport: 'tcp' }])
      expect(Object.keys(await redis.hgetall(key))).toHaveLength(1)
    } finally {
      redis.disconnect()
    }
  })
})
