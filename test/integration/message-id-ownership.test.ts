import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

type User = { id: string; token: string }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Issue 6, item 9: alice reusing bob's message id once got bob's envelope back and her message was dropped silently. */
describe("a message id is its first sender's in the room", () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  let alice: User
  let bob: User
  let roomId: string
  const clients: TestClient[] = []

  beforeAll(async () => {
    node = await startTestNode()
    rest = restClient(node.httpUrl)
    alice = await rest.register('alice')
    bob = await rest.register('bob')
    roomId = (await rest.createRoom(bob.token, 'shared', ['alice'])).id
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()))
    await node.destroy()
  })

  async function connect(user: User): Promise<TestClient> {
    const client = await connectClient(node.mqttUrl, user.token)
    clients.push(client)
    await client.client.subscribeAsync([`rooms/${roomId}/messages`, `users/${user.id}/inbox`], { qos: 1 })
    return client
  }

  it("over MQTT: another sender's id -> id_taken notice, nothing delivered; the owner's retry -> duplicate with the same seq", async () => {
    const bobClient = await connect(bob)
    const aliceClient = await connect(alice)
    const topic = `rooms/${roomId}/messages`
    await bobClient.client.publishAsync(topic, JSON.stringify({ id: 'shared-1', body: 'bob wrote this' }), { qos: 1 })
    const [first] = await aliceClient.waitFor(topic)
    expect(first).toMatchObject({ id: 'shared-1', from: 'bob', seq: 1 })

    await aliceClient.client.publishAsync(topic, JSON.stringify({ id: 'shared-1', body: 'alice wrote this' }), { qos: 1 })
    const [notice] = await aliceClient.waitFor(`users/${alice.id}/inbox`)
    expect(notice).toEqual({ type: 'rejected', id: 'shared-1', room: roomId, reason: 'id_taken', message: expect.any(String) })
    expect(JSON.stringify(notice)).not.toContain('bob wrote this')

    await bobClient.client.publishAsync(topic, JSON.stringify({ id: 'shared-1', body: 'bob again' }), { qos: 1 })
    const [duplicate] = await bobClient.waitFor(`users/${bob.id}/inbox`)
    expect(duplicate).toEqual({ type: 'duplicate', id: 'shared-1', room: roomId, seq: 1 })

    // positive control: alice's own fresh id goes through, and is the room's second message
    await aliceClient.client.publishAsync(topic, JSON.stringify({ id: 'alice-1', body: 'my own id' }), { qos: 1 })
    const delivered = await bobClient.waitFor(topic, 2)
    expect(delivered.map((m) => [m.id, m.from, m.seq, m.body])).toEqual([
      ['shared-1', 'bob', 1, 'bob wrote this'],
      ['alice-1', 'alice', 2, 'my own id']
    ])
    await sleep(200)
    expect(aliceClient.on(topic)).toHaveLength(2)
    expect(aliceClient.on(`users/${alice.id}/inbox`)).toHaveLength(1)
  })

  it("over REST: another sender's id -> 409 id_taken without the other message; the owner's -> 200 with the first envelope", async () => {
    const path = `/v1/rooms/${roomId}/messages`
    const taken = await rest.call('POST', path, { id: 'shared-1', body: 'alice over REST' }, alice.token)
    expect(taken.status).toBe(409)
    expect(taken.contentType).toMatch(/^application\/problem\+json/)
    expect(taken.body).toMatchObject({ code: 'id_taken', status: 409 })
    expect(JSON.stringify(taken.body)).not.toContain('bob wrote this')

    const again = await rest.call('POST', path, { id: 'shared-1', body: 'bob over REST' }, bob.token)
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ id: 'shared-1', from: 'bob', seq: 1, body: 'bob wrote this' })

    const history = await rest.history(alice.token, roomId)
    expect(history.map((m) => [m.seq, m.id, m.from])).toEqual([
      [2, 'alice-1', 'alice'],
      [1, 'shared-1', 'bob']
    ])
  })
})
