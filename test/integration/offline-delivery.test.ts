import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { type TestClient, wrap } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

describe('offline delivery from the chat log, bounded per session', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  const clients: TestClient[] = []

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_OFFLINE_REPLAY_LIMIT: '5', MQCHAT_RATE_LIMIT_PER_SECOND: '0' })
    rest = restClient(node.httpUrl)
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()))
    await node.destroy()
  })

  const session = (token: string, clientId: string) => {
    const client = wrap(mqtt.connect(node.mqttUrl, { username: 'u', password: token, clientId, clean: false, reconnectPeriod: 0 }))
    clients.push(client)
    return client
  }
  const connected = (client: TestClient) => new Promise<void>((resolve) => client.client.once('connect', () => resolve()))
  const send = (token: string, roomId: string, id: string) =>
    rest.call('POST', `/v1/rooms/${roomId}/messages`, { id, body: id }, token).then((r) => r.body.seq as number)

  it('replays what a session missed, in order, then continues live without repeats', async () => {
    const alice = await rest.register('alice')
    const bob = await rest.register('bob')
    const room = await rest.createRoom(alice.token, 'r', ['bob'])
    const topic = `rooms/${room.id}/messages`
    const first = session(bob.token, 'bob-phone')
    await connected(first)
    await first.client.subscribeAsync(topic, { qos: 1 })
    await send(alice.token, room.id, 'live-1')
    await first.waitFor(topic, 1)
    await first.end()

    for (const id of ['away-1', 'away-2', 'away-3']) await send(alice.token, room.id, id)
    const back = session(bob.token, 'bob-phone')
    const replayed = await back.waitFor(topic, 3)
    expect(replayed.map((m) => m.id)).toEqual(['away-1', 'away-2', 'away-3'])
    await send(alice.token, room.id, 'live-2')
    const all = await back.waitFor(topic, 4)
    expect(all.map((m) => m.seq)).toEqual([2, 3, 4, 5])
  })

  it('past the replay limit sends one overflow notice instead, and the session continues live', async () => {
    const carol = await rest.register('carol')
    const dave = await rest.register('dave')
    const room = await rest.createRoom(carol.token, 'busy', ['dave'])
    const topic = `rooms/${room.id}/messages`
    const inbox = `users/${dave.id}/inbox`
    const first = session(dave.token, 'dave-phone')
    await connected(first)
    await first.client.subscribeAsync([topic, inbox], { qos: 1 })
    await first.end()

    for (let i = 1; i <= 8; i++) await send(carol.token, room.id, `m${i}`)
    const back = session(dave.token, 'dave-phone')
    const [notice] = await back.waitFor(inbox, 1)
    expect(notice).toEqual({ type: 'overflow', room: room.id, fromSeq: 1 })
    await send(carol.token, room.id, 'after')
    const delivered = await back.waitFor(topic, 1)
    expect(delivered.map((m) => m.seq)).toEqual([9])
    const history = await rest.history(dave.token, room.id, '?after=0&limit=50')
    expect(history.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })
})
