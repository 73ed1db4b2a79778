import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MongoAccountsStore } from '../../storage/accounts/mongo-accounts-store.js'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { connectClient, type TestClient } from '../helpers/mqtt.js'
import { killNamedConnection } from '../helpers/redis-clients.js'
import { restClient } from '../helpers/rest.js'

const PREFIX = 'resync:'

/**
 * Issue 6 item 10: the Redis membership feed is pub/sub, which keeps nothing for a subscriber
 * that is away. A removal announced while a node's feed connection is down must still reach
 * that node's live connections once the connection is back.
 */
describe('membership feed resync after a missed change (cluster)', () => {
  let cluster: TestCluster
  let broker: Awaited<ReturnType<TestCluster['start']>>
  let rest: ReturnType<typeof restClient>
  const clients: TestClient[] = []

  beforeAll(async () => {
    cluster = await startTestCluster({ MQCHAT_RATE_LIMIT_PER_SECOND: '0', MQCHAT_REDIS_PREFIX: PREFIX })
    broker = await cluster.start('broker')
    rest = restClient((await cluster.start('bridge')).httpUrl)
  }, 60_000)
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()))
    await cluster.stop()
  })

  it('a member removed while the node was not listening stops receiving once the feed reconnects', async () => {
    const alice = await rest.register('alice')
    const bob = await rest.register('bob')
    const left = await rest.createRoom(alice.token, 'left', ['bob'])
    const kept = await rest.createRoom(alice.token, 'kept', ['bob'])
    const onAlice = await connectClient(broker.mqttUrl, alice.token)
    const onBob = await connectClient(broker.mqttUrl, bob.token)
    clients.push(onAlice, onBob)
    const leftTopic = `rooms/${left.id}/messages`
    const keptTopic = `rooms/${kept.id}/messages`
    await onBob.client.subscribeAsync([leftTopic, keptTopic], { qos: 1 })

    // one round: a message to each room; every node delivers the log in one order, so once bob
    // has the `kept` one he has had the `left` one too, if it was delivered to him at all
    let round = 0
    const sendRound = async (): Promise<boolean> => {
      round += 1
      await onAlice.client.publishAsync(leftTopic, JSON.stringify({ id: `l${round}`, body: 'left' }), { qos: 1 })
      await onAlice.client.publishAsync(keptTopic, JSON.stringify({ id: `k${round}`, body: 'kept' }), { qos: 1 })
      await onBob.waitFor(keptTopic, round)
      return onBob.on(leftTopic).some((m) => m.id === `l${round}`)
    }
    expect(await sendRound()).toBe(true)

    // the removal is stored, and announced on the feed while the node's feed connection is gone
    const mongo = await cluster.mongo.client()
    try {
      const accounts = await MongoAccountsStore.open(mongo.db(cluster.database))
      expect(await accounts.removeMember(left.id, 'bob')).toBe(true)
    } finally {
      await mongo.close()
    }
    const admin = cluster.redis.client()
    const change = JSON.stringify({ roomId: left.id, userId: 'bob', isMember: false })
    const killed = await killNamedConnection(admin, `${PREFIX}membership-feed:broker-1`, (meanwhile) =>
      meanwhile.publish(`${PREFIX}membership`, change)
    )
    expect(killed).toBe(1)

    // once the node re-subscribed and re-read its users' rooms, bob gets nothing more from `left`
    while (await sendRound()) {}
    expect(await sendRound()).toBe(false)
    expect(await sendRound()).toBe(false)
    expect(onBob.on(keptTopic)).toHaveLength(round)
  })
})
