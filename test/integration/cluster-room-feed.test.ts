import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import type { TestRedisCluster } from '../helpers/redis-cluster.js'
import type { TestRedis } from '../helpers/redis-server.js'
import { restClient } from '../helpers/rest.js'

type Node = Awaited<ReturnType<TestCluster['start']>>

/** A node's own count of a metric (its registry, what its GET /metrics would serve). */
async function metric(node: Node, name: string): Promise<number> {
  const found = node.registry.getSingleMetric(name)
  if (!found) throw new Error(`no metric ${name}`)
  return (await found.get()).values[0]?.value ?? 0
}
const received = (node: Node) => metric(node, 'mqchat_feed_entries_received_total')
const followed = (node: Node) => metric(node, 'mqchat_feed_followed_rooms')

describe.each([
  { redis: 'a single Redis', redisCluster: false },
  { redis: 'a Redis Cluster', redisCluster: true }
])('a broker node is fed only the rooms of its connected members (SPEC §10), over $redis', ({ redisCluster }) => {
  let cluster: TestCluster<TestRedis | TestRedisCluster>
  let nodes: Node[]
  let rest: ReturnType<typeof restClient>
  const clients: TestClient[] = []

  beforeAll(async () => {
    cluster = await startTestCluster({ MQCHAT_RATE_LIMIT_PER_SECOND: '0' }, { redisCluster })
    nodes = [await cluster.start('broker'), await cluster.start('broker'), await cluster.start('broker')]
    rest = restClient((await cluster.start('bridge')).httpUrl)
  }, 60_000)
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()))
    await cluster.stop()
  })

  const connect = async (node: Node, token: string) => {
    const client = await connectClient(node.mqttUrl, token)
    clients.push(client)
    return client
  }

  it('node C, with no member of the room, receives none of its entries; a member connecting there starts receiving', async () => {
    const [nodeA, nodeB, nodeC] = nodes as [Node, Node, Node]
    const alice = await rest.register('alice')
    const bob = await rest.register('bob')
    const carol = await rest.register('carol')
    const dave = await rest.register('dave')
    const room = await rest.createRoom(alice.token, 'busy', ['bob', 'dave'])
    await rest.createRoom(carol.token, 'quiet')
    const topic = `rooms/${room.id}/messages`
    const onA = await connect(nodeA, alice.token)
    const onB = await connect(nodeB, bob.token)
    // carol is connected to C, in another room only
    await connect(nodeC, carol.token)
    for (const c of [onA, onB]) await c.client.subscribeAsync(topic, { qos: 1 })
    expect(await followed(nodeC)).toBe(1)
    const [receivedA, receivedC] = [await received(nodeA), await received(nodeC)]

    for (let i = 1; i <= 20; i++) {
      const sender = i % 2 ? onA : onB
      await sender.client.publishAsync(topic, JSON.stringify({ id: `m${i}`, body: `message ${i}` }), { qos: 1 })
    }
    const seen = await Promise.all([onA, onB].map((c) => c.waitFor(topic, 20)))
    for (const messages of seen) expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(await received(nodeA)).toBe(receivedA + 20)
    expect(await received(nodeC)).toBe(receivedC)

    // dave connects to C: C follows the room before his CONNACK, so the next message reaches him
    const onC = await connect(nodeC, dave.token)
    await onC.client.subscribeAsync(topic, { qos: 1 })
    expect(await followed(nodeC)).toBe(2)
    await onB.client.publishAsync(topic, JSON.stringify({ id: 'm21', body: 'for dave too' }), { qos: 1 })
    expect((await onC.waitFor(topic, 1)).map((m) => [m.id, m.seq])).toEqual([['m21', 21]])
    expect(await received(nodeC)).toBe(receivedC + 1)

    // and stops once he leaves: C unfollows the room
    await onC.end()
    await eventually(
      () => followed(nodeC),
      (count) => count === 1
    )
    await onA.client.publishAsync(topic, JSON.stringify({ id: 'm22', body: 'after dave left' }), { qos: 1 })
    await onB.waitFor(topic, 22)
    expect(await received(nodeC)).toBe(receivedC + 1)
  })

  it('a member added to a room while connected makes their node follow it', async () => {
    const [nodeA, , nodeC] = nodes as [Node, Node, Node]
    const erin = await rest.register('erin')
    const frank = await rest.register('frank')
    const room = await rest.createRoom(erin.token, 'later')
    const topic = `rooms/${room.id}/messages`
    const onA = await connect(nodeA, erin.token)
    const onC = await connect(nodeC, frank.token)
    await onA.client.subscribeAsync(topic, { qos: 1 })
    const before = await followed(nodeC)
    const added = await rest.call('POST', `/v1/rooms/${room.id}/members`, { userId: frank.id }, erin.token)
    expect(added.status).toBe(200)
    await eventually(
      () => followed(nodeC),
      (count) => count === before + 1
    )
    await onC.client.subscribeAsync(topic, { qos: 1 })
    await onA.client.publishAsync(topic, JSON.stringify({ id: 'x1', body: 'welcome' }), { qos: 1 })
    expect((await onC.waitFor(topic, 1)).map((m) => [m.id, m.seq])).toEqual([['x1', 1]])
  })
})
