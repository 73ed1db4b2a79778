import calculateSlot from 'cluster-key-slot'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../core/config.js'
import { RedisKeyspace } from '../../storage/chat-log/redis-keyspace.js'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import type { TestRedisCluster } from '../helpers/redis-cluster.js'
import { restClient } from '../helpers/rest.js'

const MESSAGES_PER_USER = 10

describe('cluster mode on a Redis Cluster: 3 broker nodes and a bridge', () => {
  let cluster: TestCluster<TestRedisCluster>
  let nodes: Awaited<ReturnType<TestCluster['start']>>[]
  let rest: ReturnType<typeof restClient>
  const clients: TestClient[] = []

  beforeAll(async () => {
    // rooms are created until every master holds one: more than the 30 a minute a user may create
    cluster = await startTestCluster({ MQCHAT_RATE_LIMIT_PER_SECOND: '0', MQCHAT_RATE_LIMIT_ROOMS: '0' }, { redisCluster: true })
    nodes = [await cluster.start('broker'), await cluster.start('broker'), await cluster.start('broker')]
    rest = restClient((await cluster.start('bridge')).httpUrl)
  }, 120_000)
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()))
    await cluster?.stop()
  })

  /** The port of the master holding a room's keys (its partition's slot). */
  async function masterOf(room: string): Promise<number> {
    const config = parseConfig({})
    const keyspace = new RedisKeyspace(config.MQCHAT_REDIS_PREFIX, config.MQCHAT_LOG_PARTITIONS)
    const client = cluster.redis.client()
    const ranges = await client.cluster('SLOTS')
    const slot = calculateSlot(keyspace.room(room).seq)
    const range = ranges.find(([low, high]) => slot >= low && slot <= high)
    const master = range?.[2]?.[1]
    if (master === undefined) throw new Error(`no master serves slot ${slot}`)
    return master
  }

  it('users on different nodes chat in rooms on every master: each message once, one gapless seq per room, history serves it', async () => {
    const users = await Promise.all(['alice', 'bob', 'carol'].map((name) => rest.register(name)))
    const [alice] = users
    // rooms until every master holds at least one (room ids are random)
    const rooms: { id: string; master: number }[] = []
    const masters = new Set<number>()
    while (masters.size < 3 || rooms.length < 4) {
      if (rooms.length >= 40) throw new Error(`40 rooms covered only masters ${[...masters]}`)
      const room = await rest.createRoom(alice!.token, `r${rooms.length}`, ['bob', 'carol'])
      const master = await masterOf(room.id)
      if (masters.has(master) && rooms.length >= 3) continue
      masters.add(master)
      rooms.push({ id: room.id, master })
    }
    expect(new Set(rooms.map((r) => r.master)).size).toBe(3)

    // one user per broker node, each subscribed to every room
    const connected = await Promise.all(users.map((user, i) => connectClient(nodes[i]!.mqttUrl, user.token)))
    clients.push(...connected)
    const topics = rooms.map((room) => `rooms/${room.id}/messages`)
    for (const c of connected) for (const topic of topics) await c.client.subscribeAsync(topic, { qos: 1 })

    // everyone sends into every room at once
    await Promise.all(
      connected.flatMap((c, u) =>
        topics.map(async (topic) => {
          for (let i = 0; i < MESSAGES_PER_USER; i++)
            await c.client.publishAsync(topic, JSON.stringify({ id: `${u}-${i}`, body: `m ${u} ${i}` }), { qos: 1 })
        })
      )
    )

    const perRoom = users.length * MESSAGES_PER_USER
    for (const topic of topics) {
      const seen = await Promise.all(connected.map((c) => c.waitFor(topic, perRoom, 20_000)))
      const reference = seen[0]!.map((m) => [m.seq, m.id, m.from])
      for (const messages of seen) {
        // each message once, in one gapless seq, the same on every node
        expect(messages).toHaveLength(perRoom)
        expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: perRoom }, (_, i) => i + 1))
        expect(messages.map((m) => [m.seq, m.id, m.from])).toEqual(reference)
      }
      // every sender's messages in the order it sent them
      for (const [u, user] of users.entries()) {
        const own = reference.filter(([, , from]) => from === user.id)
        expect(own.map(([, id]) => id)).toEqual(Array.from({ length: MESSAGES_PER_USER }, (_, i) => `${u}-${i}`))
      }
      const room = topic.split('/')[1]!
      const history = await eventually(
        () => rest.history(alice!.token, room, '?after=0&limit=100'),
        (messages) => messages.length === perRoom
      )
      expect(history.map((m) => [m.seq, m.id, m.from])).toEqual(reference)
    }
    // nothing arrived twice, in any room
    for (const c of connected) for (const topic of topics) expect(c.on(topic)).toHaveLength(perRoom)
  }, 120_000)
})
