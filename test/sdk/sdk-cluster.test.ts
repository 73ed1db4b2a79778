import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Chat, connect, register } from '../../clients/sdk/index.js'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import { range, record, seqsOf } from './sdk-helpers.js'

type ClusterNode = Awaited<ReturnType<TestCluster['start']>>

describe('SDK against a cluster (brokers over Redis, a bridge for REST)', () => {
  let cluster: TestCluster
  let brokerA: ClusterNode
  let brokerB: ClusterNode
  let bridge: ClusterNode
  let proxy: TcpProxy
  const tokens: Record<string, string> = {}
  const chats: Chat[] = []

  beforeAll(async () => {
    cluster = await startTestCluster()
    brokerA = await cluster.start('broker')
    brokerB = await cluster.start('broker')
    bridge = await cluster.start('bridge')
    proxy = await startTcpProxy({ host: '127.0.0.1', port: brokerA.mqttPort! })
    for (const username of ['alice', 'bob']) {
      tokens[username] = (await register({ url: bridge.httpUrl, username, password: 'correct horse battery' })).token
    }
  }, 60_000)
  afterAll(async () => {
    await Promise.all(chats.map((chat) => chat.close()))
    await proxy?.close()
    await cluster?.stop()
  })

  const open = async (username: string, mqttUrl: string) => {
    const chat = await connect({ url: bridge.httpUrl, token: tokens[username]!, mqttUrl })
    chats.push(chat)
    return chat
  }

  it('chats across nodes in one seq order, replays with after, and recovers a broker that went away', async () => {
    // alice on broker A (through a proxy that can be pointed elsewhere), bob on broker B, REST on the bridge
    const alice = await open('alice', `mqtt://127.0.0.1:${proxy.port}`)
    const bob = await open('bob', brokerB.mqttUrl)
    const room = await alice.rest.createRoom({ name: 'cluster', members: ['bob'] })
    const atAlice = record(alice, 'message')
    const atBob = record(bob, 'message')
    await alice.join(room.id)
    await bob.join(room.id)
    for (let i = 1; i <= 5; i++) await (i % 2 ? alice : bob).send(room.id, `turn ${i}`)
    await atAlice.waitFor(5)
    await atBob.waitFor(5)
    expect(atAlice.seen.map((m) => [m.seq, m.body])).toEqual(atBob.seen.map((m) => [m.seq, m.body]))
    expect(seqsOf(atBob.seen, room.id)).toEqual(range(1, 5))

    const late = await open('bob', bridge.wsUrl)
    const atLate = record(late, 'message')
    await late.join(room.id, { after: 2 })
    expect(seqsOf(atLate.seen, room.id)).toEqual([3, 4, 5])

    // broker A goes away for good; alice comes back on a new broker C
    const status = record(alice, 'status')
    await brokerA.close()
    await status.waitFor(1)
    for (let i = 1; i <= 20; i++) await bob.send(room.id, `while alice is away ${i}`)
    const queued = alice.send(room.id, { id: 'queued-on-a', body: 'sent while away' })
    const brokerC = await cluster.start('broker')
    proxy.target = { host: '127.0.0.1', port: brokerC.mqttPort! }

    expect((await queued).seq).toBe(26)
    await atAlice.waitFor(26)
    expect(seqsOf(atAlice.seen, room.id)).toEqual(range(1, 26))
    await atBob.waitFor(26)
    expect(seqsOf(atBob.seen, room.id)).toEqual(range(1, 26))
    const stored = await bob.history(room.id, { after: 0, limit: 200 })
    expect(stored.messages.map((m) => m.seq)).toEqual(range(1, 26))
    expect(stored.messages.filter((m) => m.id === 'queued-on-a')).toHaveLength(1)
  }, 90_000)
})
