import { MongoClient } from 'mongodb'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { connectClient, eventually, type TestClient, wrap } from '../helpers/mqtt.js'
import type { TestRedisCluster } from '../helpers/redis-cluster.js'
import type { TestRedis } from '../helpers/redis-server.js'
import { restClient } from '../helpers/rest.js'

describe.each([
  { redis: 'a single Redis', redisCluster: false },
  { redis: 'a Redis Cluster', redisCluster: true }
])('cluster: broker nodes over $redis, history and accounts in MongoDB', ({ redisCluster }) => {
  let cluster: TestCluster<TestRedis | TestRedisCluster>
  let nodes: Awaited<ReturnType<TestCluster['start']>>[]
  let bridge: Awaited<ReturnType<TestCluster['start']>>
  let rest: ReturnType<typeof restClient>
  const clients: TestClient[] = []

  beforeAll(async () => {
    cluster = await startTestCluster({ MQCHAT_RATE_LIMIT_PER_SECOND: '0' }, { redisCluster })
    nodes = [await cluster.start('broker'), await cluster.start('broker'), await cluster.start('broker')]
    bridge = await cluster.start('bridge')
    rest = restClient(bridge.httpUrl)
  }, 60_000)
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()))
    await cluster.stop()
  })

  const connect = async (url: string, token: string, options = {}) => {
    const client = await connectClient(url, token, options)
    clients.push(client)
    return client
  }

  async function storedCount(room: string): Promise<number> {
    const client = new MongoClient(cluster.mongo.url)
    try {
      return await client.db(cluster.database).collection('messages').countDocuments({ room })
    } finally {
      await client.close()
    }
  }

  it('users on different nodes and the bridge WebSocket chat in one room with one gapless seq', async () => {
    const alice = await rest.register('alice')
    const bob = await rest.register('bob')
    const carol = await rest.register('carol')
    const room = await rest.createRoom(alice.token, 'cross-node', ['bob', 'carol'])
    const topic = `rooms/${room.id}/messages`
    const onA = await connect(nodes[0]!.mqttUrl, alice.token)
    const onB = await connect(nodes[1]!.mqttUrl, bob.token)
    const onBridge = await connect(bridge.wsUrl, carol.token)
    for (const c of [onA, onB, onBridge]) await c.client.subscribeAsync(topic, { qos: 1 })

    await onA.client.publishAsync(topic, JSON.stringify({ id: 'a1', body: 'from A' }), { qos: 1 })
    await onB.client.publishAsync(topic, JSON.stringify({ id: 'b1', body: 'from B' }), { qos: 1 })
    await onBridge.client.publishAsync(topic, JSON.stringify({ id: 'c1', body: 'from the bridge' }), { qos: 1 })

    const seen = await Promise.all([onA, onB, onBridge].map((c) => c.waitFor(topic, 3)))
    for (const messages of seen) {
      expect(messages.map((m) => [m.id, m.seq, m.from])).toEqual([
        ['a1', 1, 'alice'],
        ['b1', 2, 'bob'],
        ['c1', 3, 'carol']
      ])
    }
    const history = await eventually(
      () => rest.history(bob.token, room.id, '?after=0'),
      (messages) => messages.length === 3
    )
    expect(history).toEqual(seen[0])
    await eventually(
      () => storedCount(room.id),
      (count) => count === 3
    )
  })

  it('30 publishers on 3 nodes: 3,000 messages, seq 1..3000, all delivered on every node, stored exactly once', async () => {
    const owner = await rest.register('owner')
    const members = await Promise.all(Array.from({ length: 30 }, (_, i) => rest.register(`p${i}`)))
    const room = await rest.createRoom(
      owner.token,
      'load',
      members.map((m) => m.id)
    )
    const topic = `rooms/${room.id}/messages`
    const subscribers = await Promise.all(nodes.map((node) => connect(node.mqttUrl, owner.token)))
    for (const s of subscribers) await s.client.subscribeAsync(topic, { qos: 1 })
    const publishers = await Promise.all(members.map((m, i) => connect(nodes[i % 3]!.mqttUrl, m.token)))
    await Promise.all(
      publishers.map((p, i) =>
        Promise.all(
          Array.from({ length: 100 }, (_, n) =>
            p.client.publishAsync(topic, JSON.stringify({ id: `p${i}-${n}`, body: `m ${n}` }), { qos: 1 })
          )
        )
      )
    )
    // every node delivers from its own tail of the one log: every subscriber sees 1..3000 in order
    for (const s of subscribers) {
      const got = await s.waitFor(topic, 3000, 30_000)
      expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1))
    }
    await eventually(
      () => storedCount(room.id),
      (count) => count === 3000,
      30_000
    )
  }, 90_000)

  it('a persistent session away for 1,000 messages gets all of them in order on another node, nothing queued per session', async () => {
    const sender = await rest.register('sender')
    const away = await Promise.all(Array.from({ length: 20 }, (_, i) => rest.register(`away${i}`)))
    const room = await rest.createRoom(
      sender.token,
      'offline',
      away.map((u) => u.id)
    )
    const topic = `rooms/${room.id}/messages`
    for (const [i, user] of away.entries()) {
      const session = await connect(nodes[i % 3]!.mqttUrl, user.token, { clientId: `away-${i}`, clean: false })
      await session.client.subscribeAsync(topic, { qos: 1 })
      await session.end()
    }
    const publisher = await connect(nodes[0]!.mqttUrl, sender.token)
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, n) =>
          publisher.client.publishAsync(topic, JSON.stringify({ id: `o${batch}-${n}`, body: 'while you were away' }), { qos: 1 })
        )
      )
    }
    const redis = cluster.redis.client()
    const queued = await Promise.all(away.map((_, i) => redis.llen(`outgoing:away-${i}`)))
    expect(queued.every((length) => length === 0)).toBe(true)

    const back = wrap(
      mqtt.connect(nodes[1]!.mqttUrl, { username: 'u', password: away[0]!.token, clientId: 'away-0', clean: false, reconnectPeriod: 0 })
    )
    clients.push(back)
    const got = await back.waitFor(topic, 1000, 20_000)
    expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(back.on(topic)).toHaveLength(1000)
  }, 60_000)

  it('presence counts devices across nodes: online while any device is connected anywhere', async () => {
    const frank = await rest.register('frank')
    const watcher = await rest.register('watcher')
    // presence is visible only to users who share a room
    await rest.createRoom(frank.token, 'devices', ['watcher'])
    const watch = await connect(nodes[2]!.mqttUrl, watcher.token)
    await watch.client.subscribeAsync(`presence/${frank.id}`, { qos: 1 })
    const phone = await connect(nodes[0]!.mqttUrl, frank.token)
    const laptop = await connect(nodes[1]!.mqttUrl, frank.token)
    await watch.waitFor(`presence/${frank.id}`, 1)
    await phone.end()
    await laptop.client.publishAsync(`presence/${frank.id}`, 'ignored')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(watch.on(`presence/${frank.id}`).map((p) => p.status)).toEqual(['online'])
    await laptop.end()
    const states = await watch.waitFor(`presence/${frank.id}`, 2)
    expect(states.map((p) => p.status)).toEqual(['online', 'offline'])
  })

  it('the per-user connection limit counts connections on every node', async () => {
    const limited = [
      await cluster.start('broker', { MQCHAT_MAX_CONNECTIONS_PER_USER: '2' }),
      await cluster.start('broker', { MQCHAT_MAX_CONNECTIONS_PER_USER: '2' })
    ]
    const gina = await rest.register('gina')
    const first = await connect(limited[0]!.mqttUrl, gina.token)
    await connect(limited[1]!.mqttUrl, gina.token)
    const refused = await mqtt.connectAsync(limited[0]!.mqttUrl, { username: 'u', password: gina.token, reconnectPeriod: 0 }).then(
      () => 0,
      (error: { code?: number }) => error.code
    )
    expect(refused).toBe(5)
    await first.end()
    await new Promise((resolve) => setTimeout(resolve, 200))
    const again = await connect(limited[0]!.mqttUrl, gina.token)
    expect(again.client.connected).toBe(true)
  })

  it('a member removed through the bridge stops receiving on another node at once', async () => {
    const dana = await rest.register('dana')
    const eve = await rest.register('eve')
    const room = await rest.createRoom(dana.token, 'revocation', ['eve'])
    const topic = `rooms/${room.id}/messages`
    const danaOnA = await connect(nodes[0]!.mqttUrl, dana.token)
    const eveOnC = await connect(nodes[2]!.mqttUrl, eve.token)
    await eveOnC.client.subscribeAsync(topic, { qos: 1 })
    await danaOnA.client.subscribeAsync(topic, { qos: 1 })
    await danaOnA.client.publishAsync(topic, JSON.stringify({ id: 'before', body: 'still in' }), { qos: 1 })
    await eveOnC.waitFor(topic, 1)

    const removed = await rest.call('DELETE', `/v1/rooms/${room.id}/members/eve`, undefined, dana.token)
    expect(removed.status).toBe(204)
    await new Promise((resolve) => setTimeout(resolve, 200))
    await danaOnA.client.publishAsync(topic, JSON.stringify({ id: 'after', body: 'gone' }), { qos: 1 })
    await danaOnA.waitFor(topic, 2)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(eveOnC.on(topic).map((m) => m.id)).toEqual(['before'])
  })
})
